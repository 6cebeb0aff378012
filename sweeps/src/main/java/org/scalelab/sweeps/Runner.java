package org.scalelab.sweeps;

import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.run.Progress;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.run.RunResult;
import org.scalelab.trainer.run.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Trains a sweep's runs one after another, or {@link Slots#workers} at a time: skips finished ones, resumes interrupted ones from their
 * checkpoints, records diverged and failed ones (retried, from scratch, only with {@code retryFailed}),
 * claims each run with a lock so that several workers can share a directory, and rebuilds results.csv
 * after every run. By default each run trains in its own JVM ({@link TrainChild}), so an out-of-memory
 * error or a native crash ends that run, not the sweep.
 */
public final class Runner {
    /**
     * @param inProcess     train in this JVM (tests) instead of a child process per run
     * @param shard         this worker's shard index, of {@code shards}
     * @param retryFailed   train diverged and failed runs again, from scratch
     * @param runMemory     child JVM heap (-Xmx) and cap of ND4J's off-heap memory, e.g. "3g"; the
     *                      whole process is capped at three times it
     * @param lockTimeoutMs after this long without a heartbeat a claim is taken over
     * @param log           where progress goes
     * @param stop          set from another thread (a shutdown hook) to checkpoint the current run and return
     * @param slots         how many runs this process trains at once, and with which threads and devices
     * @param reuseJvm      each worker trains its runs in one long-lived process ({@link WarmWorker})
     *                      instead of one per run; ignored with {@code inProcess}
     */
    public record Options(boolean inProcess, int shard, int shards, boolean retryFailed, String runMemory,
                          long lockTimeoutMs, PrintStream log, AtomicBoolean stop, Slots slots, boolean reuseJvm) {
        public Options(boolean inProcess, int shard, int shards, boolean retryFailed, String runMemory,
                       long lockTimeoutMs, PrintStream log, AtomicBoolean stop, Slots slots) {
            this(inProcess, shard, shards, retryFailed, runMemory, lockTimeoutMs, log, stop, slots, false);
        }

        public Options(boolean inProcess, int shard, int shards, boolean retryFailed, String runMemory,
                       long lockTimeoutMs, PrintStream log, AtomicBoolean stop) {
            this(inProcess, shard, shards, retryFailed, runMemory, lockTimeoutMs, log, stop, Slots.ONE);
        }

        public static Options defaults() {
            return new Options(false, 0, 1, false, "3g", 120_000, System.err, new AtomicBoolean());
        }

        public Options inProcess(boolean v) {
            return new Options(v, shard, shards, retryFailed, runMemory, lockTimeoutMs, log, stop, slots, reuseJvm);
        }

        public Options shard(int i, int n) {
            return new Options(inProcess, i, n, retryFailed, runMemory, lockTimeoutMs, log, stop, slots, reuseJvm);
        }

        public Options slots(Slots v) {
            return new Options(inProcess, shard, shards, retryFailed, runMemory, lockTimeoutMs, log, stop, v, reuseJvm);
        }

        /** Each worker trains its runs back to back in one process of its own ({@link WarmWorker}). */
        public Options reuseJvm(boolean v) {
            return new Options(inProcess, shard, shards, retryFailed, runMemory, lockTimeoutMs, log, stop, slots, v);
        }
    }

    /**
     * The worker threads of one {@code sweep run}: each trains one run at a time, in a child JVM of its
     * own, claiming runs through the same locks as separate processes do.
     *
     * @param workers runs trained at once by this process (≥ 1)
     * @param threads threads of each run's process (the kernels' threads, OpenMP's and OpenBLAS's); 0 leaves
     *                the child's default, every core this machine gives it ({@link org.scalelab.trainer.kernels.Kernels#THREADS})
     * @param gpus    devices the workers are pinned to, worker i to {@code gpus[i % size]} through
     *                CUDA_VISIBLE_DEVICES; empty: the environment is left as it is
     * @param worker  which worker this is (0-based), once {@link #run} has split the slots into workers
     */
    public record Slots(int workers, int threads, List<String> gpus, int worker) {
        public static final Slots ONE = new Slots(1, 0, List.of(), 0);

        public Slots {
            gpus = List.copyOf(gpus);
        }

        /** The device of this worker, or null when none is pinned. */
        String gpu() {
            return gpus.isEmpty() ? null : gpus.get(worker % gpus.size());
        }

        Slots as(int i) {
            return new Slots(workers, threads, gpus, i);
        }

        /** "worker 2/4, 1 thread, GPU 1" for logs and locks; "" for the one worker of a default run. */
        String describe() {
            if (workers == 1 && threads == 0 && gpus.isEmpty()) return "";
            List<String> parts = new ArrayList<>();
            parts.add("worker " + (worker + 1) + "/" + workers);
            if (threads > 0) parts.add(threads + (threads == 1 ? " thread" : " threads"));
            if (gpu() != null) parts.add("GPU " + gpu());
            return String.join(", ", parts);
        }
    }

    private Runner() {}

    /**
     * Runs of this shard: the i-th of every n in run-id order, the same on every machine; runs that start
     * from another run's weights ({@code train.init}) come after all runs that do not, and the cooldown
     * branches of a run ({@code train.branch}) right after it, so that a budgets sweep finishes size by size.
     */
    static List<Expansion.Point> shard(List<Expansion.Point> all, int i, int n) {
        List<Expansion.Point> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparing((Expansion.Point x) -> x.config().train().init().isEmpty() ? 0 : 1)
                .thenComparing(x -> x.config().train().branch().isEmpty() ? x.runId()
                        : Path.of(x.config().train().branchRun()).getFileName().toString())
                .thenComparing(x -> x.config().train().branch().isEmpty() ? 0 : 1)
                .thenComparing(Expansion.Point::runId));
        List<Expansion.Point> out = new ArrayList<>();
        for (int k = 0; k < sorted.size(); k++) if (k % n == i) out.add(sorted.get(k));
        return out;
    }

    /**
     * Trains this worker's runs and returns how many it trained (started or resumed). It returns only when
     * every one of them has ended (done, diverged, failed), is left pending behind a parent that failed or
     * diverged ({@link #notDone}), or {@code stop} is set: after each pass over the grid it waits for the
     * runs other workers hold, until their locks go stale (then takes them over, resuming from the
     * checkpoint) or their runs end. A worker on this machine whose process is gone is not waited for. With
     * {@code o.slots().workers()} = K > 1, K threads each do this over the same runs, and the sum is returned.
     */
    public static int run(Path sweepDir, List<Expansion.Point> points, Options o) {
        List<Expansion.Point> mine = shard(points, o.shard(), o.shards());
        ResultsCsv.rebuild(sweepDir, points, o.lockTimeoutMs());
        List<SweepState.Run> state = SweepState.scan(sweepDir, mine, o.lockTimeoutMs());
        o.log().printf(Locale.ROOT, "%s%s%n", o.shards() > 1 ? "shard " + o.shard() + "/" + o.shards() + ": " : "",
                mine.size() + " runs: " + SweepState.summary(SweepState.counts(state)));
        int k = o.slots().workers();
        if (k <= 1) return work(sweepDir, points, mine, o);
        // K workers of one shard: each takes the next run no lock holds, so they spread over the runs as
        // separate processes would, and each waits at the end for the runs the others still train
        int[] trained = new int[k];
        RuntimeException[] failed = new RuntimeException[k];
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int w = i;
            Options mineO = o.slots(o.slots().as(w));
            Thread t = new Thread(() -> {
                try {
                    trained[w] = work(sweepDir, points, mine, mineO);
                } catch (RuntimeException e) {
                    failed[w] = e;
                    o.stop().set(true);   // the others checkpoint and return: the sweep is run again once this is fixed
                }
            }, "sweep-worker-" + (w + 1));
            t.start();
            ts.add(t);
        }
        boolean interrupted = false;
        for (Thread t : ts) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;   // the workers checkpoint on stop; wait for them all the same
                    o.stop().set(true);
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        for (RuntimeException e : failed) if (e != null) throw e;
        int total = 0;
        for (int n : trained) total += n;
        return total;
    }

    /** One worker's loop: passes over the runs, then waits for those that others hold, until every one has ended. */
    private static int work(Path sweepDir, List<Expansion.Point> points, List<Expansion.Point> mine, Options o) {
        Path runs = sweepDir.resolve("runs");
        double[] startup = {0, 0}; // seconds each run spent before training (JVM start, data), summed; runs measured
        Ctx ctx = new Ctx(sweepDir, points, mine, o, startup, new AtomicReference<>());
        Map<String, Expansion.Point> byDir = byDir(sweepDir, points);
        Map<String, String> announced = new java.util.HashMap<>(); // run id -> token of the lock whose wait was announced
        int trained = 0;
        try {
            while (!o.stop().get()) {
                trained += pass(ctx, byDir);
                if (o.stop().get()) break;
                List<Expansion.Point> open = open(sweepDir, mine, byDir, o);
                if (open.isEmpty()) break;
                waitForHolders(runs, open, o, announced);
            }
        } finally {
            WarmWorker w = ctx.warm().getAndSet(null);
            if (w != null) w.close();
        }
        return trained;
    }

    /** One pass over this worker's runs in order, training each one that is free; returns how many it trained. */
    private static int pass(Ctx ctx, Map<String, Expansion.Point> byDir) {
        Options o = ctx.o();
        Path runs = ctx.sweepDir().resolve("runs");
        int trained = 0;
        for (Expansion.Point p : ctx.mine()) {
            if (o.stop().get()) break;
            Path dir = runs.resolve(p.runId());
            String st = ResultsCsv.status(dir, o.lockTimeoutMs());
            if (!wanted(st, o) || st.equals("running")) continue;
            Expansion.Point parent = parentOf(p, byDir);
            if (parent != null) {
                // a parent nobody is training is trained here first (its claim keeps it to one worker), so
                // that shards never wait on each other's queues
                Path pdir = runs.resolve(parent.runId());
                String ps = ResultsCsv.status(pdir, o.lockTimeoutMs());
                if ((ps.equals("pending") || ps.equals("interrupted")) && train(parent, pdir, ctx)) trained++;
                if (o.stop().get() || !parentReady(p, pdir, o)) continue;
            }
            if (train(p, dir, ctx)) trained++;
        }
        return trained;
    }

    /** The sweep's points by the absolute path of their run directory, to find a run's parent by its train.init. */
    private static Map<String, Expansion.Point> byDir(Path sweepDir, List<Expansion.Point> points) {
        Map<String, Expansion.Point> byDir = new java.util.HashMap<>();
        for (Expansion.Point x : points) {
            byDir.put(sweepDir.resolve("runs").resolve(x.runId()).toAbsolutePath().normalize().toString(), x);
        }
        return byDir;
    }

    /**
     * Runs of {@code mine} that have not ended and can still be trained: pending, interrupted or held by a
     * worker (whose lock may go stale), but not those behind a parent that failed or diverged.
     */
    private static List<Expansion.Point> open(Path sweepDir, List<Expansion.Point> mine, Map<String, Expansion.Point> byDir, Options o) {
        List<Expansion.Point> out = new ArrayList<>();
        for (Expansion.Point p : mine) {
            String st = ResultsCsv.status(sweepDir.resolve("runs").resolve(p.runId()), o.lockTimeoutMs());
            if (List.of("pending", "interrupted", "running").contains(st) && blockedBy(sweepDir, p, byDir, o) == null) out.add(p);
        }
        return out;
    }

    /** The ancestor (train.init, transitively) that failed or diverged and so keeps {@code p} from training, or null. */
    private static Expansion.Point blockedBy(Path sweepDir, Expansion.Point p, Map<String, Expansion.Point> byDir, Options o) {
        Expansion.Point q = p;
        for (int depth = 0; depth < byDir.size(); depth++) {   // bounded: train.init cannot form a cycle of distinct runs
            Expansion.Point parent = parentOf(q, byDir);
            if (parent == null) return null;
            String ps = ResultsCsv.status(sweepDir.resolve("runs").resolve(parent.runId()), o.lockTimeoutMs());
            if (ps.equals("failed") || ps.equals("diverged")) return parent;
            q = parent;
        }
        return null;
    }

    /**
     * Runs of this worker that have not ended, each with why ("pending: starts from X, which failed"); empty
     * when every run ended. For the last line of {@code sweep run}.
     */
    public static List<String> notDone(Path sweepDir, List<Expansion.Point> points, Options o) {
        Map<String, Expansion.Point> byDir = byDir(sweepDir, points);
        List<String> out = new ArrayList<>();
        for (Expansion.Point p : shard(points, o.shard(), o.shards())) {
            Path dir = sweepDir.resolve("runs").resolve(p.runId());
            String st = ResultsCsv.status(dir, o.lockTimeoutMs());
            if (!List.of("pending", "interrupted", "running").contains(st)) continue;
            Expansion.Point b = blockedBy(sweepDir, p, byDir, o);
            String why;
            if (b != null) {
                why = "starts from " + b.runId() + ", which " + ResultsCsv.status(sweepDir.resolve("runs").resolve(b.runId()), o.lockTimeoutMs())
                        + "; retry that run with --retry-failed";
            } else if (st.equals("running")) {
                Locks.Holder h = Locks.holder(dir);
                why = "held by " + (h == null ? "another worker" : h.worker());
            } else {
                why = o.stop().get() ? "this worker was stopped; it resumes on the next sweep run" : "not claimed";
            }
            out.add(p.runId() + " (" + st + ": " + why + ")");
        }
        return out;
    }

    /**
     * Waits for one of the held runs among {@code open} to become free (its lock stale, its worker on this
     * machine gone) or to end, announcing each wait once per lock; returns at once when one is free already.
     */
    private static void waitForHolders(Path runs, List<Expansion.Point> open, Options o, Map<String, String> announced) {
        long poll = Math.max(200, Math.min(5_000, o.lockTimeoutMs() / 4));
        long sleep = poll;
        for (Expansion.Point p : open) {
            Path dir = runs.resolve(p.runId());
            if (!Locks.isHeld(dir, o.lockTimeoutMs())) {
                sleep = Math.min(sleep, 200);   // free (a take-over guard may have been in the way): claim it on the next pass
                continue;
            }
            Locks.Holder h = Locks.holder(dir);
            long staleIn = Locks.staleInMs(dir, o.lockTimeoutMs());
            sleep = Math.min(sleep, Math.max(50, staleIn + 50));
            String token = h == null ? "" : h.token();
            boolean sibling = h != null && h.worker().equals(Locks.WORKER);   // another worker thread of this process
            if (sibling) sleep = Math.min(sleep, 250);   // its run ends with a result, not a stale lock: see it end soon
            if (!sibling && !token.equals(announced.get(p.runId()))) {
                announced.put(p.runId(), token);
                var m = SweepState.lastMetrics(dir.resolve("metrics.jsonl"));
                o.log().printf(Locale.ROOT, "waiting for %s%s: held by %s, stale in %s unless it is refreshed%n", p.runId(),
                        m == null ? "" : " (step " + m.path("step").asLong() + "/" + p.config().train().steps() + ")",
                        h == null ? "another worker" : h.worker(), Progress.duration(Math.max(0, staleIn) / 1e3));
            }
        }
        for (long slept = 0; slept < sleep && !o.stop().get(); slept += 50) {
            try {
                Thread.sleep(Math.min(50, sleep - slept));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                o.stop().set(true);
                return;
            }
        }
    }


    /** What one worker's runs share while it trains them. */
    private record Ctx(Path sweepDir, List<Expansion.Point> points, List<Expansion.Point> mine, Options o, double[] startup,
                       AtomicReference<WarmWorker> warm) {}

    /**
     * The run of this sweep that {@code p} starts from (train.init, or the run a cooldown branch continues),
     * or null (none, or outside the sweep: the trainer checks it).
     */
    static Expansion.Point parentOf(Expansion.Point p, Map<String, Expansion.Point> byDir) {
        String init = p.config().train().branch().isEmpty() ? p.config().train().init() : p.config().train().branchRun();
        return init.isEmpty() ? null : byDir.get(Path.of(init).toAbsolutePath().normalize().toString());
    }

    /** Claims, trains and releases one run; false when another worker has it or it needs no training. */
    private static boolean train(Expansion.Point p, Path dir, Ctx ctx) {
        Path sweepDir = ctx.sweepDir();
        List<Expansion.Point> points = ctx.points(), mine = ctx.mine();
        Options o = ctx.o();
        double[] startup = ctx.startup();
        String st;
        Locks.Claim claim = Locks.claim(dir, o.lockTimeoutMs(), o.slots().describe());
        if (claim == null) return false;
        AtomicBoolean lost = new AtomicBoolean();
        ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lock-heartbeat");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(50, o.lockTimeoutMs() / 4);
        beat.scheduleAtFixedRate(() -> {
            // a lock removed because the run is done (a scan after a kill) was not taken by anyone
            if (!lost.get() && !claim.heartbeat() && !ResultsCsv.status(dir, 0).equals("done")) {
                lost.set(true);
                o.log().println("lost the claim on " + p.runId() + " (this worker was silent for longer than the lock timeout "
                        + "and another took the run over); stopping it here");
            }
        }, every, every, TimeUnit.MILLISECONDS);
        try {
            // Re-check under the claim: another worker may have finished or failed it meanwhile.
            st = ResultsCsv.status(dir, 0);
            if (!wanted(st, o)) return false;
            if (st.equals("diverged") || st.equals("failed")) restart(dir);
            Locks.logStart(dir, st.equals("interrupted") ? "resume" : "start");
            String slot = o.slots().describe();
            o.log().printf(Locale.ROOT, "%s %s %s%s%n", st.equals("interrupted") ? "resuming" : "training", p.runId(), describe(p),
                    slot.isEmpty() ? "" : " [" + slot + "]");
            long t0 = System.nanoTime();
            String outcome = o.inProcess() ? inProcess(p, dir, o, lost)
                    : child(p, dir, o, lost, () -> progress(sweepDir, points, mine, o, startup), ctx.warm());
            double secs = (System.nanoTime() - t0) / 1e9;
            // the run's files are written: free it now, before the slower bookkeeping below, so that a kill
            // from here on leaves no lock behind
            stopBeating(beat);
            claim.release();
            var result = Json.readOrNull(dir.resolve("result.json"));
            if (outcome.equals("done") && result != null && st.equals("pending")) {
                startup[0] += Math.max(0, secs - result.path("wall_s").asDouble());
                startup[1]++;
            }
            o.log().printf(Locale.ROOT, "%s: %s in %s%s | %s%n", p.runId(), outcome, Progress.duration(secs),
                    bestVal(dir.resolve("result.json")), progress(sweepDir, points, mine, o, startup));
            if (outcome.equals("interrupted") && !lost.get()) o.stop().set(true);
        } finally {
            stopBeating(beat);
            claim.release();   // only while the lock is still this claim's: a lost run's new owner keeps it
            ResultsCsv.rebuild(sweepDir, points, o.lockTimeoutMs());
        }
        return true;
    }

    /** Stops the heartbeat and waits for a beat in flight, so that none runs after the release. */
    private static void stopBeating(ScheduledExecutorService beat) {
        beat.shutdownNow();
        try {
            beat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A run that starts from another run of this sweep ({@code train.init}) waits while that run is being
     * trained by another worker, and is left pending (with a line saying why) when the parent failed or
     * diverged. (A parent nobody has started, or whose worker is gone, is trained by the worker that needs
     * it on its next pass, see {@link #run}.)
     */
    static boolean parentReady(Expansion.Point p, Path parent, Options o) {
        boolean said = false;
        while (!o.stop().get()) {
            String ps = ResultsCsv.status(parent, o.lockTimeoutMs());
            if (ps.equals("done")) return true;
            if (ps.equals("pending") || ps.equals("interrupted")) return false; // its worker is gone: the next pass trains it
            if (!ps.equals("running")) {
                o.log().printf(Locale.ROOT, "%s: left pending: it starts from %s, which is %s; run the sweep again once that run is done%n",
                        p.runId(), parent.getFileName(), ps);
                return false;
            }
            if (!said) o.log().printf(Locale.ROOT, "%s: waiting for %s (being trained by another worker)%n", p.runId(), parent.getFileName());
            said = true;
            try {
                Thread.sleep(Math.max(200, Math.min(5_000, o.lockTimeoutMs() / 4)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    private static boolean wanted(String status, Options o) {
        return switch (status) {
            case "done" -> false;
            case "diverged", "failed" -> o.retryFailed();
            default -> true;
        };
    }

    private static int done(List<SweepState.Run> state) {
        return (int) state.stream().filter(r -> r.status().equals("done")).count();
    }

    private static String describe(Expansion.Point p) {
        var m = p.config().model();
        var t = p.config().train();
        double n = org.scalelab.trainer.model.Accounting.of(m.withVocab(Math.max(1, m.nVocab()))).nonEmbedding();
        return String.format(Locale.ROOT, "(nLayer %d, dModel %d, nHead %d, N %s, D %s)%s", m.nLayer(), m.dModel(), m.nHead(),
                Progress.human(n), Progress.human((double) t.steps() * t.batchSize() * m.nCtx()), p.coords().isEmpty() ? "" : " " + p.coords());
    }

    /** The best val loss of a finished run, for the log line. */
    private static String bestVal(Path resultJson) {
        var r = Json.readOrNull(resultJson);
        if (r == null || !r.path("best_val_loss").isNumber()) return "";
        return String.format(Locale.ROOT, ", best val loss %.4f", r.get("best_val_loss").asDouble());
    }

    /** "3 of 8 runs done, ETA 4m10s": this worker's runs, timed by a model fitted to all finished runs. */
    static String progress(Path sweepDir, List<Expansion.Point> points, List<Expansion.Point> mine, Options o, double[] startup) {
        List<SweepState.Run> all = SweepState.scan(sweepDir, points, o.lockTimeoutMs());
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (Expansion.Point p : mine) ids.add(p.runId());
        List<SweepState.Run> my = all.stream().filter(r -> ids.contains(r.point().runId())).toList();
        TimeModel m = SweepState.model(all);
        if (startup[1] > 0) m = m.withStartup(startup[0] / startup[1]);
        double eta = SweepState.remainingSeconds(my, m);
        return String.format(Locale.ROOT, "%d of %d runs done%s", done(my), my.size(), eta > 0 ? ", ETA " + Progress.duration(eta) : "");
    }

    /**
     * The config handed to the trainer: the point's, named by its run id so that result.json and
     * spec.json carry the same id as the directory. A run started before runs were named keeps its config.
     */
    static RunConfig trainConfig(Expansion.Point p, Path dir) {
        RunConfig named = new RunConfig(p.runId(), p.config().out(), p.config().model(), p.config().data(), p.config().train());
        var spec = Json.readOrNull(dir.resolve("spec.json"));
        if (spec != null && spec.path("config").path("name").asText("").isEmpty()) return p.config();
        return named;
    }

    /** A diverged or failed run retried on request starts over. */
    private static void restart(Path dir) {
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (n.equals(Locks.LOCK) || n.equals("claims.log")) continue;
                if (Files.isDirectory(f)) {
                    try (var w = Files.walk(f)) {
                        for (Path x : w.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
                    }
                } else {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reset " + dir, e);
        }
    }

    private static String inProcess(Expansion.Point p, Path dir, Options o, AtomicBoolean lost) {
        AtomicBoolean runStop = new AtomicBoolean();
        ScheduledExecutorService follow = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "run-stop");
            t.setDaemon(true);
            return t;
        });
        follow.scheduleAtFixedRate(() -> {
            if (o.stop().get() || lost.get()) runStop.set(true);
        }, 100, 100, TimeUnit.MILLISECONDS);
        try {
            RunResult r = Trainer.train(Trainer.prepare(trainConfig(p, dir)), dir,
                    new Trainer.Options(true, Progress.silent(), runStop, 0));
            return r.status();
        } catch (UserError e) {
            fail(dir, e.getMessage(), 2);
            return "failed";
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            StringWriter w = new StringWriter();
            e.printStackTrace(new PrintWriter(w));
            fail(dir, e + " | " + w.toString().lines().skip(1).limit(4).map(String::trim).reduce((a, b) -> a + " | " + b).orElse(""), 1);
            return "failed";
        } finally {
            follow.shutdownNow();
        }
    }

    private static String child(Expansion.Point p, Path dir, Options o, AtomicBoolean lost, java.util.function.Supplier<String> progress,
                                AtomicReference<WarmWorker> warm) {
        Path cfg = dir.resolve("run-config.json");
        Files2.writeAtomic(cfg, Json.pretty(trainConfig(p, dir)));
        List<String> trainArgs = List.of("train", "--config", cfg.toString(), "--out", dir.toString(), "--resume", "--quiet");
        Path log = dir.resolve("train.log");
        try {
            RunProcess job;
            if (o.reuseJvm()) {
                WarmWorker w = warm.get();
                if (w == null || !w.alive()) {
                    w = WarmWorker.start(serveCommand(o), env -> environment(env, o.slots()));
                    warm.set(w);
                }
                w.submit(trainArgs, log);
                job = RunProcess.of(w);
            } else {
                ProcessBuilder pb = new ProcessBuilder(childCommand(o, trainArgs.toArray(String[]::new))).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
                environment(pb.environment(), o.slots());
                job = RunProcess.of(pb.start());
            }
            long lastShown = System.nanoTime();
            double every = System.console() != null ? 10 : 30;
            boolean signalled = false;
            WarmWorker.Exit exit;
            while ((exit = job.poll(250)) == null) {
                if (lost.get()) {
                    job.kill();         // another worker owns the run now: write nothing more into it
                } else if (o.stop().get() && !signalled) {
                    job.terminate();    // SIGTERM: the run checkpoints and its process exits 130 (143)
                    signalled = true;
                }
                if ((System.nanoTime() - lastShown) / 1e9 >= every) {
                    lastShown = System.nanoTime();
                    showProgress(p, dir, o, progress);
                }
            }
            if (o.reuseJvm() && !exit.alive()) {
                WarmWorker w = warm.getAndSet(null);   // the next run gets a new process
                if (w != null) w.close();
            }
            int code = exit.code();
            if (lost.get()) return "lost";
            var result = Json.readOrNull(dir.resolve("result.json"));
            String status = result == null ? null : result.path("status").asText();
            if (code == 0 && "done".equals(status)) return "done";
            if (code == 3 && "diverged".equals(status)) return "diverged";
            if ((code == 130 || code == 143) && (o.stop().get() || "interrupted".equals(status))) return "interrupted";
            fail(dir, reason(code, log), code);
            return "failed";
        } catch (IOException e) {
            fail(dir, "cannot start the training process: " + e.getMessage(), -1);
            return "failed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * The command line of a training process of this worker: the run memory as heap and off-heap cap, 3× it
     * for the whole process, the worker's threads, and {@code args} for {@link TrainChild}.
     */
    static List<String> childCommand(Options o, String... args) {
        String mem = o.runMemory().toLowerCase(Locale.ROOT);
        return TrainChild.command(mem, mem.toUpperCase(Locale.ROOT), Long.toString(3 * bytes(mem)), o.slots().threads(), args);
    }

    /** The command line of a worker's warm process ({@code --reuse-jvm}): a run's own, in serve mode. */
    static List<String> serveCommand(Options o) {
        return childCommand(o, "serve");
    }

    /**
     * Starts the warm process of each of this process' workers now ({@code --reuse-jvm}), ahead of their
     * first runs; {@link WarmWorker#closePrestarted} ends those that no worker took.
     */
    public static void prestartWarmWorkers(Options o) {
        if (!o.reuseJvm() || o.inProcess()) return;
        for (int i = 0; i < o.slots().workers(); i++) {
            Options w = o.slots(o.slots().as(i));
            try {
                WarmWorker.prestart(serveCommand(w), env -> environment(env, w.slots()));
            } catch (IOException e) {
                return;   // each worker starts its own when it needs it, and says why if that fails too
            }
        }
    }

    /** Ends the warm processes started ahead that no worker took. */
    public static void closePrestartedWarmWorkers() {
        WarmWorker.closePrestarted();
    }

    /**
     * A run's process environment: its thread count for OpenMP (ND4J's native ops) and OpenBLAS, and the
     * worker's device. The kernels' own threads follow the JVM's processor count ({@link TrainChild#command}).
     */
    static void environment(Map<String, String> env, Slots slots) {
        env.putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        if (slots.threads() > 0) {
            env.put("OMP_NUM_THREADS", Integer.toString(slots.threads()));
            env.put("OPENBLAS_NUM_THREADS", Integer.toString(slots.threads()));
        }
        if (slots.gpu() != null) env.put("CUDA_VISIBLE_DEVICES", slots.gpu());
    }

    /** Why a child failed, in one line: its exit code's meaning and the end of its log. */
    static String reason(int code, Path log) {
        String what = switch (code) {
            case 2 -> "bad input";
            case 3 -> "diverged without a result";
            case 130, 143 -> "interrupted from outside the sweep";
            case 134 -> "aborted (a native crash; see hs_err_pid*.log in the working directory)";
            case 137 -> "killed (SIGKILL): out of memory? raise --run-memory or lower train.microBatch";
            default -> "exit code " + code;
        };
        List<String> lines;
        try {
            lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            lines = List.of();
        }
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith("error: ")) return what + ": " + lines.get(i).substring(7).trim();
        }
        // an uncaught error: its root cause (the last "Caused by:"), not the last frames of its stack trace
        String oom = null, thrown = null;
        for (String l : lines) {
            String t = l.trim(), error = t.replaceFirst("^(Caused by: |Exception in thread \"[^\"]*\" )", "");
            if (t.contains("java.lang.OutOfMemoryError")) oom = error;
            if (t.startsWith("Exception in thread ") || (thrown != null && t.startsWith("Caused by: "))) thrown = error;
        }
        if (oom != null) return "out of memory (raise --run-memory or lower train.microBatch): " + oom;
        if (thrown != null) return what + ": " + thrown;
        List<String> last = lines.subList(Math.max(0, lines.size() - 4), lines.size());
        return what + (last.isEmpty() ? "" : ": " + String.join(" | ", last.stream().map(String::trim).toList()));
    }

    /** The current run's latest logged step and loss, and the sweep's progress. */
    private static void showProgress(Expansion.Point p, Path dir, Options o, java.util.function.Supplier<String> progress) {
        try {
            var m = SweepState.lastMetrics(dir.resolve("metrics.jsonl"));
            if (m == null) return;
            double loss = m.path("train_loss").asDouble(Double.NaN), tps = m.path("tokens_per_s").asDouble(Double.NaN);
            o.log().printf(Locale.ROOT, "      %s step %d/%d, train loss %s, %s tok/s | %s%n", p.runId(), m.path("step").asInt(),
                    p.config().train().steps(), Double.isNaN(loss) ? "-" : String.format(Locale.ROOT, "%.4f", loss),
                    Double.isNaN(tps) ? "-" : Progress.human(tps), progress.get());
        } catch (RuntimeException ignored) {
            // a file being written: show it next time
        }
    }

    /** "3g" or "1500m" in bytes. */
    static long bytes(String mem) {
        String m = mem.trim().toLowerCase(Locale.ROOT);
        long mult = m.endsWith("g") ? 1L << 30 : m.endsWith("m") ? 1L << 20 : m.endsWith("k") ? 1L << 10 : 1;
        return Long.parseLong(m.replaceAll("[^0-9]", "")) * mult;
    }

    private static void fail(Path dir, String reason, int code) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("status", "failed");
        f.put("exit_code", code);
        f.put("reason", reason);
        f.put("worker", Locks.WORKER);
        f.put("time", java.time.Instant.now().toString());
        Files2.writeAtomic(dir.resolve("failure.json"), Json.pretty(f));
    }
}
