package org.scalelab.scaling.fit;

import java.util.List;
import java.util.Locale;

/**
 * Two shape families (e.g. standard and DeepNarrow) compared pair by pair: runs with the same target
 * size, seed and (for fine-tuning) budget, one of each family. Differences are relative,
 * loss(other)/loss(reference) − 1, so −0.02 means the other family's loss is 2% lower. The summary says
 * whether the mean difference stands out from the seed-to-seed spread of the pairs.
 */
public final class Families {
    private Families() {}

    /** One pair: its label (scale, seed, budget), both losses and the relative difference. */
    public record Pair(String label, double targetN, double refLoss, double otherLoss, double rel) {}

    /**
     * A comparison over pairs: the mean relative difference, the standard deviation of the pairs, the
     * standard error of the mean, the range, and a plain sentence.
     */
    public record Comparison(String what, String reference, String other, List<Pair> pairs, double mean, double sd, double se,
                             double min, double max, String statement) {}

    public static Comparison compare(String what, String reference, String other, List<Pair> pairs) {
        int n = pairs.size();
        double mean = pairs.stream().mapToDouble(Pair::rel).average().orElse(Double.NaN);
        double ss = 0;
        for (Pair p : pairs) ss += (p.rel() - mean) * (p.rel() - mean);
        double sd = n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN, se = sd / Math.sqrt(n);
        double min = pairs.stream().mapToDouble(Pair::rel).min().orElse(Double.NaN), max = pairs.stream().mapToDouble(Pair::rel).max().orElse(Double.NaN);
        return new Comparison(what, reference, other, pairs, mean, sd, se, min, max, statement(what, reference, other, n, mean, se, min, max,
                pairs.stream().mapToDouble(Pair::targetN).distinct().count()));
    }

    /**
     * "At equal N, deepnarrow's pre-training loss is 1.8% lower than standard's (mean of 6 pairs over 3
     * scales; pairs from −2.6% to −0.9%; twice the standard error 0.6%)", or "… is no different from
     * standard's within seed-to-seed noise (…)".
     */
    static String statement(String what, String ref, String other, int n, double mean, double se, double min, double max, long scales) {
        if (n == 0) return what + ": no pairs of " + ref + " and " + other + " runs to compare";
        String detail = String.format(Locale.ROOT, "mean of %d pair%s over %d scale%s; pairs from %+.1f%% to %+.1f%%%s", n, n == 1 ? "" : "s",
                scales, scales == 1 ? "" : "s", 100 * min, 100 * max,
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
