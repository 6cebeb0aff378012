package org.scalelab.sweeps;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sweep run --reuse-jvm}: one warm process per worker trains its runs back to back. */
class WarmWorkerTest {
    private static final Pattern WORKER = Pattern.compile("; warm worker (\\d+), run (\\d+)");

    /** Child processes with one thread each, so that numbers are comparable between processes. */
    static Runner.Options children(String memory, boolean reuse) {
        return new Runner.Options(false, 0, 1, false, memory, 5_000, RunnerTest.QUIET, new AtomicBoolean(),
                new Runner.Slots(1, 1, List.of(), 0), reuse);
    }

    /** The losses a run logged, step by step, as written (no rounding). */
    static List<String> losses(Path runDir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            var m = Json.MAPPER.readTree(line);
            out.add(m.path("step").asText() + " " + m.path("train_loss").asText("-") + " " + m.path("val_loss").asText("-"));
        }
        return out;
    }

    /** The warm worker's pid and the run's place in its sequence, from the run's "train process" line in its train.log. */
    static long[] worker(Path runDir) throws IOException {
        // the process' first words (before its first run, e.g. the JVM's warnings) may come before it
        String first = Files.readAllLines(runDir.resolve("train.log")).stream().filter(l -> l.startsWith("train process: "))
                .findFirst().orElseThrow(() -> new AssertionError("no train process line in " + runDir.resolve("train.log")));
        Matcher m = WORKER.matcher(first);
        assertTrue(m.find(), "a warm worker's run names it: " + first);
        return new long[]{Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /**
     * Three runs in one warm process log exactly the losses of three runs in processes of their own (same
     * seeds, one thread each), every one of them is done, its train.log has the process' output, and no
     * run directory keeps the worker's pid file.
     */
    @Test
    void runsInAWarmProcessMatchRunsInTheirOwn(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.lr: 0.003}\n  - {model.dModel: 24, train.lr: 0.002}\n"
                + "  - {model.nLayer: 2, train.seed: 7}\n");
        List<Expansion.Point> own = Expansion.expand(SweepSpec.read(f), tmp.resolve("own/runs").toString());
        List<Expansion.Point> warm = Expansion.expand(SweepSpec.read(f), tmp.resolve("warm/runs").toString());
        assertEquals(3, Runner.run(tmp.resolve("own"), own, children("512m", false)));
        assertEquals(3, Runner.run(tmp.resolve("warm"), warm, children("512m", true)));
        assertEquals(List.of("done", "done", "done"), RunnerTest.statuses(tmp.resolve("warm")));
        Map<Long, List<Long>> byWorker = new HashMap<>();
        for (Expansion.Point p : own) {
            Path a = tmp.resolve("own/runs").resolve(p.runId()), b = tmp.resolve("warm/runs").resolve(p.runId());
            assertEquals(losses(a), losses(b), p.runId());
            assertEquals(Json.readOrNull(a.resolve("result.json")).get("best_val_loss").asDouble(),
                    Json.readOrNull(b.resolve("result.json")).get("best_val_loss").asDouble(), 0.0, p.runId());
            long[] w = worker(b);
            byWorker.computeIfAbsent(w[0], k -> new ArrayList<>()).add(w[1]);
            assertFalse(Files.exists(b.resolve(TrainChild.PID_FILE)), "the pid file goes with the run");
        }
        assertEquals(1, byWorker.size(), "one process trained all three: " + byWorker);
        assertEquals(List.of(1L, 2L, 3L), byWorker.values().iterator().next().stream().sorted().toList());
    }

    /**
     * A warm process killed with SIGKILL in the middle of a run, and one that runs out of memory, fail
     * only their runs (with the reasons a process of the run's own gives); the worker starts a new
     * process for the next run, which is done.
     */
    @Test
    void aCrashFailsOnlyItsRunAndTheWorkerStartsAgain(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads the worker's command line from /proc (Linux)");
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.steps: 20000, train.evalEvery: 20000, train.checkpointEvery: 0}\n"
                + "  - {model.nLayer: 4, model.dModel: 512, model.nHead: 8, model.nCtx: 256, train.batchSize: 32}\n"
                + "  - {train.lr: 0.002}\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Path killed = dir.resolve("runs").resolve(pts.get(0).runId()), oom = dir.resolve("runs").resolve(pts.get(1).runId()),
                fine = dir.resolve("runs").resolve(pts.get(2).runId());
        Runner.Options o = children("192m", true);
        int[] trained = {-1};
        Thread sweep = new Thread(() -> trained[0] = Runner.run(dir, pts, o));
        sweep.start();
        long killedPid = -1;
        try {
            // once the long run has logged training steps, kill the process its pid file names
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (killedPid < 0 && System.nanoTime() < deadline) {
                Path metrics = killed.resolve("metrics.jsonl"), pid = killed.resolve(TrainChild.PID_FILE);
                if (Files.exists(metrics) && Files.readAllLines(metrics).size() >= 3 && Files.exists(pid)) {
                    long p = Long.parseLong(Files.readString(pid).trim());
                    List<String> args = RunnerTest.cmdline(ProcessHandle.of(p).orElseThrow());
                    assertTrue(args.contains(TrainChild.class.getName()) && args.contains("serve"), args.toString());
                    assertTrue(args.contains("-Xmx192m") && args.contains("-XX:ActiveProcessorCount=1"), "the run's limits: " + args);
                    assertTrue(ProcessHandle.of(p).orElseThrow().destroyForcibly(), "SIGKILL sent");
                    killedPid = p;
                }
                Thread.sleep(20);
            }
            assertTrue(killedPid > 0, "the long run trained in a warm process");
            sweep.join(TimeUnit.SECONDS.toMillis(120));
            assertFalse(sweep.isAlive(), "the sweep ended");
        } finally {
            o.stop().set(true);
            ProcessHandle.current().descendants().filter(h -> RunnerTest.cmdline(h).contains("serve"))
                    .forEach(ProcessHandle::destroyForcibly);
            sweep.join();
        }
        assertEquals(3, trained[0], "all three runs were started");
        var k = Json.readOrNull(killed.resolve("failure.json"));
        assertEquals(137, k.get("exit_code").asInt(), k.toString());
        assertTrue(k.get("reason").asText().startsWith("killed (SIGKILL)"), k.toString());
        var m = Json.readOrNull(oom.resolve("failure.json"));
        assertTrue(m.get("reason").asText().startsWith("out of memory (raise --run-memory") && m.get("reason").asText().contains("192M"),
                m.toString());
        assertEquals("done", Json.readOrNull(fine.resolve("result.json")).get("status").asText());
        // a process that failed a run trains nothing after it: every run after a failure is in a new process
        long[] kw = worker(killed), ow = worker(oom), fw = worker(fine);
        assertEquals(killedPid, kw[0]);
        for (long[] failed : List.of(kw, ow)) {
            for (long[] other : List.of(kw, ow, fw)) {
                if (other != failed && other[0] == failed[0]) {
                    assertTrue(other[1] < failed[1], "a run after the failure of run " + failed[1] + " in process " + failed[0]);
                }
            }
        }
        assertNotEquals(kw[0], ow[0], "the out-of-memory run and the killed run were not in one process");
        for (Path run : List.of(killed, oom, fine)) {
            assertEquals(1, RunnerTest.claims(run), run.toString());
            assertFalse(Files.exists(run.resolve(Locks.LOCK)), "lock released: " + run);
        }
        assertTrue(ProcessHandle.current().descendants().noneMatch(h -> RunnerTest.cmdline(h).contains("serve")),
                "no warm process outlives the sweep");
    }

    /**
     * Stopping the sweep (its Ctrl-C) while a warm process trains a run checkpoints that run, which is
     * interrupted; the next sweep run resumes it, and it ends with the losses of a run never stopped.
     */
    @Test
    void aStoppedWarmRunResumesToTheSameNumbers(@TempDir Path tmp) throws Exception {
        // long enough that the stop lands in the middle on any machine: a step of this model takes about a millisecond
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.steps: 3000, train.evalEvery: 500, train.checkpointEvery: 500}\n");
        Path dir = tmp.resolve("sweep"), ref = tmp.resolve("ref");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        List<Expansion.Point> refPts = Expansion.expand(SweepSpec.read(f), ref.resolve("runs").toString());
        Path run = dir.resolve("runs").resolve(pts.get(0).runId());
        Runner.Options o = children("512m", true);
        Thread sweep = new Thread(() -> Runner.run(dir, pts, o));
        sweep.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && !(Files.exists(run.resolve("metrics.jsonl"))
                && Files.readAllLines(run.resolve("metrics.jsonl")).size() >= 20)) {
            Thread.sleep(10);
        }
        o.stop().set(true);
        sweep.join(TimeUnit.SECONDS.toMillis(120));
        assertFalse(sweep.isAlive(), "the sweep stopped");
        var stopped = Json.readOrNull(run.resolve("result.json"));
        assertEquals("interrupted", stopped.get("status").asText(), stopped.toString());
        assertTrue(stopped.get("steps_done").asInt() < 3000, stopped.toString());
        assertEquals(1, Runner.run(dir, pts, children("512m", true)));
        assertEquals(1, Runner.run(ref, refPts, children("512m", false)));
        Path r = ref.resolve("runs").resolve(refPts.get(0).runId());
        assertEquals(Json.readOrNull(r.resolve("result.json")).get("best_val_loss").asDouble(),
                Json.readOrNull(run.resolve("result.json")).get("best_val_loss").asDouble(), 0.0);
        assertEquals(Json.readOrNull(r.resolve("result.json")).get("final_val_loss").asDouble(),
                Json.readOrNull(run.resolve("result.json")).get("final_val_loss").asDouble(), 0.0);
    }

    /**
     * {@code sweep run --reuse-jvm} starts the warm process before it reads the spec: the runs are trained by
     * that one process, and none is left behind, whether the sweep trained or refused its spec.
     */
    @Test
    void theCommandStartsItsWarmProcessAheadAndLeavesNoneBehind(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.lr: 0.003}\n  - {train.lr: 0.002}\n");
        SweepCommandTest.Out r = SweepCommandTest.cli("sweep", "run", f.toString(), "--dir", tmp.resolve("d").toString(), "--reuse-jvm",
                "--run-memory", "512m", "--lock-timeout", "5");
        assertEquals(0, r.code(), r.err());
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), tmp.resolve("d/runs").toString());
        long pid0 = worker(tmp.resolve("d/runs").resolve(pts.get(0).runId()))[0], pid1 = worker(tmp.resolve("d/runs").resolve(pts.get(1).runId()))[0];
        assertEquals(pid0, pid1, "one warm process for both runs");
        assertFalse(ProcessHandle.of(pid0).map(ProcessHandle::isAlive).orElse(false), "the warm process ended with the sweep");

        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, "name: bad\nbase:\n  model: {nLayer: 0}\npoints:\n  - {train.lr: 0.003}\n");
        SweepCommandTest.Out b = SweepCommandTest.cli("sweep", "run", bad.toString(), "--dir", tmp.resolve("b").toString(), "--reuse-jvm");
        assertEquals(2, b.code(), b.err());
        assertTrue(ProcessHandle.current().descendants().noneMatch(h -> RunnerTest.cmdline(h).contains("serve")),
                "the process started ahead for a spec that was refused is gone");
    }
}
