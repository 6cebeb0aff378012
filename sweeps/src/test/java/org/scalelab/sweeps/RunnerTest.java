package org.scalelab.sweeps;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.trainer.run.Progress;
import org.scalelab.trainer.run.Trainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunnerTest {
    static final PrintStream QUIET = new PrintStream(java.io.OutputStream.nullOutputStream());

    static Runner.Options inProcess() {
        return new Runner.Options(true, 0, 1, false, "1g", 5_000, QUIET, new AtomicBoolean());
    }

    /** The status column of results.csv, in the spec's order. */
    static List<String> statuses(Path dir) throws IOException {
        List<List<String>> rows = ResultsCsv.parse(Files.readString(dir.resolve("results.csv")));
        int col = rows.get(0).indexOf("status");
        return rows.subList(1, rows.size()).stream().map(r -> r.get(col)).toList();
    }

    static int claims(Path runDir) throws IOException {
        Path f = runDir.resolve("claims.log");
        return Files.exists(f) ? Files.readAllLines(f).size() : 0;
    }

    /**
     * A diverging run is recorded as diverged and a run with bad input as failed (with the reason); the
     * others finish. A second pass trains nothing; --retry-failed trains exactly those two again.
     */
    @Test
    void divergedAndFailedRunsDoNotStopTheSweep(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.lr: 0.003}\n  - {train.lr: 1.0e30, train.gradClip: 0, train.warmupSteps: 0}\n"
                + "  - {model.nCtx: 4000}\n  - {train.lr: 0.001}\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        assertEquals(4, Runner.run(dir, pts, inProcess()));
        assertEquals(List.of("done", "diverged", "failed", "done"), statuses(dir));
        var failure = Json.readOrNull(dir.resolve("runs").resolve(pts.get(2).runId()).resolve("failure.json"));
        assertTrue(failure.get("reason").asText().contains("model.nCtx"), failure.toString());
        var diverged = Json.readOrNull(dir.resolve("runs").resolve(pts.get(1).runId()).resolve("result.json"));
        assertEquals("diverged", diverged.get("stop_reason").asText());
        assertEquals(0, Runner.run(dir, pts, inProcess()), "finished, diverged and failed runs are skipped");
        Runner.Options retry = new Runner.Options(true, 0, 1, true, "1g", 5_000, QUIET, new AtomicBoolean());
        assertEquals(2, Runner.run(dir, pts, retry), "only the diverged and the failed run are retried");
        assertEquals(List.of("done", "diverged", "failed", "done"), statuses(dir), "they fail the same way again");
    }

    /**
     * Three workers on one directory at once — shard 0/2, shard 1/2 and an unsharded one that takes any
     * free run: every run is trained exactly once, and each sharded worker trains only its own runs.
     */
    @Test
    void concurrentWorkersAndShardsTrainEveryRunOnce(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3, 4, 5]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Runner.Options[] opts = {inProcess().shard(0, 2), inProcess().shard(1, 2), inProcess()};
        int[] trained = new int[opts.length];
        List<Thread> ts = new ArrayList<>();
        for (int w = 0; w < opts.length; w++) {
            int k = w;
            Thread t = new Thread(() -> trained[k] = Runner.run(dir, pts, opts[k]));
            t.start();
            ts.add(t);
        }
        for (Thread t : ts) t.join();
        assertEquals(pts.size(), trained[0] + trained[1] + trained[2], "each run trained by exactly one worker");
        assertTrue(trained[0] <= Runner.shard(pts, 0, 2).size() && trained[1] <= Runner.shard(pts, 1, 2).size());
        for (Expansion.Point p : pts) {
            Path runDir = dir.resolve("runs").resolve(p.runId());
            assertEquals(1, claims(runDir), p.runId());
            var r = Json.readOrNull(runDir.resolve("result.json"));
            assertEquals("done", r.get("status").asText());
            assertEquals(p.runId(), r.get("run_id").asText(), "result.json carries the directory's id");
        }
        assertEquals(List.of("done", "done", "done", "done", "done"), statuses(dir), "the last rebuild of results.csv saw every run");
        assertTrue(!Files.exists(dir.resolve("runs").resolve(pts.get(0).runId()).resolve(Locks.LOCK)), "locks released");
    }

    /**
     * Two workers as separate OS processes ({@code sweep run --in-process}: the claims are what is tested
     * here, not the child JVMs) on one directory at the same time: every run is trained exactly once, by
     * one of the two, and both trained some.
     */
    @Test
    void twoWorkerProcessesShareADirectory(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3, 4, 5, 6]\n");
        Files.writeString(f, Files.readString(f).replace("steps: 6", "steps: 100").replace("evalEvery: 3", "evalEvery: 50")
                .replace("checkpointEvery: 2", "checkpointEvery: 0"));
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Process a = sweep(f, dir, "a.log", "--in-process"), b = sweep(f, dir, "b.log", "--in-process");
        for (Process p : List.of(a, b)) {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "worker finished");
        }
        assertEquals(0, a.exitValue(), Files.readString(tmp.resolve("a.log")));
        assertEquals(0, b.exitValue(), Files.readString(tmp.resolve("b.log")));
        assertEquals(List.of("done", "done", "done", "done", "done", "done"), statuses(dir));
        Set<String> workers = new HashSet<>();
        for (Expansion.Point x : pts) {
            Path run = dir.resolve("runs").resolve(x.runId());
            List<String> lines = Files.readAllLines(run.resolve("claims.log"));
            assertEquals(1, lines.size(), x.runId() + " trained once: " + lines);
            workers.add(lines.get(0).split(" ")[0]);
            List<Long> steps = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) steps.add(Json.MAPPER.readTree(line).get("step").asLong());
            assertEquals(steps.size(), new HashSet<>(steps).size(), "one writer per run: no step logged twice");
        }
        Set<String> pids = Set.of(a.pid() + "@", b.pid() + "@");
        assertEquals(2, workers.size(), "both workers trained runs: " + workers);
        assertTrue(workers.stream().allMatch(w -> pids.stream().anyMatch(w::startsWith)), "claimed by the two processes: " + workers + " " + pids);
    }

    /**
     * What a worker killed with SIGKILL in the middle of a run leaves: a checkpoint at step 4 of 6,
     * metrics up to there, no result.json, and its lock, still fresh.
     */
    static void killedAtStep4(Expansion.Point p, Path runDir, String worker, String space) throws Exception {
        Trainer.train(Trainer.prepare(Runner.trainConfig(p, runDir)), runDir, new Trainer.Options(true, Progress.silent(), new AtomicBoolean(), 4));
        Files.delete(runDir.resolve("result.json"));
        Files.writeString(runDir.resolve("claims.log"), worker + " " + Instant.now() + " start\n");
        LocksTest.lock(runDir, worker, Instant.now(), space);
    }

    static Runner.Options logging(ByteArrayOutputStream log, long lockTimeoutMs) {
        return new Runner.Options(true, 0, 1, false, "1g", lockTimeoutMs, new PrintStream(log, true), new AtomicBoolean());
    }

    /** The metrics.jsonl lines of a run without their timings: what a resumed run must reproduce. */
    static List<String> curve(Path runDir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve("metrics.jsonl"))) {
            var j = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(line);
            for (String k : List.of("tokens_per_s", "tokens_per_s_avg", "time", "elapsed_s")) j.remove(k);
            out.add(j.toString());
        }
        return out;
    }

    /**
     * Worker A, on another machine, was killed in the middle of a run; worker B, running the sweep, finds
     * A's lock fresh. B does not end with that run unclaimed: it trains the free run, waits (saying for
     * what) until A's lock goes stale, takes the run over and resumes it from A's checkpoint. The result
     * is the uninterrupted run's, line for line.
     */
    @Test
    void aRunOfAWorkerThatDiedIsTakenOverInTheSameInvocation(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2]\n");
        Path dir = tmp.resolve("sweep"), ref = tmp.resolve("reference");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        assertEquals(2, Runner.run(ref, Expansion.expand(SweepSpec.read(f), ref.resolve("runs").toString()), inProcess()));
        Path held = dir.resolve("runs").resolve(pts.get(0).runId());
        killedAtStep4(pts.get(0), held, "4242@elsewhere", "elsewhere 97cd7280-0000-0000-0000-000000000000 pid:[1]");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        assertEquals(2, Runner.run(dir, pts, logging(log, 1_500)), "both runs trained by this invocation:\n" + log);
        assertTrue((System.nanoTime() - t0) / 1e9 >= 1.0, "it waited for the lock to go stale");
        assertEquals(List.of("done", "done"), statuses(dir));
        String out = log.toString();
        assertTrue(out.contains("waiting for " + pts.get(0).runId() + " (step 4/6): held by 4242@elsewhere, stale in "), out);
        assertTrue(out.contains("resuming " + pts.get(0).runId()), out);
        assertEquals(List.of("start", "resume"), Files.readAllLines(held.resolve("claims.log")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList());
        for (Expansion.Point p : pts) {
            assertEquals(curve(ref.resolve("runs").resolve(p.runId())), curve(dir.resolve("runs").resolve(p.runId())), p.runId());
            assertEquals(Json.readOrNull(ref.resolve("runs").resolve(p.runId()).resolve("result.json")).get("best_val_loss").asDouble(),
                    Json.readOrNull(dir.resolve("runs").resolve(p.runId()).resolve("result.json")).get("best_val_loss").asDouble(), 1e-9);
        }
        assertFalse(Files.exists(held.resolve(Locks.LOCK)), "released");
    }

    /**
     * A restart right after kill -9 on the same machine: the killed worker's lock is fresh but its process
     * is gone, so the run is resumed at once, not after the (here two-minute) lock timeout.
     */
    @Test
    void aRestartAfterAKillOnThisMachineResumesAtOnce(@TempDir Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Locks.SPACE != null, "needs /proc (Linux)");
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Path held = dir.resolve("runs").resolve(pts.get(0).runId());
        killedAtStep4(pts.get(0), held, LocksTest.deadPid() + "@" + LocksTest.host(), Locks.SPACE);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        assertEquals(1, Runner.run(dir, pts, logging(log, 120_000)), log.toString());
        assertTrue((System.nanoTime() - t0) / 1e9 < 60, "not the lock timeout");
        assertEquals(List.of("done"), statuses(dir));
        assertTrue(log.toString().contains("resuming " + pts.get(0).runId()) && !log.toString().contains("waiting for"), log.toString());
    }

    /**
     * A worker killed between writing a run's result.json and releasing its claim leaves a lock in a
     * done run; the next pass (or `sweep status`) removes it, and nothing is trained again.
     */
    @Test
    void aLockLeftInADoneRunIsRemovedOnTheNextScan(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        assertEquals(2, Runner.run(dir, pts, inProcess()));
        Path a = dir.resolve("runs").resolve(pts.get(0).runId()), b = dir.resolve("runs").resolve(pts.get(1).runId());
        LocksTest.lock(a, "4242@elsewhere", Instant.now(), null);
        LocksTest.lock(b, "4242@elsewhere", Instant.now(), null);
        assertEquals(0, Runner.run(dir, pts, inProcess()));
        assertFalse(Files.exists(a.resolve(Locks.LOCK)), "removed by the pass");
        Files.copy(f, dir.resolve("sweep.yaml"));
        LocksTest.lock(a, "4242@elsewhere", Instant.now(), null);
        SweepCommandTest.Out st = SweepCommandTest.cli("sweep", "status", dir.toString());
        assertEquals(0, st.code(), st.err());
        assertTrue(st.out().contains("2 done"), st.out());
        assertFalse(Files.exists(a.resolve(Locks.LOCK)), "removed by sweep status");
        assertEquals(1, claims(a));
        assertEquals(1, claims(b));
    }

    /** A worker that crashed while writing results.csv leaves a temporary file; the next rebuild removes it. */
    @Test
    void staleTemporaryFilesOfResultsAreRemoved(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Files.createDirectories(dir);
        Path torn = dir.resolve(".results.csv.4711.tmp"), other = dir.resolve(".other.json.1.tmp");
        Files.writeString(torn, "run_id,sta");
        Files.writeString(other, "{");
        ResultsCsv.rebuild(dir, pts, 5_000);
        assertTrue(!Files.exists(torn), "removed under the results lock");
        assertTrue(Files.exists(other), "other files' temporaries are not touched");
        assertEquals(List.of("pending", "pending"), statuses(dir));
        // without a lock (a file system that has none) only old ones go: a fresh one may be another worker's
        Files.writeString(torn, "run_id,sta");
        ResultsCsv.removeStaleTemporaries(dir, false);
        assertTrue(Files.exists(torn), "a fresh temporary stays");
        Files.setLastModifiedTime(torn, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 7_200_000));
        ResultsCsv.removeStaleTemporaries(dir, false);
        assertTrue(!Files.exists(torn), "an old one goes");
    }

    /**
     * kill -9 of the sweep process in the middle of a run (each run in its own JVM): the orphaned
     * training process notices and checkpoints itself out; results.csv torn by the crash (and a temporary
     * file left behind) is rebuilt from the run directories; the next invocation resumes the killed run
     * from its checkpoint (no logged step repeated) and does not train the finished ones again.
     */
    @Test
    void resumesAfterKill9(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2]\n");
        // long enough that the killed run is still training when its process notices (it polls every 0.5 s)
        Files.writeString(f, Files.readString(f).replace("steps: 6", "steps: 1000").replace("checkpointEvery: 2", "checkpointEvery: 20")
                .replace("evalEvery: 3", "evalEvery: 100"));
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Process p = sweep(f, dir, "first.log");
        // wait until one run is done and another has a checkpoint, then kill the sweep process hard
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        while (System.nanoTime() < deadline) {
            long done = pts.stream().filter(x -> Files.exists(dir.resolve("runs").resolve(x.runId()).resolve("result.json"))).count();
            long ck = pts.stream().filter(x -> Files.exists(dir.resolve("runs").resolve(x.runId()).resolve("checkpoint/LATEST"))).count();
            if (done >= 1 && ck > done) break;
            Thread.sleep(50);
        }
        List<ProcessHandle> children = p.descendants().toList();
        assertTrue(!children.isEmpty(), "a run is training in a child process");
        p.destroyForcibly().waitFor();                                    // SIGKILL, the sweep only
        long orphanDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < orphanDeadline) Thread.sleep(100);
        children.forEach(ProcessHandle::destroyForcibly);
        assertTrue(children.stream().noneMatch(ProcessHandle::isAlive), "the training process ended itself when its sweep died");

        Files.writeString(dir.resolve("results.csv"), "run_id,stat");        // torn by the crash
        Files.writeString(dir.resolve(".results.csv.123.tmp"), "run_id,sta");  // a temporary file left behind
        Thread.sleep(2_200);                                              // the dead worker's lock goes stale
        Process again = sweep(f, dir, "second.log");
        assertTrue(again.waitFor(150, TimeUnit.SECONDS));
        assertEquals(0, again.exitValue(), Files.readString(tmp.resolve("second.log")));
        assertEquals(List.of("done", "done"), statuses(dir));
        try (var left = Files.newDirectoryStream(dir, ".results.csv.*.tmp")) {
            assertTrue(!left.iterator().hasNext(), "the temporary file the crash left behind is removed");
        }
        int claims = 0;
        Set<Long> firstSteps = new HashSet<>();
        for (Expansion.Point x : pts) {
            Path run = dir.resolve("runs").resolve(x.runId());
            claims += claims(run);
            List<Long> steps = new ArrayList<>();
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) steps.add(Json.MAPPER.readTree(line).get("step").asLong());
            for (int i = 1; i < steps.size(); i++) assertTrue(steps.get(i) > steps.get(i - 1), "steps logged once, in order: " + steps);
            assertEquals(1000, steps.get(steps.size() - 1));
            firstSteps.add(steps.get(0));
            assertEquals(x.runId(), Json.readOrNull(run.resolve("result.json")).get("run_id").asText());
        }
        assertEquals(Set.of(0L), firstSteps);
        assertTrue(claims <= 3, "only the interrupted run is started twice: " + claims);
        String second = Files.readString(tmp.resolve("second.log"));
        assertTrue(second.contains("resuming "), "the killed run resumes from its checkpoint:\n" + second);
    }

    /** A {@code sweep run} worker process (the CLI's main class, this JVM's class path). */
    private static Process sweep(Path spec, Path dir, String log, String... more) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), "org.scalelab.cli.Main",
                "sweep", "run", spec.toString(), "--dir", dir.toString(), "--lock-timeout", "2", "--run-memory", "1g"));
        cmd.addAll(List.of(more));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.getParent().resolve(log).toFile());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb.start();
    }

    /**
     * Each run in its own JVM with the per-run memory limits: a run that runs out of memory and a run whose
     * process is killed with SIGKILL while training are each recorded as failed with the reason, and
     * the sweep trains the other run after the first one's crash.
     */
    @Test
    void crashedChildProcessesFailOnlyTheirRuns(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "reads the child's command line from /proc (Linux)");
        Path f = SweepTestSupport.spec(tmp, "points:\n  - {train.steps: 20000, train.evalEvery: 20000, train.checkpointEvery: 0}\n"
                + "  - {model.nLayer: 4, model.dModel: 512, model.nHead: 8, model.nCtx: 256, train.batchSize: 32}\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Path killed = dir.resolve("runs").resolve(pts.get(0).runId()), oom = dir.resolve("runs").resolve(pts.get(1).runId());
        Runner.Options o = new Runner.Options(false, 0, 1, false, "192m", 5_000, QUIET, new AtomicBoolean());
        int[] trained = {-1};
        Thread sweep = new Thread(() -> trained[0] = Runner.run(dir, pts, o));
        sweep.start();
        try {
            // once the long run has logged training steps, find its process, read its command line and kill it
            ProcessHandle child = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (child == null && System.nanoTime() < deadline) {
                Path metrics = killed.resolve("metrics.jsonl");
                if (Files.exists(metrics) && Files.readAllLines(metrics).size() >= 3) {
                    child = ProcessHandle.current().descendants().filter(h -> cmdline(h).contains(killed.toString()))
                            .findFirst().orElse(null);
                }
                Thread.sleep(20);
            }
            assertTrue(child != null, "the long run trains in a child process");
            List<String> args = cmdline(child);
            assertTrue(args.contains("-Xmx192m"), "heap limit: " + args);
            assertTrue(args.contains("-Dorg.bytedeco.javacpp.maxbytes=192M"), "off-heap limit: " + args);
            assertTrue(args.contains("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + 3 * 192L * 1024 * 1024), "process limit: " + args);
            assertTrue(args.contains(TrainChild.class.getName()), args.toString());
            assertTrue(child.destroyForcibly(), "SIGKILL sent");
            sweep.join(TimeUnit.SECONDS.toMillis(90));
            assertTrue(!sweep.isAlive(), "the sweep ended");
        } finally {
            o.stop().set(true);
            ProcessHandle.current().descendants()      // this test's processes only, if any is left
                    .filter(h -> String.join(" ", cmdline(h)).contains(dir.toString()))
                    .forEach(ProcessHandle::destroyForcibly);
            sweep.join();
        }
        assertEquals(2, trained[0], "both runs were started, the second after the first one's crash");
        assertEquals(List.of("failed", "failed"), statuses(dir));
        var k = Json.readOrNull(killed.resolve("failure.json"));
        assertEquals(137, k.get("exit_code").asInt(), k.toString());
        assertTrue(k.get("reason").asText().startsWith("killed (SIGKILL)"), k.toString());
        assertTrue(!Files.exists(killed.resolve("result.json")), "no result for the killed run");
        var m = Json.readOrNull(oom.resolve("failure.json"));
        assertTrue(m.get("reason").asText().startsWith("out of memory (raise --run-memory") && m.get("reason").asText().contains("192M"),
                m.toString());
        for (Path run : List.of(killed, oom)) {
            assertEquals(1, claims(run), run.toString());
            assertTrue(!Files.exists(run.resolve(Locks.LOCK)), "lock released: " + run);
        }
    }

    /**
     * A process's arguments from /proc (ProcessHandle.Info gives none for a command line longer than a
     * page, and a child's class path is longer).
     */
    static List<String> cmdline(ProcessHandle h) {
        try {
            String raw = new String(Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline")), java.nio.charset.StandardCharsets.UTF_8);
            return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
        } catch (IOException e) {
            return List.of();  // gone meanwhile
        }
    }

    @Test
    void failureReasonsSayWhatHappened(@TempDir Path tmp) throws IOException {
        Path log = tmp.resolve("train.log");
        Files.writeString(log, "run x -> y\nerror: data/x.txt: no such file; check data.corpus\n");
        assertEquals("bad input: data/x.txt: no such file; check data.corpus", Runner.reason(2, log));
        Files.writeString(log, "step 10\nstep 20\n");
        assertTrue(Runner.reason(137, log).startsWith("killed (SIGKILL): out of memory?"), Runner.reason(137, log));
        assertTrue(Runner.reason(134, log).contains("native crash"));
        assertTrue(Runner.reason(1, log).contains("exit code 1: step 10 | step 20"), Runner.reason(1, log));
        Files.writeString(log, "Exception in thread \"main\" java.lang.OutOfMemoryError: Cannot allocate new FloatPointer(12582912)\n"
                + "\tat org.bytedeco.javacpp.FloatPointer.<init>(FloatPointer.java:82)\n"
                + "Caused by: java.lang.OutOfMemoryError: Failed to allocate memory within limits: totalBytes (160M + 48M) > maxBytes (192M)\n"
                + "\tat org.bytedeco.javacpp.Pointer.deallocator(Pointer.java:700)\n\t... 19 more\n");
        assertEquals("out of memory (raise --run-memory or lower train.microBatch): java.lang.OutOfMemoryError: "
                + "Failed to allocate memory within limits: totalBytes (160M + 48M) > maxBytes (192M)", Runner.reason(1, log));
        Files.writeString(log, "Exception in thread \"main\" java.lang.IllegalStateException: outer\n\tat a.B.c(B.java:1)\n"
                + "Caused by: java.lang.ArithmeticException: / by zero\n\tat a.B.d(B.java:2)\n\t... 3 more\n");
        assertEquals("exit code 1: java.lang.ArithmeticException: / by zero", Runner.reason(1, log));
    }
}
