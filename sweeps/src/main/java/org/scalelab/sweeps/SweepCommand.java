package org.scalelab.sweeps;

import org.scalelab.datasets.Files2;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.Accounting;
import org.scalelab.trainer.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code scalelab sweep …}: plan, run, inspect and export grids of runs. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Grids of runs that resume, isolate failures and shard across machines.",
        subcommands = {SweepCommand.Plan.class, SweepCommand.Run.class, SweepCommand.Status.class,
                SweepCommand.Results.class, SweepCommand.Emit.class})
public final class SweepCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The sweep directory of a spec: --dir, else experiments/NAME. */
    static Path dirOf(SweepSpec s, Path dir) {
        return dir != null ? dir : Path.of("experiments").resolve(s.name());
    }

    static List<Expansion.Point> expand(SweepSpec s, Path dir) {
        List<Expansion.Point> pts = Expansion.expand(s, dir.resolve("runs").toString());
        if (pts.isEmpty()) throw new UserError(s.file + ": the spec expands to no runs");
        return pts;
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, description = "Show every run of a spec with N, D, C, tokens per parameter "
            + "and the overfitting check, and the total compute and time, without training.")
    static final class Plan implements Callable<Integer> {
        @Parameters(paramLabel = "SPEC") Path specFile;
        @Option(names = "--dir", description = "Sweep directory (default: experiments/NAME).") Path dir;
        @Option(names = "--gflops", defaultValue = "5", description = "Achieved training GFLOP/s for the time estimate "
                + "(default: ${DEFAULT-VALUE}, about this project's CPU step on 2 cores).") double gflops;

        @Override
        public Integer call() {
            SweepSpec s = SweepSpec.read(specFile);
            List<Expansion.Point> pts = expand(s, dirOf(s, dir));
            System.out.printf(Locale.ROOT, "%-28s %-7s %4s %5s %3s %10s %10s %10s %7s %-9s%n", "run", "family", "L", "d", "h", "N", "D", "C", "D/N", "D≥5e3N^.74");
            double total = 0;
            for (Expansion.Point p : pts) {
                var m = p.config().model();
                var acc = Accounting.of(m.withVocab(Math.max(1, m.nVocab())));
                double d = (double) p.config().train().steps() * p.config().train().batchSize() * m.nCtx();
                double c = acc.trainingFlops(d);
                total += c;
                boolean ok = d >= 5e3 * Math.pow(acc.nonEmbedding(), 0.74);
                System.out.printf(Locale.ROOT, "%-28s %-7s %4d %5d %3d %10.3g %10.3g %10.3g %7.1f %-9s%n", p.runId(),
                        p.coords().getOrDefault("family", ""), m.nLayer(), m.dModel(), m.nHead(), (double) acc.nonEmbedding(),
                        d, c, d / acc.nonEmbedding(), ok ? "ok" : "below");
            }
            System.out.printf(Locale.ROOT, "%d runs, C = %.3g FLOP (6·N·D, without attention and unembedding), about %s at %.1f GFLOP/s%n",
                    pts.size(), total, Progress.duration(total / (gflops * 1e9)), gflops);
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Train every run of a spec that is not done yet; "
            + "interrupt it any way and run it again to continue.",
            footer = {"", "Examples:", "  scalelab sweep run examples/kaplan-tiny.yaml",
                    "  scalelab sweep run spec.yaml --dir /shared/sweep --shard 3/8     (one worker of eight)"})
    static final class Run implements Callable<Integer> {
        @Parameters(paramLabel = "SPEC") Path specFile;
        @Option(names = "--dir", description = "Sweep directory (default: experiments/NAME).") Path dir;
        @Option(names = "--shard", paramLabel = "I/N", description = "Train only shard I of N (0-based), e.g. 0/4.") String shard;
        @Option(names = "--retry-failed", description = "Train diverged and failed runs again, from scratch.") boolean retryFailed;
        @Option(names = "--in-process", description = "Train in this JVM instead of one child process per run.") boolean inProcess;
        @Option(names = "--run-memory", defaultValue = "3g", description = "Heap per run; ND4J's off-heap cap is 3× it (default: ${DEFAULT-VALUE}).") String runMemory;
        @Option(names = "--lock-timeout", defaultValue = "120", description = "Seconds after which a silent worker's claim is taken over (default: ${DEFAULT-VALUE}).") int lockTimeout;

        @Override
        public Integer call() throws IOException {
            SweepSpec s = SweepSpec.read(specFile);
            Path d = dirOf(s, dir);
            List<Expansion.Point> pts = expand(s, d);
            int[] sh = parseShard(shard);
            if (!runMemory.matches("[0-9]+[mMgG]")) throw new UserError("--run-memory '" + runMemory + "': use e.g. 2g or 1500m");
            Files.createDirectories(d);
            Path copy = d.resolve("sweep.yaml");
            if (Files.exists(copy) && !Files.readString(copy).equals(s.text)) {
                Files2.writeAtomic(d.resolve("sweep.yaml.previous"), Files.readString(copy));
                System.err.println("note: " + copy + " differed from " + specFile + "; the old copy is sweep.yaml.previous");
            }
            Files2.writeAtomic(copy, s.text);
            System.err.printf(Locale.ROOT, "sweep %s: %d runs -> %s%s%n", s.name(), pts.size(), d,
                    sh[1] > 1 ? " (shard " + sh[0] + "/" + sh[1] + ")" : "");
            Runner.Options o = new Runner.Options(inProcess, sh[0], sh[1], retryFailed, runMemory.toLowerCase(Locale.ROOT),
                    lockTimeout * 1000L, System.err, new java.util.concurrent.atomic.AtomicBoolean());
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                o.stop().set(true);
                try {
                    finished.await(180, TimeUnit.SECONDS);
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                Runner.run(d, pts, o);
            } finally {
                finished.countDown();
            }
            if (!o.stop().get()) Runtime.getRuntime().removeShutdownHook(hook);
            Map<String, Integer> counts = counts(d, pts, lockTimeout * 1000L);
            System.err.println("sweep " + s.name() + ": " + counts + " -> " + d.resolve("results.csv"));
            return o.stop().get() ? 130 : 0;
        }
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

    static Map<String, Integer> counts(Path dir, List<Expansion.Point> pts, long lockMs) {
        Map<String, Integer> c = new LinkedHashMap<>();
        for (String k : List.of("done", "running", "interrupted", "pending", "diverged", "failed")) c.put(k, 0);
        for (Expansion.Point p : pts) c.merge(ResultsCsv.status(dir.resolve("runs").resolve(p.runId()), lockMs), 1, Integer::sum);
        return c;
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Done / running / failed / pending runs of a sweep, with the ETA.")
    static final class Status implements Callable<Integer> {
        @Parameters(paramLabel = "DIR") Path dir;
        @Option(names = "--workers", defaultValue = "1", description = "Workers sharing the sweep, for the ETA (default: ${DEFAULT-VALUE}).") int workers;

        @Override
        public Integer call() {
            SweepSpec s = SweepSpec.read(dir.resolve("sweep.yaml"));
            List<Expansion.Point> pts = expand(s, dir);
            Map<String, Integer> c = counts(dir, pts, 120_000);
            double wall = 0;
            int n = 0;
            for (Expansion.Point p : pts) {
                var r = ResultsCsv.readJson(dir.resolve("runs").resolve(p.runId()).resolve("result.json"));
                if (r != null && r.path("status").asText().equals("done")) {
                    wall += r.path("wall_s").asDouble();
                    n++;
                }
            }
            int left = c.get("pending") + c.get("interrupted") + c.get("running");
            System.out.printf(Locale.ROOT, "%s: %d runs: %s%n", dir, pts.size(), c);
            if (n > 0 && left > 0) {
                System.out.printf(Locale.ROOT, "ETA %s (%d runs left at %s each on average, %d worker(s))%n",
                        Progress.duration(left * wall / n / Math.max(1, workers)), left, Progress.duration(wall / n), workers);
            }
            return 0;
        }
    }

    @Command(name = "results", mixinStandardHelpOptions = true, description = "Print or export a sweep's results table (rebuilt from the run directories).")
    static final class Results implements Callable<Integer> {
        @Parameters(paramLabel = "DIR") Path dir;
        @Option(names = "--out", paramLabel = "FILE", description = "Also copy the table to FILE.") Path out;

        @Override
        public Integer call() throws IOException {
            SweepSpec s = SweepSpec.read(dir.resolve("sweep.yaml"));
            ResultsCsv.rebuild(dir, expand(s, dir), 120_000);
            String csv = Files.readString(dir.resolve("results.csv"));
            if (out != null) Files2.writeAtomic(out, csv);
            System.out.print(csv);
            return 0;
        }
    }

    @Command(name = "emit", mixinStandardHelpOptions = true, description = "Write a cluster job that runs a sweep's shards: "
            + "a Slurm array (sbatch) or a Kubernetes Indexed Job.",
            footer = {"", "Examples:", "  scalelab sweep emit slurm spec.yaml --workers 8 --dir /shared/experiments/x > sweep.sbatch",
                    "  scalelab sweep emit k8s spec.yaml --workers 8 --dir /shared/experiments/x --image my/scalelab:0.1 > job.yaml"})
    static final class Emit implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "slurm|k8s") String kind;
        @Parameters(index = "1", paramLabel = "SPEC") Path specFile;
        @Option(names = "--workers", defaultValue = "4", description = "Array size / parallelism (default: ${DEFAULT-VALUE}).") int workers;
        @Option(names = "--dir", description = "Shared sweep directory every worker sees (default: experiments/NAME).") Path dir;
        @Option(names = "--scalelab", defaultValue = "scalelab", description = "The scalelab command on the workers (default: ${DEFAULT-VALUE}).") String exe;
        @Option(names = "--image", defaultValue = "scalelab:latest", description = "k8s: container image (default: ${DEFAULT-VALUE}).") String image;
        @Option(names = "--cpus", defaultValue = "2", description = "CPUs per worker (default: ${DEFAULT-VALUE}).") int cpus;
        @Option(names = "--mem", defaultValue = "8G", description = "Memory per worker (default: ${DEFAULT-VALUE}).") String mem;

        @Override
        public Integer call() {
            SweepSpec s = SweepSpec.read(specFile);
            expand(s, dirOf(s, dir)); // refuse a broken spec before it reaches a cluster
            if (workers < 1) throw new UserError("--workers must be ≥ 1");
            String d = dirOf(s, dir).toString(), spec = specFile.toString();
            String text = switch (kind) {
                case "slurm" -> String.join("\n",
                        "#!/bin/bash",
                        "#SBATCH --job-name=scalelab-" + s.name(),
                        "#SBATCH --array=0-" + (workers - 1),
                        "#SBATCH --cpus-per-task=" + cpus,
                        "#SBATCH --mem=" + mem,
                        "#SBATCH --output=scalelab-" + s.name() + "-%A_%a.out",
                        "# Logs go to the directory sbatch was run from. Each array task trains its shard; runs are",
                        "# also claimed with lock files in the shared",
                        "# directory, so a resubmitted or duplicated task never trains a run twice.",
                        "set -euo pipefail",
                        "mkdir -p " + d,
                        exe + " sweep run " + spec + " --dir " + d + " --shard ${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}",
                        "");
                case "k8s" -> String.join("\n",
                        "apiVersion: batch/v1",
                        "kind: Job",
                        "metadata:",
                        "  name: scalelab-" + s.name().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-"),
                        "spec:",
                        "  completionMode: Indexed",
                        "  completions: " + workers,
                        "  parallelism: " + workers,
                        "  backoffLimit: " + (2 * workers),
                        "  template:",
                        "    spec:",
                        "      restartPolicy: OnFailure",
                        "      containers:",
                        "        - name: worker",
                        "          image: " + image,
                        "          command: [\"sh\", \"-c\", \"" + exe + " sweep run " + spec + " --dir " + d
                                + " --shard $JOB_COMPLETION_INDEX/" + workers + "\"]",
                        "          resources:",
                        "            requests: {cpu: \"" + cpus + "\", memory: \"" + mem + "i\"}",
                        "          volumeMounts:",
                        "            - {name: sweeps, mountPath: " + d + "}",
                        "      volumes:",
                        "        - name: sweeps",
                        "          persistentVolumeClaim: {claimName: scalelab-sweeps}   # a ReadWriteMany volume shared by all workers",
                        "");
                default -> throw new UserError("sweep emit: '" + kind + "' is not known; use slurm or k8s");
            };
            System.out.print(text);
            return 0;
        }
    }
}
