package org.scalelab.sweeps;

import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.run.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code scalelab sweep …}: plan, run, inspect and export grids of runs. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Grids of runs that resume, isolate failures and shard across machines.",
        subcommands = {SweepCommand.Plan.class, SweepCommand.Run.class, SweepCommand.Status.class,
                SweepCommand.Results.class, SweepCommand.Emit.class})
public final class SweepCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Exit code of {@code sweep run} when runs of its shard are left not done (behind a failed parent). */
    static final int NOT_DONE = 4;

    /** How long a silent claim lasts for commands that only read a sweep (status, results). */
    static final long READ_LOCK_TIMEOUT_MS = 120_000;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The sweep directory of a spec: --dir, else experiments/NAME. */
    static Path dirOf(SweepSpec s, Path dir) {
        return dir != null ? dir : Path.of("experiments").resolve(s.name());
    }

    static List<Expansion.Point> expand(SweepSpec s, Path dir) {
        return expand(s, dir, true);
    }

    /** @param checkFiles check that text corpora exist on this machine (not for directories or jobs read elsewhere) */
    static List<Expansion.Point> expand(SweepSpec s, Path dir, boolean checkFiles) {
        List<Expansion.Point> pts = Expansion.expand(s, dir.resolve("runs").toString(), checkFiles);
        if (pts.isEmpty()) throw new UserError(s.file + ": the spec expands to no runs");
        return pts;
    }

    /** The spec of an existing sweep directory. */
    static SweepSpec specOf(Path dir) {
        Path f = dir.resolve("sweep.yaml");
        if (!Files.isRegularFile(f)) {
            throw new UserError(dir + ": not a sweep directory (no sweep.yaml); give the directory that `sweep run` wrote into");
        }
        return SweepSpec.read(f);
    }

    /** The time model for a plan: refitted to the sweep's finished runs when its directory has any. */
    static TimeModel timeModel(Path dir, List<Expansion.Point> pts) {
        if (!Files.isDirectory(dir.resolve("runs"))) return TimeModel.defaults();
        return SweepState.model(SweepState.scan(dir, pts, READ_LOCK_TIMEOUT_MS));
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, description = "Show every run of a spec with its shape, N, D, C, tokens per "
            + "parameter, epochs, Kaplan's overfitting check and the estimated time, and the totals, without training.",
            footer = {"", "Example:", "  scalelab sweep plan examples/kaplan-tiny.yaml"})
    static final class Plan implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;
        @Parameters(paramLabel = "SPEC") Path specFile;
        @Option(names = "--dir", description = "Sweep directory, for the time of a sweep already started (default: experiments/NAME).") Path dir;
        @Option(names = "--no-data", description = "Do not open the corpora (vocabulary, distinct tokens and epochs stay unknown for text files).") boolean noData;
        @Option(names = "--gflops", description = "Time the runs at this achieved training rate (GFLOP/s) instead of the model of "
                + "this project's CPU step or the sweep's finished runs, e.g. 20000 for a GPU at 40% of 50 TFLOP/s.") Double gflops;
        @Option(names = "--workers", paramLabel = "K", description = "Also show the packing of `sweep run --workers K` (K runs at once) "
                + "and its estimated wall time.") Integer workers;
        @Option(names = "--threads-per-run", paramLabel = "T", description = "With --workers: the threads per run to show (default max(1, cores / K)).") Integer threadsPerRun;
        @Option(names = "--measure-packing", description = "Time the training step of the sweep's smallest, median and largest shapes with "
                + "K runs at once (K = 1, 2, 4, … up to the cores, cores/K threads each) and print each packing's wall time, with and "
                + "without --reuse-jvm, and the fastest (CPU; about 10-60 s on a small sweep).") boolean measurePacking;
        @Option(names = "--repeats", defaultValue = "3", description = "With --measure-packing: alternating repeats per shape, the "
                + "median taken (default: ${DEFAULT-VALUE}).") int repeats;
        @Option(names = "--bench-steps", defaultValue = "20", description = "With --measure-packing: timed steps per measurement "
                + "(default: ${DEFAULT-VALUE}).") int benchSteps;

        @Override
        public Integer call() {
            SweepSpec s = SweepSpec.read(specFile);
            Path d = dirOf(s, dir);
            Expansion.Expanded all = Expansion.expandAll(s, d.resolve("runs").toString(), false);
            List<Expansion.Point> pts = all.listed();
            Map<DataSpec, Corpora.Info> data = Map.of();
            if (!noData) {
                Set<DataSpec> specs = new LinkedHashSet<>();
                Set<String> noted = new HashSet<>();
                for (Expansion.Point p : pts) {
                    DataSpec ds = p.config().data();
                    if (Corpora.isSynthetic(ds.corpus()) || Dataset.onDisk(ds.corpus())) {
                        specs.add(ds);
                    } else if (noted.add(ds.corpus())) {
                        System.err.println("note: data.corpus '" + ds.corpus() + "' is not on this disk (a catalogue name is downloaded, "
                                + "a glob matched, when a run opens it); its vocabulary, tokens and epochs are left unknown here");
                    }
                }
                data = Corpora.open(specs);
            }
            TimeModel m = timeModel(d, pts);
            if (gflops != null) {
                if (!(gflops > 0)) throw new UserError("--gflops must be > 0, got " + gflops);
                m = new TimeModel(m.startupS(), 0, gflops * 1e9);
            }
            PrintWriter out = cmd.commandLine().getOut();
            PlanTable.print(out, all, data, m, !m.equals(TimeModel.defaults()));
            if (workers != null || threadsPerRun != null) {
                int cores = Runtime.getRuntime().availableProcessors();
                Runner.Slots sl = slots(workers, threadsPerRun, null, Map.of(), cores);
                PlanTable.packing(out, PlanTable.rows(Runner.shard(pts, 0, 1), data, m), sl, cores);
            }
            if (measurePacking) {
                if (repeats < 1) throw new UserError("--repeats must be ≥ 1, got " + repeats);
                if (benchSteps < 1) throw new UserError("--bench-steps must be ≥ 1, got " + benchSteps);
                int cores = Runtime.getRuntime().availableProcessors();
                List<PlanTable.Row> rows = PlanTable.rows(Runner.shard(pts, 0, 1), data, m);
                List<Packing.Way> ways = Packing.ways(cores);
                List<Packing.Row> shapes = Packing.representatives(rows, data);
                out.flush();
                PrintWriter err = cmd.commandLine().getErr();
                err.printf(Locale.ROOT, "measuring the training step: %d shape(s) × %d packing(s) × %d repeat(s)%n",
                        shapes.size(), ways.size(), repeats);
                err.flush();
                List<Packing.Measured> ms = Packing.measure(shapes, ways, benchSteps, repeats, err);
                Packing.print(out, rows, ms, ways, m.startupS(), cores, benchSteps, repeats);
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Train every run of a spec that is not done yet; "
            + "interrupt it any way and run it again to continue.",
            footer = {"", "Examples:", "  scalelab sweep run examples/kaplan-tiny.yaml",
                    "  scalelab sweep run spec.yaml --dir /shared/sweep --shard 3/8     (worker 3 of eight)",
                    "  scalelab sweep run spec.yaml --workers 2                         (two runs at once, cores / 2 threads each)",
                    "  scalelab sweep run spec.yaml --gpus 0,0,1,1                      (four runs at once, two per GPU)",
                    "  scalelab sweep run spec.yaml --reuse-jvm                         (one warm process trains the runs back to back)",
                    "", "It ends when every run of this worker has ended: runs that other workers hold are waited for "
                    + "until they end or their lock goes stale (--lock-timeout), then taken over and resumed.",
                    "", "Exit codes: 0 every run of this worker ended (done, diverged or failed: see sweep status), "
                    + "2 bad spec, 4 runs left not done (the last line says which and why), 130 interrupted."})
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "SPEC") Path specFile;
        @Option(names = "--dir", description = "Sweep directory (default: experiments/NAME).") Path dir;
        @Option(names = "--shard", paramLabel = "I/N", description = "Train only shard I of N (0-based), e.g. 0/4.") String shard;
        @Option(names = "--retry-failed", description = "Train diverged and failed runs again, from scratch.") boolean retryFailed;
        @Option(names = "--in-process", description = "Train in this JVM instead of one child process per run (no isolation).") boolean inProcess;
        @Option(names = "--run-memory", defaultValue = "3g", description = "Heap per run; ND4J's off-heap memory is capped at the same "
                + "size and the run's whole process at 3× it (default: ${DEFAULT-VALUE}).") String runMemory;
        @Option(names = "--lock-timeout", defaultValue = "120", description = "Seconds after which a silent worker's claim is taken over "
                + "(default: ${DEFAULT-VALUE}); a claim of a worker on this machine whose process is gone is taken over at once.") int lockTimeout;
        @Option(names = "--workers", paramLabel = "K", description = "Train K runs at once, each in its own process (default: 1, or one "
                + "per entry of --gpus). They claim runs through the same locks as separate workers, so this composes with --shard.") Integer workers;
        @Option(names = "--threads-per-run", paramLabel = "T", description = "Threads of each run's process (default: every core with one "
                + "worker, else max(1, cores / K)).") Integer threadsPerRun;
        @Option(names = "--gpus", paramLabel = "LIST", description = "Pin worker i to device LIST[i mod length] (CUDA_VISIBLE_DEVICES of its "
                + "runs), e.g. 0,1 or 0,0,1,1 for two workers per GPU; auto: the devices in this process's CUDA_VISIBLE_DEVICES.") String gpus;
        @Option(names = "--reuse-jvm", description = "Each worker trains its runs back to back in one process of its own, paying the JVM "
                + "start and ND4J's set-up once; a run that crashes it fails alone and the worker starts a new process.") boolean reuseJvm;

        @Override
        public Integer call() throws IOException {
            Runner.Slots slots = slots(workers, threadsPerRun, gpus, System.getenv(), Runtime.getRuntime().availableProcessors());
            if (inProcess && (threadsPerRun != null || gpus != null)) {
                throw new UserError("--threads-per-run and --gpus set the runs' own processes; drop them or drop --in-process");
            }
            if (inProcess && reuseJvm) throw new UserError("--reuse-jvm trains in a process beside this one, --in-process in this one; pick one");
            if (!runMemory.matches("[0-9]+[mMgG]")) throw new UserError("--run-memory '" + runMemory + "': use e.g. 2g or 1500m");
            if (lockTimeout < 1) throw new UserError("--lock-timeout must be ≥ 1 second, got " + lockTimeout);
            // warm processes boot while this one reads the spec and the corpora
            Runner.prestartWarmWorkers(new Runner.Options(false, 0, 1, false, runMemory.toLowerCase(Locale.ROOT), lockTimeout * 1000L,
                    System.err, new AtomicBoolean(), slots, reuseJvm));
            try {
                return train(slots);
            } finally {
                Runner.closePrestartedWarmWorkers();
            }
        }

        private int train(Runner.Slots slots) throws IOException {
            SweepSpec s = SweepSpec.read(specFile);
            Path d = dirOf(s, dir);
            List<Expansion.Point> pts = expand(s, d);
            int[] sh = parseShard(shard);
            Files.createDirectories(d);
            Path copy = d.resolve("sweep.yaml");
            if (Files.exists(copy) && !Files.readString(copy).equals(s.text)) {
                Files2.writeAtomic(d.resolve("sweep.yaml.previous"), Files.readString(copy));
                System.err.println("note: " + copy + " differed from " + specFile + "; the old copy is sweep.yaml.previous "
                        + "(runs of the old spec stay in runs/ but leave results.csv)");
            }
            Files2.writeAtomic(copy, s.text);
            System.err.printf(Locale.ROOT, "sweep %s: %d runs -> %s%s%n", s.name(), pts.size(), d,
                    sh[1] > 1 ? " (shard " + sh[0] + "/" + sh[1] + ")" : "");
            List<Expansion.Point> mine = Runner.shard(pts, sh[0], sh[1]);
            PrintWriter err = new PrintWriter(System.err, true);
            showShapes(err, d, pts, mine);
            err.flush();
            if (slots.workers() > 1 || slots.threads() > 0 || !slots.gpus().isEmpty()) {
                System.err.printf(Locale.ROOT, "%d run(s) at once%s%s%n", slots.workers(),
                        slots.threads() > 0 ? ", " + slots.threads() + " thread(s) each" : "",
                        slots.gpus().isEmpty() ? "" : ", on GPUs " + String.join(",", slots.gpus()) + " (worker i on entry i mod "
                                + slots.gpus().size() + ")");
            }
            Runner.Options o = new Runner.Options(inProcess, sh[0], sh[1], retryFailed, runMemory.toLowerCase(Locale.ROOT),
                    lockTimeout * 1000L, System.err, new AtomicBoolean(), slots, reuseJvm);
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                o.stop().set(true);
                try {
                    finished.await(180, TimeUnit.SECONDS); // the current run checkpoints before this JVM exits
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "sweep-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                pts = LrSearch.run(s, d, pts, o);
            } finally {
                finished.countDown();
            }
            if (!o.stop().get()) Runtime.getRuntime().removeShutdownHook(hook);
            var state = SweepState.scan(d, pts, lockTimeout * 1000L);
            System.err.println("sweep " + s.name() + ": " + SweepState.summary(SweepState.counts(state)) + " -> " + d.resolve("results.csv"));
            List<String> open = LrSearch.notDone(s, d, pts, o);
            if (!open.isEmpty()) System.err.println("sweep " + s.name() + ": not done: " + String.join(", ", open));
            return o.stop().get() ? 130 : open.isEmpty() ? 0 : NOT_DONE;
        }
    }

    /**
     * The resolved shapes of this worker's runs before it trains: the plan's table, or above
     * {@link PlanTable#MAX_TABLE_RUNS} runs a line per shape family and the totals.
     */
    static void showShapes(PrintWriter out, Path d, List<Expansion.Point> pts, List<Expansion.Point> mine) {
        TimeModel m = timeModel(d, pts);
        List<PlanTable.Row> rows = PlanTable.rows(mine, Map.of(), m);
        if (mine.size() <= PlanTable.MAX_TABLE_RUNS) {
            PlanTable.print(out, rows, m, !m.equals(TimeModel.defaults()));
        } else {
            PlanTable.summary(out, rows, m, !m.equals(TimeModel.defaults()));
        }
    }

    /**
     * The worker threads of {@code sweep run} from its options: K (default 1, or one per device of
     * {@code gpus}), threads per run (default max(1, cores / K) when K > 1, else the child's default) and
     * the device list, {@code auto} reading it from CUDA_VISIBLE_DEVICES.
     */
    static Runner.Slots slots(Integer workers, Integer threads, String gpus, Map<String, String> env, int cores) {
        List<String> devices = gpus == null ? List.of() : parseGpus(gpus, env);
        int k = workers != null ? workers : Math.max(1, devices.size());
        if (k < 1) throw new UserError("--workers must be ≥ 1, got " + k);
        if (threads != null && threads < 1) throw new UserError("--threads-per-run must be ≥ 1, got " + threads);
        int t = threads != null ? threads : k > 1 ? Math.max(1, cores / k) : 0;
        return new Runner.Slots(k, t, devices, 0);
    }

    /** "0,1", "0,0,1,1", GPU UUIDs, or auto (this process's CUDA_VISIBLE_DEVICES) as a list of devices. */
    static List<String> parseGpus(String gpus, Map<String, String> env) {
        String list = gpus.trim();
        if (list.equals("auto")) {
            list = env.getOrDefault("CUDA_VISIBLE_DEVICES", "").trim();
            if (list.isEmpty()) {
                throw new UserError("--gpus auto: CUDA_VISIBLE_DEVICES is not set or empty; name the devices instead, e.g. --gpus 0,1");
            }
        }
        List<String> out = new ArrayList<>();
        for (String g : list.split(",", -1)) {
            String x = g.trim();
            if (!x.matches("[0-9]{1,4}|(GPU|MIG)-[A-Za-z0-9/-]+")) {
                throw new UserError("--gpus '" + gpus + "'" + (gpus.trim().equals("auto") ? " (CUDA_VISIBLE_DEVICES='" + list + "')" : "")
                        + ": expected device ids separated by commas, e.g. 0,1 or 0,0,1,1 (two workers per GPU), or auto");
            }
            out.add(x);
        }
        return out;
    }

    static int[] parseShard(String s) {
        if (s == null) return new int[]{0, 1};
        String[] p = s.split("/");
        try {
            int i = Integer.parseInt(p[0].trim()), n = Integer.parseInt(p[1].trim());
            if (n >= 1 && i >= 0 && i < n && p.length == 2) return new int[]{i, n};
        } catch (RuntimeException ignored) {
            // fall through to the message
        }
        throw new UserError("--shard '" + s + "': expected I/N with 0 ≤ I < N, e.g. 0/4");
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Done / running / interrupted / pending / diverged / failed "
            + "runs of a sweep, what the running ones are doing, why the failed ones failed, and the ETA.",
            footer = {"", "Example:", "  scalelab sweep status experiments/kaplan-tiny --all"})
    static final class Status implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;
        @Parameters(paramLabel = "DIR") Path dir;
        @Option(names = "--workers", description = "Workers sharing the sweep, for the ETA (default: the number of runs training now, at least 1).") Integer workers;
        @Option(names = "--all", description = "One line for every run, not only the running, diverged and failed ones.") boolean all;

        @Override
        public Integer call() {
            List<Expansion.Point> pts = expand(specOf(dir), dir, false);
            List<SweepState.Run> runs = SweepState.scan(dir, pts, READ_LOCK_TIMEOUT_MS);
            Map<String, Integer> c = SweepState.counts(runs);
            PrintWriter out = cmd.commandLine().getOut();
            out.printf(Locale.ROOT, "%s: %d runs: %s%n", dir, pts.size(), SweepState.summary(c));
            for (String l : LrSearch.statusLines(specOf(dir), dir, READ_LOCK_TIMEOUT_MS)) out.println(l);
            for (SweepState.Run r : runs) {
                if (all || List.of("running", "diverged", "failed").contains(r.status())) out.println("  " + line(r));
            }
            String active = activeWorkers(runs);
            if (!active.isEmpty()) out.println(active);
            int w = workers != null ? Math.max(1, workers) : Math.max(1, c.get("running"));
            TimeModel m = SweepState.model(runs);
            double left = SweepState.remainingSeconds(runs, m);
            int finished = c.get("done") + c.get("diverged") + c.get("failed");
            if (left > 0) {
                out.printf(Locale.ROOT, "ETA %s with %d worker(s) (%d of %d runs left; time per run %s)%n", Progress.duration(left / w), w,
                        pts.size() - finished, pts.size(), c.get("done") > 0 ? "fitted to the " + c.get("done") + " finished runs"
                                : "estimated for the development machine's CPU until runs finish");
            }
            if (c.get("diverged") + c.get("failed") > 0) {
                out.println("diverged and failed runs are retried only on request: scalelab sweep run " + dir.resolve("sweep.yaml")
                        + " --dir " + dir + " --retry-failed");
            }
            out.flush();
            return 0;
        }

        /**
         * "active workers: 3 in 2 processes (1234@a ×2, 99@b)": every live claim is one worker training one
         * run (a process with {@code --workers K} has up to K); "" when none is live.
         */
        static String activeWorkers(List<SweepState.Run> runs) {
            Map<String, Integer> byProcess = new java.util.LinkedHashMap<>();
            for (SweepState.Run r : runs) {
                if (!r.status().equals("running")) continue;
                Locks.Holder h = Locks.holder(r.dir());
                byProcess.merge(h == null ? "another worker" : h.worker(), 1, Integer::sum);
            }
            if (byProcess.isEmpty()) return "";
            int n = byProcess.values().stream().mapToInt(Integer::intValue).sum();
            List<String> parts = new ArrayList<>();
            byProcess.forEach((w, k) -> parts.add(k > 1 ? w + " ×" + k : w));
            return String.format(Locale.ROOT, "active workers: %d in %d process(es) (%s)", n, byProcess.size(), String.join(", ", parts));
        }

        static String line(SweepState.Run r) {
            int steps = r.point().config().train().steps();
            String what = switch (r.status()) {
                case "running", "interrupted" -> String.format(Locale.ROOT, "step %d/%d%s%s%s", r.step(), steps,
                        Double.isNaN(r.trainLoss()) ? "" : String.format(Locale.ROOT, ", train loss %.4f", r.trainLoss()),
                        Double.isNaN(r.tokensPerS()) || !r.status().equals("running") ? "" : ", " + Progress.human(r.tokensPerS()) + " tok/s",
                        r.status().equals("running") ? heldBy(Locks.holder(r.dir())) : "");
                case "done" -> r.result() == null ? "" : String.format(Locale.ROOT, "best val loss %.4f, %s",
                        r.result().path("best_val_loss").asDouble(Double.NaN), Progress.duration(r.result().path("wall_s").asDouble()));
                case "diverged" -> r.result() == null ? "" : String.format(Locale.ROOT, "at step %d; last good train loss %s",
                        r.result().path("steps_done").asInt() + 1, r.result().path("final_train_loss").asText("n/a"));
                case "failed" -> r.failure() == null ? "" : r.failure().path("reason").asText();
                default -> "";
            };
            return String.format(Locale.ROOT, "%-11s %s %s%s", r.status(), r.point().runId(),
                    r.point().coords().isEmpty() ? "" : r.point().coords() + " ", what);
        }

        /** ", held by 1234@host (worker 1/2, 1 thread, GPU 0)": who trains a running run. */
        static String heldBy(Locks.Holder h) {
            if (h == null) return "";
            return ", held by " + h.worker() + (h.slot().isEmpty() ? "" : " (" + h.slot() + ")");
        }
    }

    @Command(name = "results", mixinStandardHelpOptions = true, description = "Print or export a sweep's results table "
            + "(results.csv, rebuilt from the run directories first).",
            footer = {"", "Examples:", "  scalelab sweep results experiments/kaplan-tiny",
                    "  scalelab sweep results experiments/kaplan-tiny --csv > table.csv",
                    "  scalelab sweep results experiments/kaplan-tiny --out table.csv"})
    static final class Results implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;
        @Parameters(paramLabel = "DIR") Path dir;
        @Option(names = "--out", paramLabel = "FILE", description = "Write the full table (CSV) to FILE.") Path out;
        @Option(names = "--csv", description = "Print the full table as CSV instead of the main columns aligned.") boolean csv;

        @Override
        public Integer call() throws IOException {
            List<Expansion.Point> pts = expand(specOf(dir), dir, false);
            ResultsCsv.rebuild(dir, pts, READ_LOCK_TIMEOUT_MS);
            String text = Files.readString(dir.resolve("results.csv"));
            PrintWriter w = cmd.commandLine().getOut();
            if (out != null) {
                Files2.writeAtomic(out, text);
                cmd.commandLine().getErr().println("wrote " + out + " (" + pts.size() + " runs)");
            }
            if (csv) {
                w.print(text);
            } else if (out == null) {
                w.print(aligned(ResultsCsv.parse(text)));
            }
            w.flush();
            return 0;
        }

        /** The columns worth reading on a terminal, aligned. */
        static String aligned(List<List<String>> rows) {
            List<String> header = rows.get(0);
            Set<String> skip = new HashSet<>(ResultsCsv.RESULT_FIELDS);
            skip.addAll(ResultsCsv.CONFIG_FIELDS);
            skip.add("failure");
            List<Integer> cols = new ArrayList<>();
            for (int i = 0; i < header.size(); i++) if (!skip.contains(header.get(i))) cols.add(i);
            for (String k : List.of("N", "D", "C", "best_val_loss", "final_val_loss", "loss_floor", "wall_s", "tokens_per_s")) {
                cols.add(header.indexOf(k));
            }
            int[] w = new int[cols.size()];
            for (List<String> r : rows) for (int j = 0; j < cols.size(); j++) w[j] = Math.max(w[j], show(r.get(cols.get(j))).length());
            StringBuilder sb = new StringBuilder();
            for (List<String> r : rows) {
                for (int j = 0; j < cols.size(); j++) sb.append(String.format(Locale.ROOT, j < 2 ? "%-" + w[j] + "s  " : "%" + w[j] + "s  ", show(r.get(cols.get(j)))));
                sb.setLength(sb.length() - 2);
                sb.append('\n');
            }
            return sb.toString();
        }

        private static String show(String v) {
            try {
                double x = Double.parseDouble(v);
                if (v.contains(".") || v.contains("E") || v.contains("e")) {
                    return Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x != 0) ? String.format(Locale.ROOT, "%.3g", x) : String.format(Locale.ROOT, "%.4f", x);
                }
                return v;
            } catch (NumberFormatException e) {
                return v;
            }
        }
    }

    @Command(name = "emit", mixinStandardHelpOptions = true, description = "Write a cluster job that runs a sweep's shards on a "
            + "shared directory: a Slurm job array (sbatch script) or a Kubernetes Indexed Job (manifest with the spec in a ConfigMap).",
            footer = {"", "Examples:", "  scalelab sweep emit slurm spec.yaml --workers 8 --dir /shared/experiments/x > sweep.sbatch && sbatch sweep.sbatch",
                    "  scalelab sweep emit k8s spec.yaml --workers 8 --image registry/scalelab:0.1 --pvc sweeps > job.yaml && kubectl apply -f job.yaml"})
    static final class Emit implements Callable<Integer> {
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec cmd;
        @Parameters(index = "0", paramLabel = "slurm|k8s") String kind;
        @Parameters(index = "1", paramLabel = "SPEC") Path specFile;
        @Option(names = "--workers", defaultValue = "4", description = "Array size / parallel pods, one shard each (default: ${DEFAULT-VALUE}).") int workers;
        @Option(names = "--dir", description = "Shared sweep directory every worker sees (default: experiments/NAME for slurm, "
                + "MOUNT/NAME for k8s).") Path dir;
        @Option(names = "--scalelab", defaultValue = "scalelab", description = "The scalelab command on the workers (default: ${DEFAULT-VALUE}).") String exe;
        @Option(names = "--cpus", defaultValue = "2", description = "CPUs per worker (default: ${DEFAULT-VALUE}).") int cpus;
        @Option(names = "--mem", defaultValue = "8G", description = "Memory per worker; each run gets about a quarter as heap (default: ${DEFAULT-VALUE}).") String mem;
        @Option(names = {"--gpus-per-worker", "--gpus"}, paramLabel = "G", defaultValue = "0", description = "GPUs per worker (Slurm "
                + "--gres=gpu:G, Kubernetes nvidia.com/gpu: G); the worker trains G runs at once, one per device it was given "
                + "(default: ${DEFAULT-VALUE}).") int gpus;
        @Option(names = "--reuse-jvm", description = "The workers run sweep run --reuse-jvm: one warm training process per run slot.") boolean reuseJvm;
        @Option(names = "--time", defaultValue = "", description = "slurm: time limit per task, e.g. 12:00:00 (default: the partition's).") String time;
        @Option(names = "--image", defaultValue = "scalelab:latest", description = "k8s: container image with scalelab on its PATH (default: ${DEFAULT-VALUE}).") String image;
        @Option(names = "--pvc", defaultValue = "scalelab-sweeps", description = "k8s: a ReadWriteMany PersistentVolumeClaim shared by the pods (default: ${DEFAULT-VALUE}).") String pvc;
        @Option(names = "--mount", defaultValue = "/shared", description = "k8s: where the pods mount it (default: ${DEFAULT-VALUE}).") String mount;

        @Override
        public Integer call() throws IOException {
            SweepSpec s = SweepSpec.read(specFile);
            if (workers < 1) throw new UserError("--workers must be ≥ 1, got " + workers);
            if (cpus < 1) throw new UserError("--cpus must be ≥ 1, got " + cpus);
            if (gpus < 0) throw new UserError("--gpus-per-worker must be ≥ 0, got " + gpus);
            ClusterJobs.Settings st = new ClusterJobs.Settings(s.name(), workers, cpus, ClusterJobs.mebibytes(mem), gpus, exe, time, reuseJvm);
            String text = switch (kind) {
                case "slurm" -> {
                    Path d = dirOf(s, dir);
                    expand(s, d); // refuse a broken spec before it reaches a cluster
                    yield ClusterJobs.slurm(st, specFile, d);
                }
                case "k8s" -> {
                    if (!mount.startsWith("/")) throw new UserError("--mount '" + mount + "': must be an absolute path");
                    Path d = dir != null ? dir : Path.of(mount).resolve(s.name());
                    expand(s, d, false); // corpora are paths inside the image or on the volume
                    yield ClusterJobs.k8s(st, s.text, d, image, pvc, mount);
                }
                default -> throw new UserError("sweep emit: '" + kind + "' is not known; use slurm or k8s");
            };
            cmd.commandLine().getOut().print(text);
            cmd.commandLine().getOut().flush();
            return 0;
        }
    }
}
