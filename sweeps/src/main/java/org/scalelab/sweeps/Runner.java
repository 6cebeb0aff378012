package org.scalelab.sweeps;

import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.Progress;
import org.scalelab.trainer.RunResult;
import org.scalelab.trainer.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Trains a sweep's runs one after another: skips finished ones, resumes interrupted ones from their
 * checkpoints, records diverged and failed ones (retried only with {@code retryFailed}), claims each
 * run with a lock so that several workers can share a directory, and rebuilds results.csv after every
 * run. By default each run trains in its own JVM, so an out-of-memory error or a native crash ends
 * that run, not the sweep.
 */
public final class Runner {
    /**
     * @param inProcess    train in this JVM (tests) instead of a child process per run
     * @param shard        this worker's shard index, of {@code shards}
     * @param runMemory    child JVM heap (-Xmx) and the cap of ND4J's off-heap memory
     * @param lockTimeoutMs after this long without a heartbeat a lock is taken over
     */
    public record Options(boolean inProcess, int shard, int shards, boolean retryFailed, String runMemory,
                          long lockTimeoutMs, PrintStream log, AtomicBoolean stop) {
        public static Options defaults() {
            return new Options(false, 0, 1, false, "3g", 120_000, System.err, new AtomicBoolean());
        }

        public Options inProcess(boolean v) {
            return new Options(v, shard, shards, retryFailed, runMemory, lockTimeoutMs, log, stop);
        }

        public Options shard(int i, int n) {
            return new Options(inProcess, i, n, retryFailed, runMemory, lockTimeoutMs, log, stop);
        }
    }

    private Runner() {}

    /** Runs of this shard: the i-th of every n in run-id order, the same on every machine. */
    static List<Expansion.Point> shard(List<Expansion.Point> all, int i, int n) {
        List<Expansion.Point> sorted = new ArrayList<>(all);
        sorted.sort(java.util.Comparator.comparing(Expansion.Point::runId));
        List<Expansion.Point> out = new ArrayList<>();
        for (int k = 0; k < sorted.size(); k++) if (k % n == i) out.add(sorted.get(k));
        return out;
    }

    /** Returns the number of runs this worker trained. */
    public static int run(Path sweepDir, List<Expansion.Point> points, Options o) {
        Path runs = sweepDir.resolve("runs");
        List<Expansion.Point> mine = shard(points, o.shard(), o.shards());
        int trained = 0, k = 0;
        double doneWall = 0;
        int doneCount = 0;
        ResultsCsv.rebuild(sweepDir, points, o.lockTimeoutMs());
        for (Expansion.Point p : mine) {
            k++;
            if (o.stop().get()) break;
            Path dir = runs.resolve(p.runId());
            String st = ResultsCsv.status(dir, o.lockTimeoutMs());
            if (st.equals("done")) continue;
            if ((st.equals("diverged") || st.equals("failed")) && !o.retryFailed()) continue;
            if (st.equals("running")) continue;
            if (!Locks.claim(dir, o.lockTimeoutMs())) continue;
            ScheduledExecutorService beat = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lock-heartbeat");
                t.setDaemon(true);
                return t;
            });
            beat.scheduleAtFixedRate(() -> Locks.touch(dir), o.lockTimeoutMs() / 4, o.lockTimeoutMs() / 4, TimeUnit.MILLISECONDS);
            try {
                // Re-check under the lock: another worker may have finished it meanwhile.
                st = ResultsCsv.status(dir, Long.MAX_VALUE);
                if (st.equals("done") || ((st.equals("diverged") || st.equals("failed")) && !o.retryFailed())) continue;
                if (st.equals("diverged") || st.equals("failed")) restart(dir);
                o.log().printf(Locale.ROOT, "[%d/%d] %s %s%n", k, mine.size(), p.runId(), p.coords());
                long t0 = System.nanoTime();
                String outcome = o.inProcess() ? inProcess(p, dir, o) : child(p, dir, o);
                double secs = (System.nanoTime() - t0) / 1e9;
                trained++;
                if (outcome.equals("done")) {
                    doneWall += secs;
                    doneCount++;
                }
                int left = (int) mine.stream().skip(k).count();
                o.log().printf(Locale.ROOT, "[%d/%d] %s: %s in %s%s%n", k, mine.size(), p.runId(), outcome, Progress.duration(secs),
                        doneCount > 0 && left > 0 ? " | sweep ETA " + Progress.duration(left * doneWall / doneCount) : "");
                if (outcome.equals("interrupted")) o.stop().set(true);
            } finally {
                beat.shutdownNow();
                Locks.release(dir);
                ResultsCsv.rebuild(sweepDir, points, o.lockTimeoutMs());
            }
        }
        return trained;
    }

    /** A diverged or failed run retried on request starts over. */
    private static void restart(Path dir) {
        try (var s = Files.list(dir)) {
            for (Path f : s.toList()) {
                String n = f.getFileName().toString();
                if (n.equals(".lock") || n.equals("claims.log")) continue;
                if (Files.isDirectory(f)) {
                    try (var w = Files.walk(f)) {
                        for (Path x : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
                    }
                } else {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot reset " + dir, e);
        }
    }

    private static String inProcess(Expansion.Point p, Path dir, Options o) {
        try {
            RunResult r = Trainer.train(Trainer.prepare(p.config()), dir,
                    new Trainer.Options(true, Progress.silent(), o.stop(), 0));
            return r.status();
        } catch (UserError e) {
            fail(dir, e.getMessage(), -1);
            return "failed";
        }
    }

    private static String child(Expansion.Point p, Path dir, Options o) {
        Path cfg = dir.resolve("run-config.json");
        Files2.writeAtomic(cfg, Json.pretty(p.config()));
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + o.runMemory(),
                "-Dorg.bytedeco.javacpp.maxbytes=" + o.runMemory().toUpperCase(Locale.ROOT),
                "-Dorg.bytedeco.javacpp.maxphysicalbytes=" + physical(o.runMemory()),
                "-cp", System.getProperty("java.class.path"), "org.scalelab.cli.Main",
                "train", "--config", cfg.toString(), "--out", dir.toString(), "--resume", "--quiet"));
        Path err = dir.resolve("train.log");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile());
            pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
            Process proc = pb.start();
            int code;
            long lastShown = System.nanoTime();
            double every = System.console() != null ? 5 : 30;
            while (true) {
                if (proc.waitFor(500, TimeUnit.MILLISECONDS)) {
                    code = proc.exitValue();
                    break;
                }
                if (o.stop().get()) proc.destroy(); // SIGTERM: the child checkpoints and exits 130
                if ((System.nanoTime() - lastShown) / 1e9 >= every) {
                    lastShown = System.nanoTime();
                    showProgress(p, dir, o);
                }
            }
            switch (code) {
                case 0: return "done";
                case 3: return "diverged";
                case 130: case 143: return "interrupted";
                default:
                    fail(dir, tail(err), code);
                    return "failed";
            }
        } catch (IOException e) {
            fail(dir, "cannot start the training process: " + e.getMessage(), -1);
            return "failed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** The current run's latest logged step and loss, from its metrics.jsonl. */
    private static void showProgress(Expansion.Point p, Path dir, Options o) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
            if (lines.isEmpty()) return;
            var m = Json.MAPPER.readTree(lines.get(lines.size() - 1));
            o.log().printf(Locale.ROOT, "      %s step %d/%d, train loss %s, %s tok/s%n", p.runId(), m.path("step").asInt(),
                    p.config().train().steps(), m.path("train_loss").isNumber() ? String.format(Locale.ROOT, "%.4f", m.get("train_loss").asDouble()) : "-",
                    Progress.human(m.path("tokens_per_s").asDouble()));
        } catch (IOException | RuntimeException ignored) {
            // nothing logged yet, or a line being written: show it next time
        }
    }

    /** Off-heap cap for a child: twice its heap (ND4J arrays live outside the heap). */
    static String physical(String mem) {
        String m = mem.trim().toLowerCase(Locale.ROOT);
        long mult = m.endsWith("g") ? 1L << 30 : m.endsWith("m") ? 1L << 20 : 1;
        long v = Long.parseLong(m.replaceAll("[^0-9]", ""));
        return Long.toString(3 * v * mult);
    }

    private static void fail(Path dir, String reason, int code) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("status", "failed");
        f.put("exit_code", code);
        f.put("reason", reason);
        f.put("worker", Locks.WORKER);
        Files2.writeAtomic(dir.resolve("failure.json"), Json.pretty(f));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = lines.subList(Math.max(0, lines.size() - 5), lines.size());
            return String.join(" | ", last).trim();
        } catch (IOException e) {
            return "no log";
        }
    }
}
