package org.scalelab.sweeps;

import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.run.Progress;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code sweep plan --measure-packing}: how to split this machine's cores between a sweep's runs, from
 * step times measured here rather than assumed. For the sweep's smallest, median and largest shapes it
 * times the training step ({@code scalelab bench}) once per way of splitting the cores, K runs at once
 * with cores/K threads each, all K processes stepping together, and repeats that alternately, so that each
 * way's figure is a median over repeats under the same machine state. A way's speed at a shape is the
 * tokens/s of each of its K processes over the tokens/s of one process with every core; the sweep's wall
 * time under that way is then the time model's per-run time divided by the speed at the nearest measured
 * shape (in log N), the runs list-scheduled on K workers, plus the start-up per run, or per worker with
 * {@code --reuse-jvm}.
 */
final class Packing {
    /** K runs at once, T threads each. */
    record Way(int workers, int threads) {
        String flags() {
            return workers == 1 ? "" : "--workers " + workers + " --threads-per-run " + threads;
        }

        String label() {
            return workers + "×" + threads + (threads == 1 ? " thread" : " threads");
        }
    }

    /** A measured shape: its N, and per way the median tokens/s of each process (index as {@link #ways}). */
    record Measured(Row row, double[] tokensPerS) {}

    /** The shape of a run, as {@code bench} takes it. */
    record Row(PlanTable.Row plan, ModelConfig model, int batch, int vocab) {
        List<String> benchArgs(int steps) {
            List<String> a = new ArrayList<>(List.of("bench", "--shape", String.join(",", List.of(
                    Integer.toString(model.nLayer()), Integer.toString(model.dModel()), Integer.toString(model.nHead()),
                    Integer.toString(model.nCtx()), Integer.toString(batch), Integer.toString(vocab))),
                    "--steps", Integer.toString(steps), "--norm", model.norm().id(), "--mlp", model.mlp().id(),
                    "--position", model.position().id()));
            if (!model.tiedOutput()) a.add("--untied");
            return a;
        }

        String describe() {
            return String.format(Locale.ROOT, "L%d d%d h%d T%d B%d (N %s)", model.nLayer(), model.dModel(), model.nHead(), model.nCtx(), batch,
                    Progress.human(plan.n()));
        }
    }

    private Packing() {}

    /** K = 1, 2, 4, … up to the core count (and the core count itself), T = cores / K. */
    static List<Way> ways(int cores) {
        List<Way> out = new ArrayList<>();
        for (int k = 1; k <= cores; k *= 2) out.add(new Way(k, cores / k));
        if (out.get(out.size() - 1).workers() != cores) out.add(new Way(cores, 1));
        return out;
    }

    /** The smallest, median and largest distinct shapes of these runs by N (fewer when there are fewer). */
    static List<Row> representatives(List<PlanTable.Row> rows, Map<DataSpec, Corpora.Info> data) {
        Map<String, Row> distinct = new LinkedHashMap<>();
        for (PlanTable.Row r : rows) {
            ModelConfig m = r.p().config().model();
            Corpora.Info info = data.get(r.p().config().data());
            int vocab = m.nVocab() > 0 ? m.nVocab() : info != null && info.vocab() > 0 ? info.vocab() : TimeModel.VOCAB_GUESS;
            Row x = new Row(r, m, r.p().config().train().micro(), vocab);
            distinct.putIfAbsent(String.join(" ", x.benchArgs(1)), x);
        }
        List<Row> sorted = new ArrayList<>(distinct.values());
        sorted.sort(Comparator.comparingLong((Row x) -> x.plan().n()).thenComparing(Row::describe));
        if (sorted.size() <= 3) return sorted;
        return List.of(sorted.get(0), sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));
    }

    /**
     * Times every representative shape under every way, {@code repeats} times, alternating the ways within
     * each repeat. {@code bench} runs one training step in a fresh process per call: K of them are started
     * together and each reports its own tokens/s.
     */
    static List<Measured> measure(List<Row> shapes, List<Way> ways, int steps, int repeats, PrintWriter progress) {
        List<Measured> out = new ArrayList<>();
        for (Row s : shapes) {
            double[][] perRepeat = new double[ways.size()][repeats];
            for (int rep = 0; rep < repeats; rep++) {
                for (int w = 0; w < ways.size(); w++) perRepeat[w][rep] = perProcess(s, ways.get(w), steps);
            }
            double[] med = new double[ways.size()];
            for (int w = 0; w < ways.size(); w++) med[w] = median(perRepeat[w]);
            out.add(new Measured(s, med));
            progress.printf(Locale.ROOT, "  measured %s%n", s.describe());
            progress.flush();
        }
        return out;
    }

    /** The median over K processes started together of each one's tokens/s. */
    static double perProcess(Row s, Way w, int steps) {
        List<Process> procs = new ArrayList<>();
        try {
            for (int i = 0; i < w.workers(); i++) {
                List<String> cmd = TrainChild.command("1g", "4G", Long.toString(6L << 30), w.threads(),
                        s.benchArgs(steps).toArray(String[]::new));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
                Runner.environment(pb.environment(), new Runner.Slots(w.workers(), w.threads(), List.of(), i));
                procs.add(pb.start());
            }
            double[] tps = new double[procs.size()];
            for (int i = 0; i < procs.size(); i++) {
                String text = new String(procs.get(i).getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                int code = procs.get(i).waitFor();
                String last = text.isEmpty() ? "" : text.substring(text.lastIndexOf('\n') + 1);
                if (code != 0 || !last.startsWith("{")) {
                    throw new IllegalStateException("bench " + String.join(" ", s.benchArgs(steps)) + " exited " + code + ": " + last);
                }
                tps[i] = Json.MAPPER.readTree(last).path("tokens_per_s").asDouble();
            }
            return median(tps);
        } catch (IOException e) {
            throw new UserError("cannot start the step benchmark: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserError("the step benchmark was interrupted");
        } finally {
            for (Process p : procs) p.destroyForcibly();
        }
    }

    /** Speed of way {@code w} for a run of N parameters: its measured ratio at the nearest measured shape in log N. */
    static double speed(List<Measured> ms, int w, long n) {
        Measured best = null;
        for (Measured m : ms) {
            if (best == null || Math.abs(Math.log((double) m.row().plan().n() / n)) < Math.abs(Math.log((double) best.row().plan().n() / n))) {
                best = m;
            }
        }
        return best.tokensPerS()[w] / best.tokensPerS()[0];
    }

    /** Wall seconds of the runs under way {@code w}: training times scaled by the way's speed, list-scheduled, plus start-ups. */
    static double wallSeconds(List<PlanTable.Row> rows, List<Measured> ms, Way way, int w, double startupS, boolean warm) {
        double[] run = rows.stream().mapToDouble(r -> Math.max(0, r.seconds() - startupS) / speed(ms, w, Math.max(1, r.n()))
                + (warm ? 0 : startupS)).toArray();
        return PlanTable.listScheduled(run, way.workers()) + (warm ? startupS : 0);
    }

    /** Prints the measured speeds, each way's wall time with and without --reuse-jvm, and the fastest. */
    static void print(PrintWriter out, List<PlanTable.Row> rows, List<Measured> ms, List<Way> ways, double startupS, int cores,
                      int steps, int repeats) {
        out.printf(Locale.ROOT, "packing, measured on this machine (%d cores; bench, %d steps, median of %d alternating repeats; "
                + "tokens/s per process, K processes at once):%n", cores, steps, repeats);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-34s", "shape"));
        for (Way w : ways) head.append(String.format(Locale.ROOT, " %22s", w.label()));
        out.println(head);
        for (Measured m : ms) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-34s", m.row().describe()));
            for (int w = 0; w < ways.size(); w++) {
                double total = m.tokensPerS()[w] * ways.get(w).workers();
                line.append(String.format(Locale.ROOT, " %22s", String.format(Locale.ROOT, "%s (Σ %.2f×)", Progress.human(m.tokensPerS()[w]),
                        total / m.tokensPerS()[0])));
            }
            out.println(line);
        }
        int bestW = 0;
        boolean bestWarm = false;
        double bestS = Double.MAX_VALUE, base = wallSeconds(rows, ms, ways.get(0), 0, startupS, false);
        for (int w = 0; w < ways.size(); w++) {
            double cold = wallSeconds(rows, ms, ways.get(w), w, startupS, false), warm = wallSeconds(rows, ms, ways.get(w), w, startupS, true);
            out.printf(Locale.ROOT, "  %-34s about %s, %s with --reuse-jvm%n", ways.get(w).workers() == 1 ? "one run at a time (" + ways.get(w).threads()
                    + " threads)" : ways.get(w).flags(), Progress.duration(cold), Progress.duration(warm));
            if (cold < bestS) {
                bestS = cold;
                bestW = w;
                bestWarm = false;
            }
            if (warm < bestS) {
                bestS = warm;
                bestW = w;
                bestWarm = true;
            }
        }
        String flags = (ways.get(bestW).flags() + (bestWarm ? " --reuse-jvm" : "")).trim();
        out.printf(Locale.ROOT, "packing: fastest %s: about %s, %.2f× one run at a time (%s start-up per run; speeds of unmeasured "
                        + "shapes are those of the nearest measured N)%n", flags.isEmpty() ? "as it is (no options)" : "with `" + flags + "`",
                Progress.duration(bestS), base / bestS, Progress.duration(startupS));
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
