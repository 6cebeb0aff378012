package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Critical batch size from a batch-size sweep (Kaplan et al. 2020 §5.1, after McCandlish et al. 2018).
 * For each loss target, each batch size B (tokens per step) contributes the fewest steps S any of its
 * runs needed to reach the target (so a sweep over learning rates at each B counts its best one). The
 * trade-off (S/S_min − 1)(E/E_min − 1) = 1 with E = B·S is the same curve as S = S_min + E_min/B, so
 * S_min and E_min are fitted to it by least squares on log S (every batch size weighs equally, whatever
 * its step count), and B_crit = E_min/S_min. Across targets, B_crit(L) = B* / L^(1/α_B) is a line in
 * log–log.
 */
public final class CriticalBatch {
    private CriticalBatch() {}

    /** A run's learning curve as (step, validation loss) pairs, and its batch size in tokens per step. */
    public record Run(double batchTokens, long[] steps, double[] loss) {}

    /** At one loss target: the fitted S_min (steps), E_min (tokens) and B_crit = E_min/S_min (tokens). */
    public record Target(double loss, double sMin, double eMin, double bCrit, int batchSizes) {}

    /**
     * Per-target fits and, with two or more targets, B* (tokens) and α_B (NaN otherwise), with their
     * bootstrap intervals over runs (NaN without replicates): {@code bootstrap} replicates were drawn,
     * {@code bootstrapFailed} of them found fewer than two targets and are left out of the intervals.
     */
    public record Result(List<Double> batchSizes, List<Target> targets, double bStar, double alphaB,
                         double bStarLow, double bStarHigh, double alphaBLow, double alphaBHigh, int bootstrap, int bootstrapFailed) {
        /** B_crit(L) = B* / L^(1/α_B) in tokens. */
        public double bCrit(double loss) {
            return bStar / Math.pow(loss, 1 / alphaB);
        }
    }

    /**
     * As {@link #fit(List, int)}, with intervals for B* and α_B from {@code bootstrap} resamples of the
     * runs (with replacement; each replicate redoes the whole fit, its loss targets included) at the
     * given coverage. The same seed gives the same intervals.
     */
    public static Result fit(List<Run> runs, int targets, int bootstrap, double level, long seed) {
        Result r = fit(runs, targets);
        if (r == null || bootstrap <= 0 || !Double.isFinite(r.bStar())) return r;
        SplittableRandom root = new SplittableRandom(seed);
        long[] seeds = new long[bootstrap];
        for (int b = 0; b < bootstrap; b++) seeds[b] = root.nextLong();
        double[][] reps = new double[bootstrap][];
        IntStream.range(0, bootstrap).parallel().forEach(b -> {
            SplittableRandom rng = new SplittableRandom(seeds[b]);
            List<Run> sample = new ArrayList<>(runs.size());
            for (int i = 0; i < runs.size(); i++) sample.add(runs.get(rng.nextInt(runs.size())));
            Result x = fit(sample, targets);
            if (x != null && Double.isFinite(x.bStar()) && Double.isFinite(x.alphaB())) reps[b] = new double[]{x.bStar(), x.alphaB()};
        });
        double[] bs = Arrays.stream(reps).filter(Objects::nonNull).mapToDouble(v -> v[0]).sorted().toArray();
        double[] as = Arrays.stream(reps).filter(Objects::nonNull).mapToDouble(v -> v[1]).sorted().toArray();
        if (bs.length == 0) return new Result(r.batchSizes(), r.targets(), r.bStar(), r.alphaB(), Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                bootstrap, bootstrap);
        double q = (1 - level) / 2;
        return new Result(r.batchSizes(), r.targets(), r.bStar(), r.alphaB(), Fitter.quantile(bs, q), Fitter.quantile(bs, 1 - q),
                Fitter.quantile(as, q), Fitter.quantile(as, 1 - q), bootstrap, bootstrap - bs.length);
    }

    /** Steps at which a curve first reaches {@code target} (linear between evaluations), or NaN. */
    static double stepsTo(Run r, double target) {
        for (int i = 1; i < r.loss().length; i++) {
            if (r.loss()[i] <= target) {
                if (r.loss()[i - 1] <= target) return r.steps()[i - 1];
                double f = (r.loss()[i - 1] - target) / (r.loss()[i - 1] - r.loss()[i]);
                return r.steps()[i - 1] + f * (r.steps()[i] - r.steps()[i - 1]);
            }
        }
        return Double.NaN;
    }

    /** No intervals; null when the sweep has fewer than 3 batch sizes with learning curves, or no target fits. */
    public static Result fit(List<Run> runs, int targets) {
        TreeMap<Double, List<Run>> byB = new TreeMap<>();
        for (Run r : runs) if (r.loss().length >= 2 && r.batchTokens() > 0) byB.computeIfAbsent(r.batchTokens(), k -> new ArrayList<>()).add(r);
        if (byB.size() < 3) return null;
        // Targets from the loss every batch size reached (the worst of their best final losses) up to
        // 1.5× that, capped below the lowest initial loss so that every run starts above each target.
        double reached = byB.values().stream().mapToDouble(rs -> rs.stream()
                .mapToDouble(r -> r.loss()[r.loss().length - 1]).min().orElseThrow()).max().orElseThrow();
        double start = byB.values().stream().flatMap(List::stream).mapToDouble(r -> r.loss()[0]).min().orElseThrow();
        double upper = Math.min(start * 0.999, reached * 1.5);
        List<Target> rows = new ArrayList<>();
        for (int k = 0; k < targets; k++) {
            double target = Math.exp(Math.log(upper) + (Math.log(reached) - Math.log(upper)) * k / Math.max(1, targets - 1));
            List<double[]> pts = new ArrayList<>();  // (B, S)
            for (var e : byB.entrySet()) {
                double s = e.getValue().stream().mapToDouble(r -> stepsTo(r, target)).filter(Double::isFinite).min().orElse(Double.NaN);
                if (s > 0) pts.add(new double[]{e.getKey(), s});
            }
            if (pts.size() < 3) continue;
            double[] se = tradeoff(pts);
            if (se == null) continue;
            rows.add(new Target(target, se[0], se[1], se[1] / se[0], pts.size()));
        }
        if (rows.isEmpty()) return null;
        double bStar = Double.NaN, alphaB = Double.NaN;
        if (rows.size() >= 2) {
            double[] f = ComputeOptimal.line(rows.stream().mapToDouble(t -> Math.log(t.loss())).toArray(),
                    rows.stream().mapToDouble(t -> Math.log(t.bCrit())).toArray());
            bStar = Math.exp(f[0]);
            alphaB = -1 / f[1];
        }
        return new Result(new ArrayList<>(byB.keySet()), rows, bStar, alphaB, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, 0);
    }

    /**
     * S_min and E_min of S = S_min + E_min/B through (B, S) points: least squares on log S, i.e.
     * log Ŝ = LSE(ln S_min, ln E_min − ln B), started from the straight-line fit of S against 1/B.
     * Null when the points show no trade-off (no positive S_min and E_min).
     */
    static double[] tradeoff(List<double[]> pts) {
        double[] invB = pts.stream().mapToDouble(p -> 1 / p[0]).toArray(), s = pts.stream().mapToDouble(p -> p[1]).toArray();
        double[] ab = ComputeOptimal.line(invB, s);
        double sMin0 = ab[0] > 0 ? ab[0] : 0.5 * s[s.length - 1], eMin0 = ab[1] > 0 ? ab[1] : sMin0 * pts.get(0)[0];
        Lbfgs.Objective f = (t, g) -> {
            g[0] = 0;
            g[1] = 0;
            double sum = 0;
            for (double[] p : pts) {
                double u = t[0], v = t[1] - Math.log(p[0]), m = Math.max(u, v);
                double eu = Math.exp(u - m), ev = Math.exp(v - m), r = m + Math.log(eu + ev) - Math.log(p[1]);
                sum += 0.5 * r * r;
                g[0] += r * eu / (eu + ev);
                g[1] += r * ev / (eu + ev);
            }
            return sum;
        };
        Lbfgs.Result r = Lbfgs.defaults().minimize(f, new double[]{Math.log(sMin0), Math.log(eMin0)});
        if (!Double.isFinite(r.value())) return null;
        double sMin = Math.exp(r.x()[0]), eMin = Math.exp(r.x()[1]);
        // a fit whose S_min or E_min ran off to a vanishing value found no hyperbola in these points
        double lo = s[0];
        for (double v : s) lo = Math.min(lo, v);
        if (sMin < 1e-6 * lo || eMin / pts.get(pts.size() - 1)[0] < 1e-6 * lo) return null;
        return new double[]{sMin, eMin};
    }
}
