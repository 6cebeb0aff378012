package org.scalelab.sweeps;

import org.scalelab.datasets.DataSpec;
import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.run.Progress;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a sweep will do, run by run, before it trains: the resolved shape, N (counted non-embedding
 * parameters), D (tokens trained on, steps·batchSize·nCtx), C = 6·N·D, tokens per parameter, epochs over
 * the data the run may see, Kaplan's check D ≥ 5e3·N^0.74 (eq. 4.4: below it the loss is limited by the
 * data rather than by N — by overfitting when tokens repeat), applied to the distinct tokens the run
 * learns from, min(D, data available); and the estimated time; then the totals.
 */
final class PlanTable {
    /** Above this many runs {@code sweep run} prints {@link #summary} instead of the table. */
    static final int MAX_TABLE_RUNS = 60;
    /** Shapes listed per family in {@link #summary}. */
    static final int MAX_SHAPES = 24;

    private PlanTable() {}

    /**
     * One run's derived values: {@code d} and {@code c} the tokens and 6·N·D of the model it produces,
     * {@code spentC} and {@code seconds} what training it costs (less for a cooldown branch, whose first steps
     * its main run trained).
     */
    record Row(Expansion.Point p, long n, double d, double c, long uniqueTokens, double seconds, double spentC) {
        /** Kaplan et al. (2020) eq. 4.4: below this many tokens the data, not N, limits the loss. */
        double overfitBound() {
            return 5e3 * Math.pow(n, 0.74);
        }

        /** Distinct tokens the run learns from: D, or the data available when that is less. */
        double distinct() {
            return uniqueTokens > 0 ? Math.min(d, uniqueTokens) : d;
        }
    }

    /**
     * @param data  vocabulary and training tokens per data section (from {@link Corpora}); runs whose
     *              data is missing get the quick estimate
     * @param model the time model
     */
    static List<Row> rows(List<Expansion.Point> pts, Map<DataSpec, Corpora.Info> data, TimeModel model) {
        return pts.stream().map(p -> {
            ModelConfig m = p.config().model();
            Corpora.Info info = data.get(p.config().data());
            if (info == null) info = Corpora.quick(p.config().data());
            int vocab = m.nVocab() > 0 ? m.nVocab() : info.vocab() > 0 ? info.vocab() : TimeModel.VOCAB_GUESS;
            Accounting acc = Accounting.of(m.withVocab(vocab));
            var t = p.config().train();
            double d = (double) t.steps() * t.batchSize() * m.nCtx(), spent = Budgets.newTokens(p.config());
            double secs = model.runSeconds(spent, m.nLayer(), TimeModel.flopsPerToken(m, vocab));
            return new Row(p, acc.nonEmbedding(), d, acc.trainingFlops(d), info.trainTokens(), secs, acc.trainingFlops(spent));
        }).toList();
    }

    /** The axis values of a run, without those the shape columns already show. */
    static String coordinates(Expansion.Point p, boolean shapes) {
        StringBuilder sb = new StringBuilder();
        p.coords().forEach((k, v) -> {
            if (shapes && (Expansion.LABELS.contains(k) || List.of("model.nLayer", "model.dModel", "model.nHead").contains(k))) return;
            sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v);
        });
        return sb.toString();
    }

    static void print(PrintWriter out, List<Row> rows, TimeModel model, boolean timeCalibrated) {
        table(out, rows, Set.of());
        totals(out, rows, model, timeCalibrated);
    }

    /**
     * The plan of a sweep as far as it is expanded: with learning-rate searches ({@link LrSearch}) their
     * candidates first, then the sweep's runs, those whose search has no winner yet with lr "searched" and
     * an id without its hash; the sweep's totals, and the searches' extra compute on a line of its own.
     */
    static void print(PrintWriter out, Expansion.Expanded e, Map<DataSpec, Corpora.Info> data, TimeModel model, boolean timeCalibrated) {
        if (e.searches().isEmpty()) {
            print(out, rows(e.points(), data, model), model, timeCalibrated);
            return;
        }
        List<Expansion.Point> search = new ArrayList<>(), main = new ArrayList<>();
        for (Expansion.Point p : e.points()) (LrSearch.PHASE.equals(p.coords().get("phase")) ? search : main).add(p);
        main.addAll(e.waiting());
        List<Row> searchRows = rows(search, data, model), mainRows = rows(main, data, model);
        List<Row> all = new ArrayList<>(searchRows);
        all.addAll(mainRows);
        table(out, all, new HashSet<>(e.waiting()));
        totals(out, mainRows, model, timeCalibrated);
        double c = 0, secs = 0, mainC = 0;
        int n = searchRows.size();
        for (Row r : searchRows) {
            c += r.spentC();
            secs += r.seconds();
        }
        for (Row r : mainRows) mainC += r.spentC();
        int shared = 0;
        for (LrSearch.Search x : e.searches()) {
            if (!x.shared()) continue;
            shared++;
            if (x.winner() >= 0) continue;
            // one candidate will be a run of the sweep: whichever wins, it costs as much as the others
            String first = x.candidates().get(0).point().runId();
            for (Row r : searchRows) {
                if (r.p().runId().equals(first)) {
                    c -= r.spentC();
                    secs -= r.seconds();
                    n--;
                }
            }
        }
        out.printf(Locale.ROOT, "lr search: %d run(s) more (%d search(es) of %d candidates%s); C = %.3g FLOP (%.3g PF-days), %.0f%% on top "
                        + "of the sweep's; about %s on one worker%n", n, e.searches().size(), e.searches().get(0).candidates().size(),
                shared == 0 ? "" : "; a winning candidate that is also a run of the sweep (its shape, as many steps) is counted there",
                c, c / Accounting.PF_DAY, mainC > 0 ? 100 * c / mainC : 0, Progress.duration(secs));
    }

    /** The table, one line per row; {@code searched}: runs whose learning rate a search has not chosen yet. */
    private static void table(PrintWriter out, List<Row> rows, Set<Expansion.Point> searched) {
        boolean shapes = rows.stream().anyMatch(r -> r.p().coords().containsKey("family"));
        int idw = Math.max(6, rows.stream().mapToInt(r -> r.p().runId().length()).max().orElse(6));
        String head = String.format(Locale.ROOT, "%-" + idw + "s %s%4s %5s %4s %5s %9s %9s %9s %9s %7s %7s %-14s %8s",
                "run", shapes ? String.format(Locale.ROOT, "%-10s %8s ", "family", "target_N") : "",
                "L", "d", "h", "dFf", "lr", "N", "D", "C", "D/N", "epochs", "D≥5e3·N^.74", "time") + "  coordinates";
        out.println(head);
        for (Row r : rows) {
            ModelConfig m = r.p().config().model();
            double epochs = r.uniqueTokens() > 0 ? r.d() / r.uniqueTokens() : Double.NaN;
            boolean ok = r.distinct() >= r.overfitBound();
            String check = (ok ? "ok" : "no") + String.format(Locale.ROOT, " (%s)", Progress.human(r.overfitBound()));
            out.printf(Locale.ROOT, "%-" + idw + "s %s%4d %5d %4d %5d %9s %9s %9s %9.3g %7.3g %7s %-14s %8s  %s%n", r.p().runId(),
                    shapes ? String.format(Locale.ROOT, "%-10s %8s ", r.p().coords().getOrDefault("family", ""),
                            r.p().coords().getOrDefault("target_N", "")) : "",
                    m.nLayer(), m.dModel(), m.nHead(), m.ff(), searched.contains(r.p()) ? "searched"
                            : String.format(Locale.ROOT, "%.3g", r.p().config().train().lr()), Progress.human(r.n()), Progress.human(r.d()), r.c(), r.d() / r.n(),
                    Double.isNaN(epochs) ? "?" : String.format(Locale.ROOT, "%.2f", epochs), check, Progress.duration(r.seconds()),
                    coordinates(r.p(), shapes));
        }
    }

    /**
     * The resolved shapes of a sweep too large for a line per run: one line per shape family (or one
     * line for a sweep without families) listing its distinct shapes with their N and how many runs use
     * each, then the totals. {@code scalelab sweep plan} shows every run.
     */
    static void summary(PrintWriter out, List<Row> rows, TimeModel model, boolean timeCalibrated) {
        Map<String, Map<String, Integer>> byFamily = new LinkedHashMap<>();
        for (Row r : rows) {
            ModelConfig m = r.p().config().model();
            String shape = String.format(Locale.ROOT, "%dx%d h%d (N %s)", m.nLayer(), m.dModel(), m.nHead(), Progress.human(r.n()));
            byFamily.computeIfAbsent(r.p().coords().getOrDefault("family", ""), k -> new LinkedHashMap<>()).merge(shape, 1, Integer::sum);
        }
        for (var f : byFamily.entrySet()) {
            int runs = f.getValue().values().stream().mapToInt(Integer::intValue).sum();
            StringBuilder sb = new StringBuilder(f.getKey().isEmpty() ? "shapes" : "family " + f.getKey());
            sb.append(String.format(Locale.ROOT, ": %d runs, %d shape(s) (nLayer x dModel, heads):", runs, f.getValue().size()));
            int shown = 0;
            for (var e : f.getValue().entrySet()) {
                if (shown++ == MAX_SHAPES) {
                    sb.append(" … ").append(f.getValue().size() - MAX_SHAPES).append(" more (sweep plan lists them),");
                    break;
                }
                sb.append(' ').append(e.getKey()).append(" ×").append(e.getValue()).append(',');
            }
            sb.setLength(sb.length() - 1);
            out.println(sb);
        }
        totals(out, rows, model, timeCalibrated);
    }

    /**
     * The wall time of these runs on {@code slots.workers()} workers of one process, each taking the next
     * run in claim order ({@link Runner#shard}) when it is free. The time model has no term for threads:
     * its per-run times are those of a run with every core, and running K at once is assumed to divide the
     * wall time by K up to the core count (each run as fast with cores/K threads as with all of them, which
     * holds where the per-layer overhead dominates; not measured here beyond README's one sweep). Beyond the
     * core count the runs share cores and each slows by K/cores.
     */
    static double packedSeconds(List<Row> rows, int workers, int cores) {
        double share = Math.max(1.0, (double) workers / Math.max(1, cores));
        return listScheduled(rows.stream().mapToDouble(r -> r.seconds() * share).toArray(), workers);
    }

    /** When the last of {@code workers} ends, each taking the next of these jobs (in order) as soon as it is free. */
    static double listScheduled(double[] seconds, int workers) {
        double[] busy = new double[workers];
        for (double s : seconds) {
            int next = 0;
            for (int i = 1; i < workers; i++) if (busy[i] < busy[next]) next = i;
            busy[next] += s;
        }
        double end = 0;
        for (double b : busy) end = Math.max(end, b);
        return end;
    }

    /** "packing: 2 runs at once, 1 thread each …; about 1m05s wall time": what {@code sweep run --workers K} would do. */
    static void packing(PrintWriter out, List<Row> rows, Runner.Slots slots, int cores) {
        double one = 0;
        for (Row r : rows) one += r.seconds();
        int k = slots.workers();
        out.printf(Locale.ROOT, "packing: %d run(s) at once, %s each (%d core(s) here); about %s wall time for %d runs, %s on one "
                        + "worker (assumes a linear speed-up in the number of runs at once up to the core count: the time model has "
                        + "no thread term)%n", k, slots.threads() > 0 ? slots.threads() + " thread(s)" : "every core", cores,
                Progress.duration(packedSeconds(rows, k, cores)), rows.size(), Progress.duration(one));
    }

    private static void totals(PrintWriter out, List<Row> rows, TimeModel model, boolean timeCalibrated) {
        double totalC = 0, totalS = 0, separateC = 0, largestC = 0;
        int below = 0, branches = 0;
        Map<String, Double> largestPerMain = new java.util.HashMap<>();
        for (Row r : rows) {
            totalC += r.spentC();
            totalS += r.seconds();
            if (r.distinct() < r.overfitBound()) below++;
            String phase = r.p().coords().getOrDefault("phase", "");
            if (phase.equals(Budgets.COOLDOWN)) {
                branches++;
                separateC += r.c();
                largestPerMain.merge(r.p().config().train().branchRun(), r.c(), Math::max);
            }
        }
        for (double x : largestPerMain.values()) largestC += x;
        out.printf(Locale.ROOT, "%d runs; C = 6·N·D = %.3g FLOP in total (%.3g PF-days; N non-embedding, D tokens trained on); "
                        + "about %s on one worker%n", rows.size(), totalC, totalC / Accounting.PF_DAY, Progress.duration(totalS));
        long repeating = rows.stream().filter(r -> Converge.PHASE.equals(r.p().coords().get("phase"))
                && r.uniqueTokens() > 0 && r.d() > r.uniqueTokens()).count();
        long converging = rows.stream().filter(r -> Converge.PHASE.equals(r.p().coords().get("phase"))).count();
        if (converging > 0) {
            out.printf(Locale.ROOT, "converge: %d run(s) train until their smoothed validation loss stops improving; D and C above are their "
                    + "caps (maxTokens), the most they may cost%s%n", converging, repeating == 0 ? ""
                    : String.format(Locale.ROOT, "; %d of them may repeat data (cap above the corpus' distinct training tokens): use a "
                    + "larger corpus or a lower maxTokens, or their losses are not L(N) on fresh data", repeating));
        }
        if (branches > 0) {
            out.printf(Locale.ROOT, "budgets: %d cooldown branch(es) continue %d main run(s): C in total %.2f× that of the largest budget "
                            + "of each size alone, against %.2f× for every budget trained from scratch%n", branches, largestPerMain.size(),
                    totalC / largestC, separateC / largestC);
        }
        out.printf(Locale.ROOT, "time: %s (%.1f µs per token and layer + training FLOPs at %.3g FLOP/s, %s start-up per run)%n",
                timeCalibrated ? "as given, or fitted to this sweep's finished runs" : "the development machine's CPU speed (2 cores); "
                        + "a GPU or a larger CPU is faster (--gflops), and a sweep refits this after its first runs",
                model.overheadS() * 1e6, model.flopsPerS(), Progress.duration(model.startupS()));
        if (below > 0) {
            out.printf(Locale.ROOT, "%d run(s) learn from fewer distinct tokens than 5e3·N^0.74 (Kaplan et al. 2020, eq. 4.4): their loss "
                    + "is limited by D rather than N (and they overfit where tokens repeat); fine for L(D) or L(N, D), "
                    + "but an L(N) fit on them will flatten%n", below);
        }
    }
}
