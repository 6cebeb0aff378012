package org.scalelab.sweeps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunnerTest {
    static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    static Runner.Options inProcess() {
        return new Runner.Options(true, 0, 1, false, "1g", 5_000, QUIET, new AtomicBoolean());
    }

    static List<String> statuses(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("results.csv")).subList(1, Files.readAllLines(dir.resolve("results.csv")).size())) {
            out.add(line.split(",")[1]);
        }
        return out;
    }

    /** A diverging run is recorded as diverged, the others finish; a second pass trains nothing; --retry-failed retrains it. */
    @Test
    void divergedRunDoesNotStopTheSweep(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.lr: 0.003}\n  - {train.lr: 1.0e30, train.gradClip: 0, train.warmupSteps: 0}\n  - {train.lr: 0.001}\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        assertEquals(3, Runner.run(dir, pts, inProcess()));
        List<String> st = statuses(dir);
        assertEquals(2, st.stream().filter("done"::equals).count(), st.toString());
        assertEquals(1, st.stream().filter("diverged"::equals).count(), st.toString());
        assertEquals(0, Runner.run(dir, pts, inProcess()), "finished and diverged runs are skipped");
        Runner.Options retry = new Runner.Options(true, 0, 1, true, "1g", 5_000, QUIET, new AtomicBoolean());
        assertEquals(1, Runner.run(dir, pts, retry), "only the diverged run is retried");
    }

    /** Two workers on one directory: every run is claimed once and trained once. */
    @Test
    void twoConcurrentWorkersNeverTrainTheSameRun(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3, 4]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        int[] trained = new int[2];
        Thread a = new Thread(() -> trained[0] = Runner.run(dir, pts, inProcess()));
        Thread b = new Thread(() -> trained[1] = Runner.run(dir, pts, inProcess()));
        a.start();
        b.start();
        a.join();
        b.join();
        assertEquals(4, trained[0] + trained[1], "each run trained by exactly one worker");
        for (Expansion.Point p : pts) {
            Path runDir = dir.resolve("runs").resolve(p.runId());
            assertEquals(1, Files.readAllLines(runDir.resolve("claims.log")).size(), p.runId());
            assertEquals("done", Json.MAPPER.readTree(runDir.resolve("result.json").toFile()).get("status").asText());
        }
    }

    /**
     * kill -9 of a sweep in the middle of a run: the next invocation finishes the killed run from its
     * checkpoint (no logged step repeated) and does not train the finished ones again; a results.csv
     * damaged by the crash is rebuilt from the run directories.
     */
    @Test
    void resumesAfterKill9(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3]\n");
        Files.writeString(f, Files.readString(f).replace("steps: 6", "steps: 60").replace("checkpointEvery: 2", "checkpointEvery: 5"));
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Process p = sweep(f, dir);
        // wait until one run is done and another has a checkpoint, then kill the whole sweep hard
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            long done = pts.stream().filter(x -> Files.exists(dir.resolve("runs").resolve(x.runId()).resolve("result.json"))).count();
            long ck = pts.stream().filter(x -> Files.exists(dir.resolve("runs").resolve(x.runId()).resolve("checkpoint/LATEST"))).count();
            if (done >= 1 && ck > done) break;
            Thread.sleep(100);
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor();
        Files.writeString(dir.resolve("results.csv"), "run_id,stat");   // torn by the crash
        Thread.sleep(2_500);                                            // the dead worker's lock goes stale
        Process again = sweep(f, dir);
        assertTrue(again.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, again.exitValue(), new String(again.getInputStream().readAllBytes()));
        List<String> st = statuses(dir);
        assertEquals(List.of("done", "done", "done"), st);
        int claims = 0;
        for (Expansion.Point x : pts) {
            Path run = dir.resolve("runs").resolve(x.runId());
            claims += Files.readAllLines(run.resolve("claims.log")).size();
            List<Long> steps = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) steps.add(Json.MAPPER.readTree(line).get("step").asLong());
            for (int i = 1; i < steps.size(); i++) assertTrue(steps.get(i) > steps.get(i - 1), "steps logged once, in order: " + steps);
            assertEquals(60, steps.get(steps.size() - 1));
        }
        assertTrue(claims <= 4, "only the interrupted run is claimed twice: " + claims);
    }

    private static Process sweep(Path spec, Path dir) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), "org.scalelab.cli.Main",
                "sweep", "run", spec.toString(), "--dir", dir.toString(), "--lock-timeout", "2", "--run-memory", "1g")
                .redirectErrorStream(true).redirectOutput(dir.getParent().resolve("sweep.log").toFile()).start();
    }
}
