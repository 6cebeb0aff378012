package org.scalelab.scaling.fit;

import org.scalelab.scaling.report.SweepData;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Critical batch size from a batch-size sweep (Kaplan et al. 2020 §5.1, after McCandlish et al. 2018).
 * For each loss target, each batch size B (tokens per step) contributes the fewest steps S any of its
 * runs needed to reach the target; (S/S_min − 1)(E/E_min − 1) = 1 with E = B·S is equivalent to
 * S = S_min + S_min·B_crit/B, a straight line in 1/B, so S_min and B_crit = E_min/S_min come from a
 * least-squares line. Across targets, B_crit(L) = B*·L^(−1/α_B) is a line in log–log.
 */
public final class CriticalBatch {
    private CriticalBatch() {}

    /** Steps at which a run's validation loss first reaches {@code target} (interpolated), or NaN. */
    static double stepsTo(List<SweepData.Point> curve, double target) {
        for (int i = 1; i < curve.size(); i++) {
            SweepData.Point a = curve.get(i - 1), b = curve.get(i);
            if (b.valLoss() <= target) {
                if (a.valLoss() <= target) return a.step();
                double f = (a.valLoss() - target) / (a.valLoss() - b.valLoss());
                return a.step() + f * (b.step() - a.step());
            }
        }
        return Double.NaN;
    }

    /** Null when the sweep has fewer than 3 batch sizes with learning curves. */
    public static Map<String, Object> fit(SweepData data, int targets) {
        TreeMap<Double, List<SweepData.Run>> byB = new TreeMap<>();
        for (SweepData.Run r : data.runs()) {
            if (r.curve().size() < 2 || r.num("tokens_per_step").isEmpty()) continue;
            byB.computeIfAbsent(r.num("tokens_per_step").getAsDouble(), k -> new ArrayList<>()).add(r);
        }
        if (byB.size() < 3) return null;
        // Targets from a loss every batch size reached (the worst of their best final losses) up to
        // 1.5× that, capped below the lowest initial loss so that every run starts above each target.
        double reached = byB.values().stream().mapToDouble(rs -> rs.stream()
                .mapToDouble(r -> r.curve().get(r.curve().size() - 1).valLoss()).min().orElseThrow()).max().orElseThrow();
        double start = data.runs().stream().filter(r -> !r.curve().isEmpty())
                .mapToDouble(r -> r.curve().get(0).valLoss()).min().orElseThrow();
        double upper = Math.min(start * 0.999, reached * 1.5);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<double[]> bcrit = new ArrayList<>();
        for (int k = 0; k < targets; k++) {
            // from just below the initial losses down to the loss every batch size reached
            double target = Math.exp(Math.log(upper) + (Math.log(reached) - Math.log(upper)) * k / Math.max(1, targets - 1));
            List<Double> invB = new ArrayList<>(), steps = new ArrayList<>();
            for (var e : byB.entrySet()) {
                double s = e.getValue().stream().mapToDouble(r -> stepsTo(r.curve(), target)).filter(Double::isFinite).min().orElse(Double.NaN);
                if (Double.isFinite(s) && s > 0) {
                    invB.add(1 / e.getKey());
                    steps.add(s);
                }
            }
            if (steps.size() < 3) continue;
            double[] ab = ComputeOptimal.line(invB.stream().mapToDouble(Double::doubleValue).toArray(),
                    steps.stream().mapToDouble(Double::doubleValue).toArray());
            double sMin = ab[0], slope = ab[1];
            if (!(sMin > 0 && slope > 0)) continue;
            double b = slope / sMin;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("loss", target);
            row.put("S_min", sMin);
            row.put("E_min", sMin * b);
            row.put("B_crit", b);
            rows.add(row);
            bcrit.add(new double[]{target, b});
        }
        if (rows.isEmpty()) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("batch_sizes_tokens", new ArrayList<>(byB.keySet()));
        m.put("targets", rows);
        if (bcrit.size() >= 2) {
            double[] fit = ComputeOptimal.line(bcrit.stream().mapToDouble(p -> Math.log(p[0])).toArray(),
                    bcrit.stream().mapToDouble(p -> Math.log(p[1])).toArray());
            m.put("B_star", Math.exp(fit[0]));
            m.put("alpha_B", -1 / fit[1]);
            m.put("published", Map.of("B_star", 2e8, "alpha_B", 0.21, "source", "Kaplan et al. 2020, eq. 5.3"));
        }
        return m;
    }

}
