package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Compute-optimal allocation from runs (Hoffmann et al. 2022), C = 6·N·D throughout:
 * <ul>
 * <li>approach 1: at log-spaced compute values, the lowest loss over all learning curves (their lower
 * envelope) and the N of the run that reaches it → N_opt(C) = k_N·C^a, D_opt = C/(6·N_opt) = k_D·C^b;
 * an optimum counts only where a smaller and a larger model also reach that compute, else it is the
 * edge of the sweep, not an optimum;</li>
 * <li>approach 2 (IsoFLOP): runs grouped by their final compute, a parabola of final loss in ln N per
 * group with three or more sizes, its minimum → the same power laws;</li>
 * <li>Kaplan's compute frontier ({@link Frontier}): the running minimum over increasing C of the lower
 * envelope of all learning curves, at log-spaced C, to which L(C_min) = (C_c/C)^α_C is fitted.</li>
 * </ul>
 * Intervals on the exponents come from a bootstrap over runs: the runs are resampled, the whole
 * approach is redone, and replicates where it finds too few optima are dropped (and counted).
 */
public final class ComputeOptimal {
    private ComputeOptimal() {}

    /** A learning curve in compute: loss at increasing C = 6·N·tokens. */
    public record Curve(double n, double[] c, double[] loss) {
        /** Loss at compute x by linear interpolation in (ln C, L); NaN outside the curve. */
        double at(double x) {
            if (x < c[0] || x > c[c.length - 1]) return Double.NaN;
            int i = Arrays.binarySearch(c, x);
            if (i >= 0) return loss[i];
            i = -i - 1;
            double f = (Math.log(x) - Math.log(c[i - 1])) / (Math.log(c[i]) - Math.log(c[i - 1]));
            return loss[i - 1] + f * (loss[i] - loss[i - 1]);
        }
    }

    /** A finished run by its final numbers, for approach 2. */
    public record Final(double n, double d, double loss) {}

    /** y = k·C^exponent with the bootstrap interval of the exponent (NaN without one). */
    public record PowerLaw(double coefficient, double exponent, double low, double high) {
        public double at(double c) {
            return coefficient * Math.pow(c, exponent);
        }
    }

    /** One compute-optimal point: compute C, N_opt, D_opt = C/(6·N_opt), and the loss there. */
    public record Optimum(double c, double nOpt, double dOpt, double loss) {}

    /** One IsoFLOP group of approach 2: its compute, number of runs, and the parabola's minimum. */
    public record Budget(double c, int runs, double nOpt, double lossAtMin) {}

    /**
     * The result of approach 1 or 2: the optimal points, N_opt(C) and D_opt(C) with intervals,
     * the IsoFLOP groups (approach 2 only), and how many bootstrap replicates found no fit.
     */
    public record Result(String method, List<Optimum> points, PowerLaw nOpt, PowerLaw dOpt, List<Budget> budgets,
                         int bootstrap, int bootstrapFailed) {}

    /** Approach 1 from learning curves; null when fewer than 3 compute values have a bracketed optimum. */
    public static Result approach1(List<Curve> curves, int gridPoints, int bootstrap, double level, long seed) {
        return withInterval(cs -> approach1(cs, gridPoints), curves, bootstrap, level, seed);
    }

    /** Approach 2 from final losses; null when fewer than 2 budgets have a parabola with an interior minimum. */
    public static Result approach2(List<Final> runs, int bootstrap, double level, long seed) {
        return withInterval(ComputeOptimal::approach2, runs, bootstrap, level, seed);
    }

    static Result approach1(List<Curve> cs, int gridPoints) {
        if (cs.size() < 3) return null;
        double lo = cs.stream().mapToDouble(c -> c.c()[0]).min().orElseThrow();
        double hi = cs.stream().mapToDouble(c -> c.c()[c.c().length - 1]).max().orElseThrow();
        List<Optimum> best = new ArrayList<>();
        for (int k = 0; k < gridPoints; k++) {
            double c = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * k / (gridPoints - 1));
            Curve arg = null;
            double bl = Double.MAX_VALUE, smallest = Double.MAX_VALUE, largest = 0;
            for (Curve cv : cs) {
                double l = cv.at(c);
                if (Double.isNaN(l)) continue;
                smallest = Math.min(smallest, cv.n());
                largest = Math.max(largest, cv.n());
                if (l < bl) {
                    bl = l;
                    arg = cv;
                }
            }
            if (arg != null && arg.n() > smallest && arg.n() < largest) best.add(new Optimum(c, arg.n(), c / (6 * arg.n()), bl));
        }
        if (best.size() < 3 || best.stream().mapToDouble(Optimum::nOpt).distinct().count() < 2) return null;
        return powerLaws("approach 1 (envelope of learning curves)", best, List.of());
    }

    static Result approach2(List<Final> runs) {
        List<Optimum> minima = new ArrayList<>();
        List<Budget> budgets = new ArrayList<>();
        for (var g : byCompute(runs).entrySet()) {
            List<Final> rs = g.getValue();
            if (rs.stream().mapToDouble(Final::n).distinct().count() < 3) continue;
            double[] x = rs.stream().mapToDouble(r -> Math.log(r.n())).toArray();
            double[] y = rs.stream().mapToDouble(Final::loss).toArray();
            double[] p = parabola(x, y);
            if (!(p[2] > 0)) continue; // no interior minimum
            double lnN = -p[1] / (2 * p[2]);
            double minX = Arrays.stream(x).min().orElseThrow(), maxX = Arrays.stream(x).max().orElseThrow();
            if (lnN < minX - 0.5 || lnN > maxX + 0.5) continue; // far outside the sizes tried: an extrapolation
            double lmin = p[0] + p[1] * lnN + p[2] * lnN * lnN;
            minima.add(new Optimum(g.getKey(), Math.exp(lnN), g.getKey() / (6 * Math.exp(lnN)), lmin));
            budgets.add(new Budget(g.getKey(), rs.size(), Math.exp(lnN), lmin));
        }
        if (minima.size() < 2) return null;
        return powerLaws("approach 2 (IsoFLOP parabolas)", minima, budgets);
    }

    /**
     * Runs grouped by their compute 6·N·D: a run joins the first group within 10% of it (in ln C),
     * which is how an IsoFLOP sweep's budgets come back from runs whose D was rounded to whole steps.
     */
    public static TreeMap<Double, List<Final>> byCompute(List<Final> runs) {
        return byCompute(runs, r -> 6 * r.n() * r.d());
    }

    /** Any items grouped by their compute as {@link #byCompute(List)} groups runs: within 10% in ln C of a group's first. */
    public static <T> TreeMap<Double, List<T>> byCompute(List<T> items, ToDoubleFunction<T> compute) {
        TreeMap<Double, List<T>> groups = new TreeMap<>();
        for (T r : items) {
            double c = compute.applyAsDouble(r);
            Double key = groups.keySet().stream().filter(k -> Math.abs(Math.log(k / c)) < 0.1).findFirst().orElse(c);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    /** The approach on all items, and on bootstrap resamples of them for the exponents' intervals. */
    static <T> Result withInterval(Function<List<T>, Result> approach, List<T> items, int bootstrap, double level, long seed) {
        Result r = approach.apply(items);
        if (r == null || bootstrap <= 0) return r;
        SplittableRandom rng = new SplittableRandom(seed);
        List<Double> a = new ArrayList<>(), b = new ArrayList<>();
        for (int k = 0; k < bootstrap; k++) {
            List<T> sample = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) sample.add(items.get(rng.nextInt(items.size())));
            Result x = approach.apply(sample);
            if (x == null) continue;
            a.add(x.nOpt().exponent());
            b.add(x.dOpt().exponent());
        }
        double[] sa = a.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] sb = b.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        PowerLaw n = r.nOpt(), d = r.dOpt();
        double q = (1 - level) / 2;
        if (sa.length > 0) {
            n = new PowerLaw(n.coefficient(), n.exponent(), Fitter.quantile(sa, q), Fitter.quantile(sa, 1 - q));
            d = new PowerLaw(d.coefficient(), d.exponent(), Fitter.quantile(sb, q), Fitter.quantile(sb, 1 - q));
        }
        return new Result(r.method(), r.points(), n, d, r.budgets(), bootstrap, bootstrap - sa.length);
    }

    /** Least-squares lines ln N_opt = ln k_N + a·ln C and ln D_opt = ln k_D + b·ln C (a + b = 1). */
    static Result powerLaws(String method, List<Optimum> pts, List<Budget> budgets) {
        double[] lc = pts.stream().mapToDouble(p -> Math.log(p.c())).toArray();
        double[] fn = line(lc, pts.stream().mapToDouble(p -> Math.log(p.nOpt())).toArray());
        double[] fd = line(lc, pts.stream().mapToDouble(p -> Math.log(p.dOpt())).toArray());
        return new Result(method, List.copyOf(pts), new PowerLaw(Math.exp(fn[0]), fn[1], Double.NaN, Double.NaN),
                new PowerLaw(Math.exp(fd[0]), fd[1], Double.NaN, Double.NaN), List.copyOf(budgets), 0, 0);
    }

    /** Intercept and slope of y = a + b·x by least squares. */
    public static double[] line(double[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double b = sxy / sxx;
        return new double[]{my - b * mx, b};
    }

    /** y = p0 + p1·x + p2·x² by least squares (normal equations, Gauss–Jordan with partial pivoting). */
    static double[] parabola(double[] x, double[] y) {
        double[][] a = new double[3][4];
        for (int i = 0; i < x.length; i++) {
            double[] v = {1, x[i], x[i] * x[i]};
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) a[r][c] += v[r] * v[c];
                a[r][3] += v[r] * y[i];
            }
        }
        for (int col = 0; col < 3; col++) {
            int piv = col;
            for (int r = col + 1; r < 3; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            for (int r = 0; r < 3; r++) {
                if (r == col) continue;
                double f = a[r][col] / a[col][col];
                for (int c = col; c < 4; c++) a[r][c] -= f * a[col][c];
            }
        }
        return new double[]{a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
    }

    /**
     * Kaplan's compute frontier ({@link Frontier}: the running minimum over increasing C of the lower envelope
     * of the curves) at {@code points} log-spaced C from the least to the largest compute of any curve, as
     * points for an L(C) fit (labelled by their C); null with fewer than 4 evaluated points in all.
     */
    public static Fitter.Data frontier(List<Curve> curves, int points) {
        if (curves.stream().mapToInt(c -> c.c().length).sum() < 4) return null;
        List<Frontier.Vertex> f = Frontier.ofCurves(curves);
        if (f.isEmpty()) return null;
        double lo = f.get(0).c(), hi = f.get(f.size() - 1).c();
        double[][] x = new double[points][];
        double[] y = new double[points];
        for (int k = 0; k < points; k++) {
            double c = k == 0 ? lo : k == points - 1 ? hi : Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * k / (points - 1));
            x[k] = new double[]{c};
            y[k] = Frontier.at(f, c);
        }
        Fitter.Data d = Fitter.Data.of(x, y);
        String[] labels = d.labels();
        for (int i = 0; i < labels.length; i++) labels[i] = String.format(java.util.Locale.ROOT, "frontier point at C = %.3g", x[i][0]);
        return d;
    }
}
