package org.scalelab.scaling.fit;

import java.util.List;
import java.util.Locale;

/**
 * Two shape families (e.g. standard and DeepNarrow) compared pair by pair: runs with the same target
 * size, seed and (for fine-tuning) budget, one of each family. Differences are relative,
 * loss(other)/loss(reference) − 1, so −0.02 means the other family's loss is 2% lower. The summary says
 * whether the mean difference stands out from the seed-to-seed spread: the spread of the pairs of one
 * scale across seeds, reported per scale and pooled over scales (a difference that changes with scale is
 * not noise, so the spread across scales is used only when every scale has a single seed).
 */
public final class Families {
    private Families() {}

    /** One pair: its label (scale, seed, budget), both losses and the relative difference. */
    public record Pair(String label, double targetN, double refLoss, double otherLoss, double rel) {}

    /** The pairs of one scale (target N): how many, their mean relative difference and its spread across seeds. */
    public record Scale(double targetN, int pairs, double mean, double sd) {}

    /**
     * A comparison over pairs: the mean relative difference, the standard deviation of all pairs, the
     * seed-to-seed spread (the standard deviation within a scale, pooled over scales, and per scale), the
     * standard error of the mean (from the pooled seed spread where some scale has two seeds, else from
     * the spread of all pairs), the range, and a plain sentence.
     */
    public record Comparison(String what, String reference, String other, List<Pair> pairs, double mean, double sd, double se,
                             double min, double max, double seedSd, List<Scale> scales, String statement) {}

    public static Comparison compare(String what, String reference, String other, List<Pair> pairs) {
        int n = pairs.size();
        double mean = pairs.stream().mapToDouble(Pair::rel).average().orElse(Double.NaN);
        double ss = 0;
        for (Pair p : pairs) ss += (p.rel() - mean) * (p.rel() - mean);
        double sd = n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN;
        java.util.TreeMap<Double, List<Pair>> byScale = new java.util.TreeMap<>();
        for (Pair p : pairs) byScale.computeIfAbsent(p.targetN(), k -> new java.util.ArrayList<>()).add(p);
        List<Scale> scales = new java.util.ArrayList<>();
        double within = 0;
        for (var e : byScale.entrySet()) {
            List<Pair> g = e.getValue();
            double m = g.stream().mapToDouble(Pair::rel).average().orElse(Double.NaN), w = 0;
            for (Pair p : g) w += (p.rel() - m) * (p.rel() - m);
            within += w;
            scales.add(new Scale(e.getKey(), g.size(), m, g.size() > 1 ? Math.sqrt(w / (g.size() - 1)) : Double.NaN));
        }
        int df = n - byScale.size();
        double seedSd = df > 0 ? Math.sqrt(within / df) : Double.NaN;
        double se = (df > 0 ? seedSd : sd) / Math.sqrt(n);
        double min = pairs.stream().mapToDouble(Pair::rel).min().orElse(Double.NaN), max = pairs.stream().mapToDouble(Pair::rel).max().orElse(Double.NaN);
        return new Comparison(what, reference, other, pairs, mean, sd, se, min, max, seedSd, scales,
                statement(what, reference, other, n, mean, se, min, max, seedSd, scales));
    }

    /**
     * "At equal N, deepnarrow's loss is 1.8% lower than standard's (mean of 6 pairs over 3 scales; pairs
     * from −2.6% to −0.9%; seed-to-seed spread 0.4% (per scale: N≈20000 −2.1% ± 0.3%, …); twice the
     * standard error 0.3%)", or "… is no different from standard's within seed-to-seed noise (…)".
     */
    static String statement(String what, String ref, String other, int n, double mean, double se, double min, double max,
                            double seedSd, List<Scale> scales) {
        if (n == 0) return what + ": no pairs of " + ref + " and " + other + " runs to compare";
        StringBuilder perScale = new StringBuilder();
        for (Scale s : scales) {
            if (perScale.length() > 0) perScale.append(", ");
            perScale.append(String.format(Locale.ROOT, "N≈%.0f %+.1f%%", s.targetN(), 100 * s.mean()));
            if (Double.isFinite(s.sd())) perScale.append(String.format(Locale.ROOT, " ± %.1f%%", 100 * s.sd()));
        }
        String spread = Double.isFinite(seedSd)
                ? String.format(Locale.ROOT, "; seed-to-seed spread %.1f%% (per scale: %s)", 100 * seedSd, perScale)
                : String.format(Locale.ROOT, "; one seed per scale, so the spread across scales stands in for noise (per scale: %s)", perScale);
        String detail = String.format(Locale.ROOT, "mean of %d pair%s over %d scale%s; pairs from %+.1f%% to %+.1f%%%s%s", n, n == 1 ? "" : "s",
                scales.size(), scales.size() == 1 ? "" : "s", 100 * min, 100 * max, n > 1 ? spread : "",
                Double.isFinite(se) ? String.format(Locale.ROOT, "; twice the standard error %.1f%%", 200 * se) : "; one pair, no estimate of noise");
        String verdict;
        if (!Double.isFinite(se) || Math.abs(mean) <= 2 * se) {
            verdict = String.format(Locale.ROOT, "is no different from %s's within seed-to-seed noise (%+.1f%%)", ref, 100 * mean);
            if (!Double.isFinite(se)) verdict = String.format(Locale.ROOT, "differs from %s's by %+.1f%%, with no second seed to judge noise", ref, 100 * mean);
        } else {
            verdict = String.format(Locale.ROOT, "is %.1f%% %s than %s's", 100 * Math.abs(mean), mean < 0 ? "lower" : "higher", ref);
        }
        return String.format(Locale.ROOT, "%s, %s's loss %s (%s).", what, other, verdict, detail);
    }

    /**
     * The validation loss of a learning curve at compute {@code c}, linear in log compute between the
     * evaluations around it; NaN outside the curve.
     */
    public static double lossAt(double[] compute, double[] loss, double c) {
        for (int i = 1; i < compute.length; i++) {
            if (compute[i - 1] <= c && c <= compute[i] && compute[i - 1] > 0) {
                double t = (Math.log(c) - Math.log(compute[i - 1])) / (Math.log(compute[i]) - Math.log(compute[i - 1]));
                return loss[i - 1] + t * (loss[i] - loss[i - 1]);
            }
        }
        return Double.NaN;
    }
}
