package org.scalelab.scaling.fit;

import java.util.List;

/**
 * Compute-optimal allocation from a law in N and D: at a budget C = 6·N·D, the N that minimises
 * L(N, C/(6N)). Closed forms where they exist (Chinchilla: Hoffmann et al. 2022 eq. 4; Kaplan's
 * L(N,D): setting d/dN of (N_c/N)^(α_N/α_D) + 6·D_c·N/C to zero), a one-dimensional search otherwise.
 */
public final class Allocation {
    private Allocation() {}

    /** N_opt, D_opt = C/(6·N_opt), tokens per parameter and the predicted loss at budget C (FLOP). */
    public record Point(double c, double n, double d, double loss) {
        public double tokensPerParam() {
            return d / n;
        }
    }

    /** One budget's allocation with the bootstrap interval of N_opt and D_opt (NaN without replicates). */
    public record Row(double c, double n, double nLow, double nHigh, double d, double dLow, double dHigh, double loss) {
        public double tokensPerParam() {
            return d / n;
        }
    }

    /**
     * A fit's allocation: the exponents a (N_opt ∝ C^a) and b (D_opt ∝ C^b) with their intervals, and
     * N_opt, D_opt and the loss at each budget.
     */
    public record Summary(double a, double aLow, double aHigh, double b, double bLow, double bHigh, List<Row> rows) {}

    /** The allocation implied by a fitted law in N and D, with intervals over its bootstrap replicates. */
    public static Summary summarise(Fitter.Fit f, double[] budgets, double level) {
        Law law = f.law();
        double q = (1 - level) / 2, ref = 1e21;
        double[] ab = exponents(law, f.theta(), ref);
        double[] as = f.replicates().stream().mapToDouble(t -> exponents(law, t, ref)[0]).filter(Double::isFinite).sorted().toArray();
        double aLow = Double.NaN, aHigh = Double.NaN;
        if (as.length > 0) {
            aLow = Fitter.quantile(as, q);
            aHigh = Fitter.quantile(as, 1 - q);
        }
        List<Row> rows = new java.util.ArrayList<>();
        for (double c : budgets) {
            Point p = optimal(law, f.theta(), c);
            double[] ns = f.replicates().stream().mapToDouble(t -> optimal(law, t, c).n()).filter(Double::isFinite).sorted().toArray();
            double nLow = Double.NaN, nHigh = Double.NaN;
            if (ns.length > 0) {
                nLow = Fitter.quantile(ns, q);
                nHigh = Fitter.quantile(ns, 1 - q);
            }
            // D_opt = C/(6·N_opt) falls as N_opt rises: the interval ends swap
            rows.add(new Row(c, p.n(), nLow, nHigh, p.d(), c / (6 * nHigh), c / (6 * nLow), p.loss()));
        }
        return new Summary(ab[0], aLow, aHigh, ab[1], 1 - aHigh, 1 - aLow, rows);
    }

    /** Whether the law trades parameters against tokens (its inputs are N and D). */
    public static boolean applies(Law law) {
        return law.inputs().equals(List.of("N", "D"));
    }

    /** The compute-optimal point of {@code law} with parameters θ at budget c; NaNs when the law has no optimum there. */
    public static Point optimal(Law law, double[] theta, double c) {
        if (!applies(law)) throw new IllegalArgumentException(law.id() + " has no N–D trade-off");
        double n = switch (law.id()) {
            case "chinchilla" -> {
                double[] p = law.report(theta);
                double A = p[1], B = p[2], a = p[3], b = p[4];
                double g = Math.pow(a * A / (b * B), 1 / (a + b));
                yield a > 0 && b > 0 ? g * Math.pow(c / 6, b / (a + b)) : Double.NaN;
            }
            case "L(N,D)" -> {
                double[] p = law.report(theta);
                double nc = p[0], dc = p[1], r = p[2] / p[3];
                yield p[2] > 0 && p[3] > 0 ? Math.pow(r * Math.pow(nc, r) * c / (6 * dc), 1 / (1 + r)) : Double.NaN;
            }
            default -> search(law, theta, c);
        };
        if (!(n > 0) || Double.isInfinite(n)) return new Point(c, Double.NaN, Double.NaN, Double.NaN);
        double d = c / (6 * n);
        return new Point(c, n, d, law.predict(theta, n, d));
    }

    /** Local exponents a = d ln N_opt / d ln C and b = d ln D_opt / d ln C at c (a + b = 1). */
    public static double[] exponents(Law law, double[] theta, double c) {
        double h = 0.5;
        double n1 = optimal(law, theta, c * Math.exp(-h)).n(), n2 = optimal(law, theta, c * Math.exp(h)).n();
        double a = (Math.log(n2) - Math.log(n1)) / (2 * h);
        return new double[]{a, 1 - a};
    }

    /**
     * Minimises log L(e^u, C/(6e^u)) over u = ln N ∈ [0, ln(C/6)] (both N and D at least 1): a scan on
     * 200 points, then golden-section search around the best. Used for laws without a closed form.
     */
    static double search(Law law, double[] theta, double c) {
        double hi = Math.log(c / 6), lo = 0;
        if (!(hi > lo)) return Double.NaN;
        double lc6 = Math.log(c / 6);
        java.util.function.DoubleUnaryOperator f = u -> law.logLoss(theta, new double[]{u, lc6 - u}, null);
        int k = 200, best = 0;
        double bv = Double.MAX_VALUE;
        for (int i = 0; i <= k; i++) {
            double v = f.applyAsDouble(lo + (hi - lo) * i / k);
            if (v < bv) {
                bv = v;
                best = i;
            }
        }
        if (best == 0 || best == k) return Double.NaN;   // the loss falls all the way to an end: no interior optimum
        double a = lo + (hi - lo) * (best - 1) / k, b = lo + (hi - lo) * (best + 1) / k, g = (Math.sqrt(5) - 1) / 2;
        double x1 = b - g * (b - a), x2 = a + g * (b - a), f1 = f.applyAsDouble(x1), f2 = f.applyAsDouble(x2);
        while (b - a > 1e-10) {
            if (f1 < f2) {
                b = x2;
                x2 = x1;
                f2 = f1;
                x1 = b - g * (b - a);
                f1 = f.applyAsDouble(x1);
            } else {
                a = x1;
                x1 = x2;
                f1 = f2;
                x2 = a + g * (b - a);
                f2 = f.applyAsDouble(x2);
            }
        }
        return Math.exp((a + b) / 2);
    }
}
