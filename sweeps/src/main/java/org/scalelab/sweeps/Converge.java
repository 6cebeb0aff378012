package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.trainer.RunConfig;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * L(N) at convergence: {@code converge: {maxTokens: 2.0e7, patience: 4, smoothing: 0.8}}. Every size trains on
 * fresh tokens until its validation loss stops improving: it stops once {@code patience} evaluations in a
 * row (one every train.evalEvery steps) have not lowered the best of the moving average
 * s ← β·s + (1 − β)·val (β = {@code smoothing}), or at {@code maxTokens} tokens, whichever comes first
 * (train.steps = maxTokens / (batchSize·nCtx), train.earlyStopPatience, train.earlyStopSmoothing). Its best
 * validation loss is then the size's L(N) in Kaplan et al.'s sense (trained to convergence), not a
 * step-limited L(N, S). The plan flags runs whose cap exceeds the corpus' distinct training tokens, since
 * such a run may see tokens again; the unbounded synthetic corpus never does. Base's schedule applies over
 * the cap: a constant or wsd schedule, whose rate does not fall before the stop, suits it best.
 */
final class Converge {
    static final List<String> KEYS = List.of("maxTokens", "patience", "smoothing");
    static final List<String> OWNED = List.of("train.steps", "train.earlyStopPatience", "train.earlyStopSmoothing");
    static final String PHASE = "converge";

    private Converge() {}

    record Settings(double maxTokens, int patience, double smoothing) {}

    static Settings settings(SweepSpec spec) {
        JsonNode c = spec.root.get("converge");
        if (c == null) return null;
        String example = "converge: {maxTokens: 2.0e7, patience: 4, smoothing: 0.8}";
        if (!c.isObject()) throw spec.error("converge", "converge: must be a mapping, e.g. " + example);
        c.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) throw spec.error("converge/" + k, "converge: unknown key '" + k + "'; use " + String.join(", ", KEYS));
        });
        for (String other : List.of("budgets", "transfer")) {
            if (spec.root.has(other)) throw spec.error("converge", "converge: cannot be combined with " + other + ": (each sets how long runs train)");
        }
        JsonNode m = c.get("maxTokens"), p = c.get("patience"), s = c.get("smoothing");
        double max = m != null && m.isNumber() ? m.asDouble() : Double.NaN;
        if (!(max >= 1) || Double.isInfinite(max)) {
            throw spec.error(m == null ? "converge" : "converge/maxTokens", "converge: needs maxTokens: the most tokens a run may train on "
                    + "(a number ≥ 1), e.g. " + example);
        }
        int patience = 4;
        if (p != null) {
            if (!p.isInt() || p.asInt() < 1) throw spec.error("converge/patience", "converge: patience: must be a whole number ≥ 1 of evaluations, got '" + p.asText() + "'");
            patience = p.asInt();
        }
        double beta = 0.8;
        if (s != null) {
            beta = s.isNumber() ? s.asDouble() : Double.NaN;
            if (!(beta >= 0 && beta < 1)) throw spec.error("converge/smoothing", "converge: smoothing: must be in [0, 1) (0: the losses themselves), got '" + s.asText() + "'");
        }
        return new Settings(max, patience, beta);
    }

    /** The run of one size, trained to convergence. */
    static Expansion.Point expand(SweepSpec spec, Settings s, Expansion.Assign a, Function<Expansion.Assign, Expansion.Point> make) {
        for (String k : OWNED) {
            if (a.values().containsKey(k)) {
                throw spec.error(a.where().get(k), k + " is set here and by converge: (which trains each size until it stops improving); remove it here");
            }
        }
        RunConfig c = make.apply(a).config();
        long perStep = (long) c.train().batchSize() * c.model().nCtx();
        Expansion.Assign b = Expansion.Assign.empty().plus(a);
        b.values().put("train.steps", Long.toString(Math.max(1, Math.min(Integer.MAX_VALUE, Math.round(s.maxTokens() / perStep)))));
        b.values().put("train.earlyStopPatience", Integer.toString(s.patience()));
        b.values().put("train.earlyStopSmoothing", String.format(Locale.ROOT, "%s", s.smoothing()));
        for (String k : OWNED) b.where().put(k, "converge");
        b.values().put("phase", PHASE);
        Expansion.Point p = make.apply(b);
        java.util.Map<String, String> coords = new java.util.LinkedHashMap<>(p.coords());
        OWNED.forEach(coords::remove);
        return new Expansion.Point(coords, p.config(), p.runId());
    }
}
