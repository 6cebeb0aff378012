package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Hyperparameter scaling laws as DeepSeek LLM fits them (Bi et al. 2024, §3.1): a sweep of learning
 * rates and batch sizes at several compute budgets C; at each budget the runs whose loss is within a small
 * margin of that budget's lowest loss (0.25% in the paper) are its near-optimal region, and
 * lr_opt(C) = a·C^b and B_opt(C) = c·C^d are fitted by least squares on ln lr and ln B against ln C over
 * all those points together (a budget counts once per near-optimal run, as in their fit). C is in FLOP,
 * B in tokens per step. Intervals: a percentile bootstrap that resamples the runs within each budget
 * (every replicate keeps every budget) and redoes the selection and both fits.
 */
public final class Hyperparameters {
    private Hyperparameters() {}

    /** DeepSeek's margin: a run within 0.25% of its budget's lowest loss is near-optimal. */
    public static final double MARGIN = 0.0025;

    /** A budget is used with this many runs at this many distinct (lr, B) settings; the fit needs this many budgets. */
    public static final int MIN_SETTINGS = 3, MIN_BUDGETS = 3;

    /**
     * One finished run.
     *
     * @param c     training compute in FLOP
     * @param lr    peak learning rate; NaN when the table has none
     * @param batch batch size in tokens per step; NaN when the table has none
     * @param loss  its loss (nats per token)
     * @param label the run, for the report
     */
    public record Run(double c, double lr, double batch, double loss, String label) {}

    /** An (lr, B) pair; records compare doubles as {@link Double#compare} does, so NaN (absent) equals NaN. */
    private record Setting(double lr, double batch) {}

    /**
     * One compute budget.
     *
     * @param c           its compute: the geometric mean of its runs' C
     * @param runs        the runs grouped into it
     * @param settings    distinct (lr, B) pairs among them
     * @param best        the run with the lowest loss
     * @param nearOptimal the runs with loss ≤ best·(1 + margin), the best included
     */
    public record Budget(double c, List<Run> runs, int settings, Run best, List<Run> nearOptimal) {
        /** The smallest and largest value of {@code v} over the near-optimal runs. */
        public double[] nearOptimalRange(ToDoubleFunction<Run> v) {
            double[] x = nearOptimal.stream().mapToDouble(v).toArray();
            return new double[]{Arrays.stream(x).min().orElse(Double.NaN), Arrays.stream(x).max().orElse(Double.NaN)};
        }

        /**
         * Whether the best run's value of {@code v} is the smallest or largest this budget tried (with two or
         * more tried): the optimum may then lie outside the grid, and the near-optimal region is cut off.
         */
        public boolean bestAtEdge(ToDoubleFunction<Run> v) {
            double[] x = runs.stream().mapToDouble(v).filter(Double::isFinite).distinct().toArray();
            if (x.length < 2) return false;
            double b = v.applyAsDouble(best);
            return b == Arrays.stream(x).min().orElseThrow() || b == Arrays.stream(x).max().orElseThrow();
        }
    }

    /** y = k·C^e with percentile bootstrap intervals of k and e (NaN without replicates). */
    public record Power(double coefficient, double coefficientLow, double coefficientHigh,
                        double exponent, double exponentLow, double exponentHigh) {
        public double at(double c) {
            return coefficient * Math.pow(c, exponent);
        }
    }

    /** A law's value at compute {@code c} and its pointwise bootstrap interval. */
    public record At(double c, double value, double low, double high) {}

    /** The lr or batch law: its power law and values at the requested budgets, or (power null) why it was not fitted. */
    public record Law(Power power, List<At> at, String note) {
        public boolean fitted() {
            return power != null;
        }
    }

    /**
     * The fit: the margin used, the budgets fitted (each with its near-optimal runs), how many budgets of
     * the table were left out for too few runs or settings, both laws, and how many of the bootstrap
     * replicates gave no finite fit (left out of the intervals).
     */
    public record Result(double margin, List<Budget> budgets, int budgetsLeftOut, Law lr, Law batch, int bootstrap, int bootstrapFailed) {
        /** Near-optimal points over all budgets: the number of points each law is fitted to. */
        public int points() {
            return budgets.stream().mapToInt(b -> b.nearOptimal().size()).sum();
        }
    }

    /** The runs grouped into compute budgets, as approach 2 groups its runs (C within 10%). */
    static List<List<Run>> groups(List<Run> runs) {
        return new ArrayList<>(ComputeOptimal.byCompute(runs, Run::c).values());
    }

    private static int settings(List<Run> runs) {
        return (int) runs.stream().map(r -> new Setting(r.lr(), r.batch())).distinct().count();
    }

    private static boolean usable(List<Run> g) {
        return g.size() >= MIN_SETTINGS && settings(g) >= MIN_SETTINGS;
    }

    /** Null when {@code runs} support the fit, else why not (naming the budgets found). */
    public static String unsupported(List<Run> runs) {
        List<List<Run>> all = groups(runs);
        List<List<Run>> used = all.stream().filter(Hyperparameters::usable).toList();
        if (used.size() < MIN_BUDGETS) {
            String found = all.stream().limit(4).map(g -> String.format(Locale.ROOT, "C = %.3g: %d run%s at %d (lr, batch) setting%s",
                    geoMean(g), g.size(), g.size() == 1 ? "" : "s", settings(g), settings(g) == 1 ? "" : "s")).collect(Collectors.joining("; "));
            return "needs " + MIN_BUDGETS + " or more compute budgets (C within 10%) with " + MIN_SETTINGS + " or more runs at "
                    + MIN_SETTINGS + " or more (lr, batch) settings each; " + (used.size() == 0 ? "none" : "only " + used.size())
                    + " of " + all.size() + " budget" + (all.size() == 1 ? " does" : "s do") + " (" + found
                    + (all.size() > 4 ? "; " + (all.size() - 4) + " more" : "") + ")";
        }
        if (note(used, Run::lr, "learning rate") != null && note(used, Run::batch, "batch size") != null) {
            return "neither the learning rate nor the batch size takes two or more values within every budget used, so no optimum of either is measured";
        }
        return null;
    }

    /** Null when {@code v} varies within every budget, else why its law is not fitted. */
    private static String note(List<List<Run>> used, ToDoubleFunction<Run> v, String what) {
        if (used.stream().flatMap(List::stream).noneMatch(r -> Double.isFinite(v.applyAsDouble(r)))) return "no " + what + " in the table";
        List<String> fixed = new ArrayList<>();
        for (List<Run> g : used) {
            if (g.stream().mapToDouble(v).filter(Double::isFinite).distinct().count() < 2) fixed.add(String.format(Locale.ROOT, "%.3g", geoMean(g)));
        }
        return fixed.isEmpty() ? null : "the " + what + " takes one value within the budget" + (fixed.size() == 1 ? "" : "s")
                + " C = " + String.join(", ", fixed) + ", so its optimum there is not measured";
    }

    /**
     * Both laws from {@code runs} with near-optimal {@code margin}, their values at the computes {@code at},
     * and {@code bootstrap} replicates for the intervals at {@code level}; the same seed gives the same
     * intervals. Null where {@link #unsupported} gives a reason.
     */
    public static Result fit(List<Run> runs, double margin, double[] at, int bootstrap, double level, long seed) {
        if (!(margin >= 0) || unsupported(runs) != null) return null;
        List<List<Run>> all = groups(runs), used = all.stream().filter(Hyperparameters::usable).toList();
        double[] cs = used.stream().mapToDouble(Hyperparameters::geoMean).toArray();
        String lrNote = note(used, Run::lr, "learning rate"), bNote = note(used, Run::batch, "batch size");
        List<Budget> budgets = new ArrayList<>();
        for (int i = 0; i < used.size(); i++) budgets.add(budget(cs[i], used.get(i), margin));
        double[] lrLine = lrNote == null ? line(budgets, Run::lr) : null, bLine = bNote == null ? line(budgets, Run::batch) : null;

        // replicate k: ln a, b, ln c, d, then ln lr_opt and ln B_opt at each of the computes in `at`
        int width = 4 + 2 * at.length;
        double[][] reps = new double[bootstrap][];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int k = 0; k < bootstrap; k++) {
            List<Budget> sample = new ArrayList<>(used.size());
            for (int i = 0; i < used.size(); i++) {
                List<Run> g = used.get(i), s = new ArrayList<>(g.size());
                for (int j = 0; j < g.size(); j++) s.add(g.get(rng.nextInt(g.size())));
                sample.add(budget(cs[i], s, margin));
            }
            double[] l = lrLine != null ? line(sample, Run::lr) : new double[]{0, 0};
            double[] b = bLine != null ? line(sample, Run::batch) : new double[]{0, 0};
            double[] rep = new double[width];
            rep[0] = l[0];
            rep[1] = l[1];
            rep[2] = b[0];
            rep[3] = b[1];
            for (int j = 0; j < at.length; j++) {
                rep[4 + j] = l[0] + l[1] * Math.log(at[j]);
                rep[4 + at.length + j] = b[0] + b[1] * Math.log(at[j]);
            }
            if (Arrays.stream(rep).allMatch(Double::isFinite)) reps[k] = rep;
        }
        double[][] ok = Arrays.stream(reps).filter(r -> r != null).toArray(double[][]::new);
        double q = (1 - level) / 2;
        Law lr = lrLine == null ? new Law(null, List.of(), lrNote) : law(lrLine, ok, 0, 4, at, q);
        Law batch = bLine == null ? new Law(null, List.of(), bNote) : law(bLine, ok, 2, 4 + at.length, at, q);
        return new Result(margin, List.copyOf(budgets), all.size() - used.size(), lr, batch, bootstrap, bootstrap - ok.length);
    }

    private static Budget budget(double c, List<Run> runs, double margin) {
        Run best = runs.get(0);
        for (Run r : runs) if (r.loss() < best.loss()) best = r;
        double cut = best.loss() * (1 + margin);
        return new Budget(c, List.copyOf(runs), settings(runs), best, runs.stream().filter(r -> r.loss() <= cut).toList());
    }

    /** ln y = intercept + slope·ln C over every near-optimal run of every budget. */
    private static double[] line(List<Budget> budgets, ToDoubleFunction<Run> v) {
        List<double[]> xy = new ArrayList<>();
        for (Budget b : budgets) for (Run r : b.nearOptimal()) xy.add(new double[]{Math.log(b.c()), Math.log(v.applyAsDouble(r))});
        return ComputeOptimal.line(xy.stream().mapToDouble(p -> p[0]).toArray(), xy.stream().mapToDouble(p -> p[1]).toArray());
    }

    /** The law of a fitted line with intervals from the replicates' columns (intercept, slope) and (predictions at `at`). */
    private static Law law(double[] line, double[][] reps, int col, int atCol, double[] at, double q) {
        double[] lo = new double[2 + at.length], hi = new double[2 + at.length];
        Arrays.fill(lo, Double.NaN);
        Arrays.fill(hi, Double.NaN);
        if (reps.length > 0) {
            for (int j = 0; j < 2 + at.length; j++) {
                int c = j < 2 ? col + j : atCol + j - 2;
                double[] s = Arrays.stream(reps).mapToDouble(r -> r[c]).sorted().toArray();
                lo[j] = Fitter.quantile(s, q);
                hi[j] = Fitter.quantile(s, 1 - q);
            }
        }
        Power p = new Power(Math.exp(line[0]), Math.exp(lo[0]), Math.exp(hi[0]), line[1], lo[1], hi[1]);
        List<At> values = new ArrayList<>();
        for (int j = 0; j < at.length; j++) values.add(new At(at[j], p.at(at[j]), Math.exp(lo[2 + j]), Math.exp(hi[2 + j])));
        return new Law(p, List.copyOf(values), null);
    }

    private static double geoMean(List<Run> runs) {
        return Math.exp(runs.stream().mapToDouble(r -> Math.log(r.c())).average().orElse(Double.NaN));
    }
}
