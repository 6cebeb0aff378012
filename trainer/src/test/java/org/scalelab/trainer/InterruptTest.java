package org.scalelab.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * Ctrl-C: {@code train} in its own JVM gets SIGINT mid-run, writes a checkpoint at the step it was on
 * and exits 130; {@code train --resume} then finishes the run, and its metrics equal those of a run
 * never interrupted (1e-6), so the checkpoint held everything (weights, moments, RNG states, cursor).
 */
class InterruptTest {
    private static final int STEPS = 120;

    /** The child process: {@code scalelab train …} with its exit code. */
    public static final class Child {
        public static void main(String[] args) {
            System.exit(new CommandLine(new TrainCommand()).execute(args));
        }
    }

    @Test
    void sigintCheckpointsExits130AndResumeContinues(@TempDir Path tmp) throws Exception {
        assumeFalse(sigintIgnored(), "SIGINT is ignored in this process (and so in its children): a JVM started here "
                + "cannot receive Ctrl-C");
        Path corpus = TestCorpora.writeText(tmp, 20_000);
        List<String> sets = List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16", "model.nHead=2",
                "model.nCtx=8", "train.steps=" + STEPS, "train.batchSize=4", "train.warmupSteps=5", "train.lr=3e-3",
                "train.evalEvery=60", "train.evalBatches=1", "train.logEvery=1", "train.checkpointEvery=0");
        Path run = tmp.resolve("run");
        List<String> args = new ArrayList<>(List.of("train", "--quiet", "--out", run.toString()));
        for (String s : sets) args.addAll(List.of("--set", s));

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        cmd.addAll(args.subList(1, args.size()));
        long t0 = System.nanoTime();
        int signalledAt;
        double signalSeconds;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (lastStep(run) < 3) {
                assertTrue(p.isAlive(), () -> "the child ended before it was interrupted: " + log(tmp));
                assertTrue(System.nanoTime() < deadline, () -> "the child logged no steps in 30 s: " + log(tmp));
                Thread.sleep(20);
            }
            signalledAt = lastStep(run);
            signalSeconds = (System.nanoTime() - t0) / 1e9;
            new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).inheritIO().start().waitFor();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child did not exit after SIGINT");
        } finally {
            p.destroyForcibly();
        }
        double childSeconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(130, p.exitValue(), () -> log(tmp));

        JsonNode result = Json.MAPPER.readTree(run.resolve("result.json").toFile());
        assertEquals("interrupted", result.get("status").asText());
        int k = result.get("steps_done").asInt();
        assertTrue(k >= 3 && k < STEPS, "interrupted after " + k + " steps");
        assertEquals(k, lastStep(run), "metrics end at the interrupted step");
        assertTrue(Checkpoint.exists(run.resolve("checkpoint")));
        JsonNode state = Json.MAPPER.readTree(Files.readString(run.resolve("checkpoint")
                .resolve(Files.readString(run.resolve("checkpoint/LATEST")).trim()).resolve("state.json")));
        assertEquals(k, state.get("step").asInt(), "the checkpoint is the interrupted step's");

        List<String> resume = new ArrayList<>(args.subList(1, args.size()));
        resume.add("--resume");
        long t1 = System.nanoTime();
        assertEquals(0, new CommandLine(new TrainCommand()).execute(resume.toArray(new String[0])));
        double resumeSeconds = (System.nanoTime() - t1) / 1e9;
        JsonNode done = Json.MAPPER.readTree(run.resolve("result.json").toFile());
        assertEquals("done", done.get("status").asText());
        assertEquals(STEPS, done.get("steps_done").asInt());

        Path ref = tmp.resolve("ref");
        RunResult whole = Trainer.train(Trainer.prepare(ConfigLoader.load(null, sets)), ref, Trainer.Options.defaults());
        assertEquals("done", whole.status());
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
        assertEquals(whole.finalValLoss(), done.get("final_val_loss").asDouble(), 1e-6);
        System.out.printf("InterruptTest: SIGINT at step %d (%.1f s after start), checkpoint at step %d of %d, exit after %.1f s;"
                + " resume %.1f s%n", signalledAt, signalSeconds, k, STEPS, childSeconds, resumeSeconds);
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

    private static String log(Path tmp) {
        try {
            return Files.readString(tmp.resolve("child.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
