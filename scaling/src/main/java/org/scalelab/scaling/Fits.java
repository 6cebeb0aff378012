package org.scalelab.scaling;

import org.scalelab.scaling.fit.Allocation;
import org.scalelab.scaling.fit.ComputeOptimal;
import org.scalelab.scaling.fit.CriticalBatch;
import org.scalelab.scaling.fit.Fitter;
import org.scalelab.scaling.fit.Holdout;
import org.scalelab.scaling.fit.Hyperparameters;
import org.scalelab.scaling.fit.Law;
import org.scalelab.scaling.fit.Laws;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The plain Java entry point: fit every law a table of runs supports (or those asked for), with
 * bootstrap intervals, held-out extrapolation and compute-optimal allocation, plus what learning
 * curves support (Kaplan's compute frontier, Chinchilla approach 1, the critical batch size),
 * Chinchilla approach 2 and DeepSeek LLM's hyperparameter laws. {@code scalelab fit} is this plus file output.
 */
public final class Fits {
    private Fits() {}

    /** {@code --laws} keys that are analyses rather than laws. */
    public static final List<String> ANALYSES = List.of("approach1", "approach2", "batch", "hyper");

    /** Points of the compute frontier and of the approach-1 compute grid, and loss targets of the batch fit. */
    static final int FRONTIER_POINTS = 24, APPROACH1_POINTS = 50, BATCH_TARGETS = 6;

    /** Budgets (FLOP) at which each law in N and D reports its compute-optimal allocation. */
    static final double[] BUDGETS = {1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25};

    /** Fits {@code t} as {@code o} says; a {@link ScalingError} names what in the table stops a fit. */
    public static FitReport fitAll(Table t, FitOptions o) {
        long t0 = System.nanoTime();
        List<String> keys = o.laws() == null ? allKeys() : o.laws().stream().map(k -> k.trim().toLowerCase(Locale.ROOT)).toList();
        for (String k : keys) {
            if (!Laws.KEYS.contains(k) && !ANALYSES.contains(k)) {
                throw new ScalingError("--laws: unknown law '" + k + "'; use any of " + String.join(",", allKeys()));
            }
        }
        boolean explicit = o.laws() != null;
        if (t.size() == 0) {
            throw new ScalingError(t.source() + ": no finished runs to fit (only rows with status done are fitted"
                    + (t.otherStatuses().isEmpty() ? "" : "; this table has " + t.otherStatuses()) + ")");
        }
        Columns cols = new Columns(t, o.columns());
        List<String> skipped = new ArrayList<>();
        cols.get("loss");   // every fit needs it: a bad loss is reported even when no law would be fitted

        CriticalBatch.Result batch = null;
        if (keys.contains("batch") && o.curves()) {
            String why = cols.missing("batch");
            if (why == null && !t.hasCurves()) why = "needs learning curves (a sweep directory with runs/<id>/metrics.jsonl)";
            if (why == null) {
                batch = CriticalBatch.fit(batchRuns(t, cols.get("batch")), BATCH_TARGETS, o.bootstrap(), o.level(), o.seed());
                if (batch == null) why = "needs learning curves at three or more batch sizes that reach common loss targets";
            }
            if (why != null) skip(explicit, skipped, "critical batch: " + why);
        }

        List<FitReport.LawFit> fits = new ArrayList<>();
        for (String key : keys) {
            if (ANALYSES.contains(key)) continue;
            Law law = Laws.byKey(key);
            Points pts = points(law, t, cols, o, batch);
            if (pts.why != null) {
                skip(explicit, skipped, law.id() + ": " + pts.why);
                continue;
            }
            String where = t.source() + (pts.from.startsWith("compute frontier") ? " (compute frontier)" : "");
            Fitter.checkValues(law, pts.data, where);
            try {
                Fitter.checkSupport(law, pts.data, where);
            } catch (ScalingError e) {
                skip(explicit, skipped, e.getMessage());
                continue;
            }
            if (pts.runs < MIN_RUNS) {
                // two runs make a "law" that any curve through them satisfies; its interval would mean nothing
                skip(explicit, skipped, law.id() + ": needs points from " + MIN_RUNS + " or more runs, has them from " + pts.runs
                        + " (points: " + pts.from + ")");
                continue;
            }
            fits.add(fitOne(law, pts, o));
        }

        List<ComputeOptimal.Result> opt = new ArrayList<>();
        if (keys.contains("approach1") && o.curves()) {
            String why = cols.missing("N");
            ComputeOptimal.Result a1 = null;
            if (why == null && !t.hasCurves()) why = "needs learning curves (a sweep directory with runs/<id>/metrics.jsonl)";
            if (why == null) {
                a1 = ComputeOptimal.approach1(curves(t, cols.get("N")), APPROACH1_POINTS, o.bootstrap(), o.level(), o.seed());
                if (a1 == null) why = "needs learning curves of three or more model sizes, some of them best at some compute between a smaller and a larger one";
            }
            if (a1 != null) opt.add(a1);
            else skip(explicit, skipped, "approach 1: " + why);
        }
        if (keys.contains("approach2")) {
            String why = cols.missing("N") != null ? cols.missing("N") : cols.missing("D");
            ComputeOptimal.Result a2 = null;
            if (why == null) {
                double[] n = cols.get("N"), d = cols.get("D"), l = cols.get("loss");
                List<ComputeOptimal.Final> finals = IntStream.range(0, t.size()).mapToObj(i -> new ComputeOptimal.Final(n[i], d[i], l[i])).toList();
                a2 = ComputeOptimal.approach2(finals, o.bootstrap(), o.level(), o.seed());
                if (a2 == null) why = "needs two or more compute budgets (6·N·D within 10%) with three or more model sizes each and a loss minimum inside them";
            }
            if (a2 != null) opt.add(a2);
            else skip(explicit, skipped, "approach 2: " + why);
        }
        Hyper hyper = keys.contains("hyper") ? hyper(t, cols, o, explicit, skipped) : null;
        if (fits.isEmpty() && opt.isEmpty() && batch == null && hyper == null) {
            throw new ScalingError(t.source() + ": nothing could be fitted: " + String.join("; ", skipped));
        }
        return new FitReport(t.source().toString(), cols.name("loss"), t.size(), t.otherStatuses(), fits, opt, batch, hyper,
                skipped, o, (System.nanoTime() - t0) / 1e9);
    }

    /** Every law key, then every analysis key. */
    public static List<String> allKeys() {
        List<String> k = new ArrayList<>(Laws.KEYS);
        k.addAll(ANALYSES);
        return k;
    }

    private static void skip(boolean explicit, List<String> skipped, String why) {
        if (explicit) throw new ScalingError(why);
        skipped.add(why);
    }

    /** One law: the full fit with its intervals, the held-out extrapolation and, in N and D, the allocation. */
    static FitReport.LawFit fitOne(Law law, Points pts, FitOptions o) {
        double delta = law.id().equals("chinchilla") ? FitOptions.CHINCHILLA_HUBER : o.huberDelta();
        Fitter.Options fo = new Fitter.Options(delta, o.bootstrap(), o.level(), o.replicateStarts(), o.seed());
        Fitter.Fit f = Fitter.fit(law, pts.data, fo);
        Holdout h = Holdout.possible(law, pts.data, o.holdout()) ? Holdout.of(law, pts.data, o.holdout(), delta) : null;
        String holdoutNote = o.holdout() > 0 && h == null
                ? "not done: " + pts.data.n() + " points leave fewer than " + (law.size() + 1) + " to fit once " + o.holdout() + " are held out" : null;
        Allocation.Summary alloc = Allocation.applies(law) ? Allocation.summarise(f, BUDGETS, o.level()) : null;
        return new FitReport.LawFit(f, pts.from, delta, h, holdoutNote, alloc);
    }

    /** A law is fitted only to points from at least this many runs. */
    static final int MIN_RUNS = 3;

    /** The points a law is fitted to, where they came from and from how many runs, or why there are none. */
    record Points(Fitter.Data data, String from, int runs, String why) {
        static Points none(String why) {
            return new Points(null, null, 0, why);
        }
    }

    /**
     * The points of a law. A single-variable law in N uses, per distinct N, the run with the most data
     * (the one closest to convergence; ties: the lowest loss, e.g. the best learning rate), and likewise
     * L(D) per D the largest model. L(C) uses the compute frontier of the learning curves when there are
     * curves, else the C column (or 6·N·D). The joint laws use every run.
     */
    static Points points(Law law, Table t, Columns cols, FitOptions o, CriticalBatch.Result batch) {
        double[] loss = cols.get("loss");
        switch (law.inputs().get(0) + (law.inputs().size() > 1 ? "," + law.inputs().get(1) : "")) {
            case "N", "D" -> {
                String x = law.inputs().get(0), other = x.equals("N") ? "D" : "N";
                if (cols.missing(x) != null) return Points.none(cols.missing(x));
                double[] v = cols.get(x), w = cols.missing(other) == null ? cols.get(other) : null;
                int[] rows = bestPerValue(v, w, loss);
                String from = w == null ? "every run (" + rows.length + ")" : "per " + x + ", the run with the largest " + other + " (" + rows.length + " of " + t.size() + " runs)";
                return new Points(data(t, rows, new double[][]{v}, loss, cols), from, rows.length, null);
            }
            case "C" -> {
                if (o.curves() && t.hasCurves() && cols.missing("N") == null) {
                    List<ComputeOptimal.Curve> curves = curves(t, cols.get("N"));
                    Fitter.Data f = ComputeOptimal.frontier(curves, FRONTIER_POINTS);
                    if (f != null) return new Points(f, "compute frontier of the learning curves of " + curves.size() + " runs (C = 6·N·tokens, "
                            + FRONTIER_POINTS + " log-spaced points)", curves.size(), null);
                }
                if (cols.missing("C") != null) return Points.none(cols.missing("C"));
                return new Points(data(t, all(t), new double[][]{cols.get("C")}, loss, cols), "every run (" + t.size() + "), C = " + cols.name("C"), t.size(), null);
            }
            case "N,D" -> {
                String why = cols.missing("N") != null ? cols.missing("N") : cols.missing("D");
                if (why != null) return Points.none(why);
                return new Points(data(t, all(t), new double[][]{cols.get("N"), cols.get("D")}, loss, cols), "every run (" + t.size() + ")", t.size(), null);
            }
            case "N,S_min" -> {
                for (String c : new String[]{"N", "steps", "batch"}) if (cols.missing(c) != null) return Points.none(cols.missing(c));
                double[] s = cols.get("steps"), b = cols.get("batch"), sMin = new double[t.size()];
                // with one or two step counts, S_min varies (almost) only through B_crit(L) of the loss being
                // fitted, and the law reproduces L from itself: a perfect fit that means nothing
                if (Arrays.stream(s).distinct().count() < 3) {
                    return Points.none("needs runs at three or more step counts S (" + cols.name("steps")
                            + " has " + Arrays.stream(s).distinct().count() + "): with S fixed, S_min = S/(1 + B_crit(L)/B) varies only through the loss itself");
                }
                boolean own = batch != null && Double.isFinite(batch.bStar()) && batch.alphaB() > 0;
                for (int i = 0; i < sMin.length; i++) {
                    double bCrit = own ? batch.bCrit(loss[i]) : Published.kaplanCriticalBatch(loss[i]);
                    sMin[i] = s[i] / (1 + bCrit / b[i]);
                }
                String from = "every run (" + t.size() + "), S_min = S/(1 + B_crit(L)/B) with B_crit(L) from "
                        + (own ? "this sweep's critical-batch fit" : "Kaplan et al. 2020 (B* = 2e8 tokens, alpha_B = 0.21)");
                return new Points(data(t, all(t), new double[][]{cols.get("N"), sMin}, loss, cols), from, t.size(), null);
            }
            default -> throw new IllegalStateException(law.id());
        }
    }

    private static int[] all(Table t) {
        return IntStream.range(0, t.size()).toArray();
    }

    /** Per distinct value of v, the row with the largest {@code other} (ties: lowest loss); every row when other is null. */
    static int[] bestPerValue(double[] v, double[] other, double[] loss) {
        if (other == null) return IntStream.range(0, v.length).toArray();
        Map<Double, Integer> pick = new HashMap<>();
        for (int i = 0; i < v.length; i++) {
            Integer j = pick.get(v[i]);
            if (j == null || other[i] > other[j] || (other[i] == other[j] && loss[i] < loss[j])) pick.put(v[i], i);
        }
        return pick.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    private static Fitter.Data data(Table t, int[] rows, double[][] cols, double[] loss, Columns c) {
        double[] w = c.missing("weight") == null ? c.get("weight") : null;
        double[][] x = new double[rows.length][cols.length];
        double[] l = new double[rows.length], ws = new double[rows.length];
        String[] labels = new String[rows.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < cols.length; j++) x[i][j] = cols[j][rows[i]];
            l[i] = loss[rows[i]];
            ws[i] = w == null ? 1 : w[rows[i]];
            labels[i] = t.label(rows[i]);
        }
        return new Fitter.Data(x, l, ws, labels);
    }

    /** Each finished run's validation curve against compute C = 6·N·tokens, in increasing C. */
    static List<ComputeOptimal.Curve> curves(Table t, double[] n) {
        List<ComputeOptimal.Curve> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            final double ni = n[i];
            List<Table.Point> pts = t.runs().get(i).curve().stream().filter(p -> p.tokens() > 0)
                    .sorted(Comparator.comparingDouble(Table.Point::tokens)).toList();
            if (pts.size() < 2) continue;
            out.add(new ComputeOptimal.Curve(ni, pts.stream().mapToDouble(p -> 6 * ni * p.tokens()).toArray(),
                    pts.stream().mapToDouble(Table.Point::valLoss).toArray()));
        }
        return out;
    }

    /** The hyperparameter fit and the columns its C, lr and batch came from (null: not in the table). */
    public record Hyper(Hyperparameters.Result result, String computeColumn, String lrColumn, String batchColumn) {}

    /** DeepSeek LLM's hyperparameter laws, or null with the reason added to {@code skipped} (thrown when asked for). */
    private static Hyper hyper(Table t, Columns cols, FitOptions o, boolean explicit, List<String> skipped) {
        String why;
        try {
            why = cols.missing("C");
            if (why == null && cols.missing("lr") != null && cols.missing("batch") != null) {
                why = "needs a column of learning rates ('" + cols.name("lr") + "', or name it with --lr-col) or of tokens per step (tokens_per_step, "
                        + "or batch_size and n_ctx, or name it with --batch-col); " + t.source().getFileName() + " has neither";
            }
            if (why == null) {
                List<Hyperparameters.Run> runs = hyperRuns(t, cols);
                why = Hyperparameters.unsupported(runs);
                if (why == null) {
                    return new Hyper(Hyperparameters.fit(runs, o.hyperMargin(), BUDGETS, o.bootstrap(), o.level(), o.seed()), cols.name("C"),
                            cols.missing("lr") == null ? cols.name("lr") : null, cols.missing("batch") == null ? cols.name("batch") : null);
                }
            }
        } catch (ScalingError e) {
            // a bad lr (or C, or batch) value stops this analysis alone unless it was asked for
            why = e.getMessage();
        }
        skip(explicit, skipped, "hyperparameters: " + why);
        return null;
    }

    /** Each finished run's C, lr and tokens per step (NaN for a column the table lacks) and loss. */
    static List<Hyperparameters.Run> hyperRuns(Table t, Columns cols) {
        double[] c = cols.get("C"), loss = cols.get("loss");
        double[] lr = cols.missing("lr") == null ? cols.get("lr") : null, b = cols.missing("batch") == null ? cols.get("batch") : null;
        List<Hyperparameters.Run> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            out.add(new Hyperparameters.Run(c[i], lr == null ? Double.NaN : lr[i], b == null ? Double.NaN : b[i], loss[i], t.label(i)));
        }
        return out;
    }

    /** Each finished run's (step, loss) curve with its batch size in tokens, for the critical batch. */
    static List<CriticalBatch.Run> batchRuns(Table t, double[] batchTokens) {
        List<CriticalBatch.Run> out = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
            List<Table.Point> pts = t.runs().get(i).curve();
            if (pts.size() < 2) continue;
            out.add(new CriticalBatch.Run(batchTokens[i], pts.stream().mapToLong(Table.Point::step).toArray(),
                    pts.stream().mapToDouble(Table.Point::valLoss).toArray()));
        }
        return out;
    }

    /**
     * The table's columns by role (loss, N, D, C, batch, steps, weight, lr), resolved once against the
     * defaults of {@link FitOptions.Columns}, each checked when first used: every value of a used column
     * must be a positive number (weights: ≥ 0), else the message names the line, the column and the fix.
     */
    static final class Columns {
        private final Table t;
        private final Map<String, String> names = new LinkedHashMap<>();
        private final Map<String, String> flags = Map.of("N", "--n-col", "D", "--d-col", "C", "--c-col", "loss", "--loss-col",
                "batch", "--batch-col", "steps", "--steps-col", "weight", "--weight-col", "lr", "--lr-col");
        private final Map<String, double[]> values = new HashMap<>();

        Columns(Table t, FitOptions.Columns c) {
            this.t = t;
            names.put("N", pick(c.n(), "N"));
            names.put("D", pick(c.d(), "D"));
            names.put("C", pick(c.c(), "C"));
            names.put("loss", pick(c.loss(), "best_val_loss", "final_val_loss", "loss"));
            names.put("batch", pick(c.batch(), "tokens_per_step"));
            names.put("steps", pick(c.steps(), "steps_done", "steps"));
            names.put("weight", c.weight());
            names.put("lr", pick(c.lr(), "lr"));
            // a column named explicitly must exist, whatever is fitted
            for (var e : Map.of("N", c.n() == null ? "" : c.n(), "D", c.d() == null ? "" : c.d(), "C", c.c() == null ? "" : c.c(),
                    "loss", c.loss() == null ? "" : c.loss(), "batch", c.batch() == null ? "" : c.batch(),
                    "steps", c.steps() == null ? "" : c.steps(), "weight", c.weight() == null ? "" : c.weight(),
                    "lr", c.lr() == null ? "" : c.lr()).entrySet()) {
                if (!e.getValue().isEmpty() && !t.has(e.getValue())) {
                    throw new ScalingError(t.source() + ": no column '" + e.getValue() + "' (" + flags.get(e.getKey()) + "); the columns are " + t.columns());
                }
            }
            if (!t.has(names.get("loss"))) {
                throw new ScalingError(t.source() + ": no loss column (best_val_loss, final_val_loss or loss); name one with --loss-col; the columns are " + t.columns());
            }
        }

        private String pick(String explicit, String... defaults) {
            if (explicit != null) return explicit;
            for (String d : defaults) if (t.has(d)) return d;
            return defaults[0];
        }

        /** The column name for a role. */
        String name(String role) {
            return names.get(role);
        }

        /** Null when the role's column can be read (or derived), else why not. */
        String missing(String role) {
            if (role.equals("weight")) return names.get("weight") == null ? "no weight column" : null;
            if (t.has(names.get(role))) return null;
            if (role.equals("C") && t.has(names.get("N")) && t.has(names.get("D"))) return null;   // C = 6·N·D
            if (role.equals("batch") && t.has("batch_size") && t.has("n_ctx")) return null;        // sequences × context
            String what = switch (role) {
                case "batch" -> "tokens per step (tokens_per_step, or batch_size and n_ctx)";
                case "steps" -> "steps (steps_done or steps)";
                case "lr" -> "learning rates";
                default -> role;
            };
            return "needs a column of " + what + "; " + t.source().getFileName() + " has none named '" + names.get(role)
                    + "' (name it with " + flags.get(role) + ")";
        }

        /** The role's values, checked: positive finite numbers (weights finite and ≥ 0). */
        double[] get(String role) {
            double[] cached = values.get(role);
            if (cached != null) return cached;
            String why = missing(role);
            if (why != null) throw new ScalingError(t.source() + ": " + why);
            double[] v;
            String label;
            if (role.equals("C") && !t.has(names.get("C"))) {
                double[] n = get("N"), d = get("D");
                v = IntStream.range(0, n.length).mapToDouble(i -> 6 * n[i] * d[i]).toArray();
                names.put("C", "6·N·D");
                label = null;
            } else if (role.equals("batch") && !t.has(names.get("batch"))) {
                double[] b = t.numbers("batch_size"), c = t.numbers("n_ctx");
                check(b, "batch_size", "batch");
                check(c, "n_ctx", "batch");
                v = IntStream.range(0, b.length).mapToDouble(i -> b[i] * c[i]).toArray();
                names.put("batch", "batch_size·n_ctx");
                label = null;
            } else {
                label = names.get(role);
                v = t.numbers(label);
            }
            if (label != null) check(v, label, role);
            values.put(role, v);
            return v;
        }

        private void check(double[] v, String column, String role) {
            for (int i = 0; i < v.length; i++) {
                boolean ok = role.equals("weight") ? v[i] >= 0 && Double.isFinite(v[i]) : v[i] > 0 && Double.isFinite(v[i]);
                if (!ok) {
                    String val = Double.isNaN(v[i]) ? "empty or NaN" : String.valueOf(v[i]);
                    throw new ScalingError(t.source() + ", " + t.label(i) + ": " + column + " is " + val + "; "
                            + (role.equals("weight") ? "weights must be finite numbers ≥ 0" : column + " must be a positive number")
                            + " (fix the value, or give the run a status other than done to leave it out)");
                }
            }
        }
    }
}
