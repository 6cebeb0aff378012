package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.scalelab.trainer.cli.*;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Ctrl-C: {@code train} in its own JVM gets SIGINT mid-run, writes a checkpoint at the step it was on
 * and exits 130. {@code train --resume}, in a second JVM, continues from that step (and is interrupted
 * the same way a few steps later); the metrics of both together equal those of one run never
 * interrupted (1e-6), so the checkpoint held everything: weights, moments, RNG states, data cursor.
 * The run is far longer than the test lets it train, so no signal can arrive after it ended.
 */
class InterruptTest {

    /** The child process: {@code scalelab train …} with its exit code. */
    public static final class Child {
        public static void main(String[] args) {
            System.exit(new CommandLine(new TrainCommand()).execute(args));
        }
    }

    @Test
    void sigintCheckpointsExits130AndResumeContinues(@TempDir Path tmp) throws Exception {
        assumeFalse(sigintIgnored() && RESET_SIGINT.isEmpty(), "SIGINT is ignored in this process (and so in its children, "
                + "as when Maven runs as a background job) and env --default-signal is not available to restore it");
        Path corpus = TestCorpora.writeText(tmp, 20_000);
        List<String> sets = List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16", "model.nHead=2",
                "model.nCtx=8", "train.steps=1000000", "train.batchSize=4", "train.warmupSteps=5", "train.lr=3e-3",
                "train.evalEvery=20", "train.evalBatches=1", "train.logEvery=1", "train.checkpointEvery=0");
        Path run = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("--quiet", "--out", run.toString()));
        for (String s : sets) args.addAll(List.of("--set", s));

        long t0 = System.nanoTime();
        int k = interrupt(args, run, 3, tmp.resolve("first.log"));
        double first = (System.nanoTime() - t0) / 1e9;
        assertTrue(Checkpoint.exists(run.resolve("checkpoint")));
        assertEquals(k, checkpointStep(run), "the checkpoint is the interrupted step's");
        List<String> before = Files.readAllLines(run.resolve("metrics.jsonl"));

        List<String> resume = new ArrayList<>(args);
        resume.add("--resume");
        t0 = System.nanoTime();
        int k2 = interrupt(resume, run, k + 3, tmp.resolve("second.log"));
        double second = (System.nanoTime() - t0) / 1e9;
        assertEquals(k2, checkpointStep(run));
        // Lines up to k are the first process's, tokens_per_s (a timing) included: the second continued, not restarted.
        assertEquals(before, Files.readAllLines(run.resolve("metrics.jsonl")).subList(0, k + 1));

        Path ref = tmp.resolve("ref");
        RunResult whole = Trainer.train(Trainer.prepare(ConfigLoader.load(null, sets)), ref,
                new Trainer.Options(false, Progress.silent(), new AtomicBoolean(), k2));
        assertEquals(k2, whole.stepsDone());
        List<JsonNode> a = metrics(ref), b = metrics(run);
        assertEquals(a.size(), b.size(), "metrics lines");
        for (int i = 0; i < a.size(); i++) {
            assertEquals(i, b.get(i).get("step").asInt(), "one line per step, none repeated");
            for (String f : new String[]{"tokens", "train_loss", "lr", "grad_norm", "val_loss"}) {
                JsonNode x = a.get(i).get(f), y = b.get(i).get(f);
                assertEquals(x == null || x.isNull(), y == null || y.isNull(), f + " at step " + i);
                if (x != null && !x.isNull()) assertEquals(x.asDouble(), y.asDouble(), 1e-6, f + " at step " + i);
            }
        }
        System.out.printf("InterruptTest: first JVM interrupted at step %d (%.1f s), the resumed one at step %d (%.1f s)%n",
                k, first, k2, second);
    }

    /**
     * Runs {@code train args} in a child JVM until its metrics reach {@code atLeast}, sends it SIGINT and
     * checks that it exits 130 with an interrupted result; returns the step it stopped at.
     */
    private static int interrupt(List<String> args, Path run, int atLeast, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(RESET_SIGINT);
        cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (lastStep(run) < atLeast) {
                assertTrue(p.isAlive(), () -> "the child ended before it was interrupted: " + read(log));
                assertTrue(System.nanoTime() < deadline, () -> "the child did not reach step " + atLeast + " in 60 s: " + read(log));
                Thread.sleep(10);
            }
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit after SIGINT");
        } finally {
            p.destroyForcibly();
        }
        assertEquals(130, p.exitValue(), () -> read(log));
        JsonNode result = Json.MAPPER.readTree(run.resolve("result.json").toFile());
        assertEquals("interrupted", result.get("status").asText());
        int k = result.get("steps_done").asInt();
        assertTrue(k >= atLeast, "stopped at step " + k + ", before step " + atLeast + " which it had logged");
        assertEquals(k, lastStep(run), "metrics end at the interrupted step");
        return k;
    }

    private static int checkpointStep(Path run) throws IOException {
        Path ck = run.resolve("checkpoint");
        Path state = ck.resolve(Files.readString(ck.resolve("LATEST")).trim()).resolve("state.json");
        return Json.MAPPER.readTree(state.toFile()).get("step").asInt();
    }

    /**
     * A prefix that starts the child with SIGINT at its default disposition when this process ignores it
     * (a JVM started with SIGINT ignored installs no handler for it): {@code env --default-signal=INT}
     * (GNU coreutils 8.31 and later); empty when SIGINT is not ignored or env cannot do it.
     */
    private static final List<String> RESET_SIGINT = resetSigint();

    private static List<String> resetSigint() {
        if (!sigintIgnored()) return List.of();
        try {
            Process p = new ProcessBuilder("env", "--default-signal=INT", "true").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 ? List.of("env", "--default-signal=INT") : List.of();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** Whether this process ignores SIGINT (bit 2 of SigIgn in /proc/self/status); false where that is not readable. */
    private static boolean sigintIgnored() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 2) != 0;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: assume signals are delivered
        }
        return false;
    }

    /** The step of metrics.jsonl's last complete line, −1 before the first. */
    private static int lastStep(Path run) throws IOException {
        Path f = run.resolve("metrics.jsonl");
        if (!Files.exists(f)) return -1;
        int last = -1;
        for (String line : Files.readAllLines(f)) {
            try {
                last = Json.MAPPER.readTree(line).get("step").asInt();
            } catch (IOException | NullPointerException partial) {
                break;   // a line being written
            }
        }
        return last;
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
