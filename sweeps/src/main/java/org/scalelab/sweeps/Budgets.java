package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.run.Branch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Token budgets per size: {@code budgets: {tokens: [1.0e6, 2.0e6, 4.0e6, 8.0e6], cooldown: 0.2}}. Each
 * entry is a number of training tokens D or a multiple of the size's non-embedding parameters
 * ({@code 20N}: tokens per parameter, for compute-optimal ladders); a run of budget D trains
 * round(D / (batchSize·nCtx)) steps.
 *
 * <p>With {@code cooldown: f} > 0 (warmup-stable-decay with cooldown branches, Hägele et al. 2024, arXiv
 * 2405.18392), each size trains one <em>main</em> run at a constant learning rate (after base's warm-up)
 * up to the last branch point, keeping its checkpoint at every branch point; budget D_i of S_i steps is a
 * <em>cooldown</em> run that continues the main run's whole state from step S_i − round(f·S_i) and decays
 * linearly to {@code train.minLrRatio}·lr over its last round(f·S_i) steps ({@code schedule: wsd,
 * decayFraction: f}). A branch is exactly the wsd run of S_i steps ({@link Branch}), so the sizes × budgets
 * grid is one of fully decayed runs, for (1 − f)·S_max + f·Σ S_i steps per size instead of Σ S_i. The main
 * runs (coordinate {@code phase: main}) never decay, so fits and reports leave them out.
 *
 * <p>With {@code cooldown: 0} every budget is an independent run with base's schedule ({@code phase: budget}).
 * Either way the budgets set train.steps, train.schedule, train.decayFraction and train.branch, so an axis
 * may not; base's values of them are replaced.
 */
final class Budgets {
    static final List<String> KEYS = List.of("tokens", "cooldown");
    static final List<String> OWNED = List.of("train.steps", "train.schedule", "train.decayFraction", "train.branch",
            "train.keepCheckpoints", "train.init", "data.tokens");
    /** The phase coordinates of the runs a budgets sweep trains. */
    static final String MAIN = "main", COOLDOWN = "cooldown", BUDGET = "budget";

    private Budgets() {}

    /**
     * {@code budgets:} as written: each entry's text, and either its tokens or its tokens per parameter
     * (the other NaN).
     */
    record Settings(List<String> texts, double[] tokens, double[] perN, double cooldown) {
        /** The budget's tokens for a size of {@code n} non-embedding parameters. */
        double tokensAt(int i, long n) {
            return Double.isNaN(tokens[i]) ? perN[i] * n : tokens[i];
        }
    }

    /** The section, checked; null when the spec has none. */
    static Settings settings(SweepSpec spec) {
        JsonNode b = spec.root.get("budgets");
        if (b == null) return null;
        String example = "budgets: {tokens: [1.0e6, 2.0e6, 4.0e6, 8.0e6], cooldown: 0.2}";
        if (!b.isObject()) throw spec.error("budgets", "budgets: must be a mapping, e.g. " + example);
        b.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) throw spec.error("budgets/" + k, "budgets: unknown key '" + k + "'; use " + String.join(", ", KEYS));
        });
        JsonNode t = b.get("tokens");
        if (t == null || !t.isArray() || t.isEmpty()) {
            throw spec.error(t == null ? "budgets" : "budgets/tokens", "budgets: needs tokens: a list of token budgets (numbers, or "
                    + "tokens per parameter like 20N), e.g. " + example);
        }
        if (spec.root.has("transfer")) throw spec.error("budgets", "budgets: cannot be combined with transfer: (which sets its own budgets)");
        List<String> texts = new ArrayList<>();
        double[] tokens = new double[t.size()], perN = new double[t.size()];
        for (int i = 0; i < t.size(); i++) {
            JsonNode en = t.get(i);
            // a number as written in plain digits where it is whole (2.0e4 → 20000), so results.csv's budget column is numeric
            String s = en.isNumber() && en.asDouble() == Math.rint(en.asDouble()) && Math.abs(en.asDouble()) < 1e18
                    ? Long.toString((long) en.asDouble()) : en.asText().trim();
            tokens[i] = perN[i] = Double.NaN;
            try {
                if (s.endsWith("N")) perN[i] = Double.parseDouble(s.substring(0, s.length() - 1).trim());
                else tokens[i] = Double.parseDouble(s);
            } catch (NumberFormatException e) {
                // reported below
            }
            double v = Double.isNaN(tokens[i]) ? perN[i] : tokens[i];
            if (!(v > 0) || Double.isInfinite(v)) {
                throw spec.error("budgets/tokens/" + i, "budgets: '" + s + "' is not a budget; write a number of tokens (4.0e6) or "
                        + "tokens per parameter (20N)");
            }
            texts.add(s);
        }
        double f = 0.2;
        JsonNode c = b.get("cooldown");
        if (c != null) {
            f = c.isNumber() ? c.asDouble() : Double.NaN;
            if (!(f >= 0 && f < 1)) {
                throw spec.error("budgets/cooldown", "budgets: cooldown: must be a fraction in [0, 1) (the share of each budget spent "
                        + "decaying; 0 trains every budget as its own run), got '" + c.asText() + "'");
            }
        }
        return new Settings(List.copyOf(texts), tokens, perN, f);
    }

    /**
     * The runs of one size: a main run and its cooldown branches, or one run per budget. {@code make} turns
     * an assignment into a run (base, the axes, the learning-rate rule or search).
     */
    static List<Expansion.Point> expand(SweepSpec spec, Settings s, Expansion.Assign a, String runsDir,
                                        Function<Expansion.Assign, Expansion.Point> make) {
        for (String k : OWNED) {
            if (a.values().containsKey(k)) {
                throw spec.error(a.where().get(k), k + " is set here and by budgets: (which sets each run's steps and schedule); "
                        + "remove it here");
            }
        }
        RunConfig c = make.apply(a).config();
        long perStep = (long) c.train().batchSize() * c.model().nCtx();
        long n = Accounting.of(c.model().withVocab(Math.max(1, c.model().nVocab()))).nonEmbedding();
        int warmup = c.train().warmupSteps();
        int[] steps = new int[s.texts().size()], at = new int[steps.length];
        for (int i = 0; i < steps.length; i++) {
            double d = s.tokensAt(i, n);
            steps[i] = (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.round(d / perStep)));
            // where a wsd schedule of steps[i] steps starts decaying (LrSchedule), the branch point
            at[i] = Math.max(warmup, steps[i] - (int) Math.max(1, Math.round(steps[i] * s.cooldown())));
            if (s.cooldown() > 0 && (at[i] < 1 || at[i] >= steps[i])) {
                throw spec.error("budgets/tokens/" + i, String.format(Locale.ROOT, "budgets: %s is %d step(s) of %d tokens for N = %d, "
                        + "too few to branch after a warm-up of %d step(s) and decay over %.0f%% of them; use a larger budget, a smaller "
                        + "train.warmupSteps or train.batchSize", s.texts().get(i), steps[i], perStep, n, warmup, 100 * s.cooldown()));
            }
        }
        List<Expansion.Point> out = new ArrayList<>();
        if (s.cooldown() == 0) {
            for (int i = 0; i < steps.length; i++) {
                Expansion.Assign b = with(a, i, BUDGET, s, Map.of("train.steps", "" + steps[i]));
                out.add(labelled(make.apply(b), BUDGET, s.texts().get(i)));
            }
            return out;
        }
        TreeSet<Integer> points = new TreeSet<>();
        for (int k : at) points.add(k);
        Expansion.Assign m = with(a, -1, MAIN, s, Map.of("train.steps", "" + points.last(), "train.schedule", "constant",
                "train.keepCheckpoints", points.toString()));
        Expansion.Point main = labelled(make.apply(m), MAIN, null);
        out.add(main);
        for (int i = 0; i < steps.length; i++) {
            Expansion.Assign b = with(a, i, COOLDOWN, s, Map.of("train.steps", "" + steps[i], "train.schedule", "wsd",
                    "train.decayFraction", String.format(Locale.ROOT, "%s", s.cooldown()),
                    "train.branch", runsDir + "/" + main.runId() + "@" + at[i]));
            out.add(labelled(make.apply(b), COOLDOWN, s.texts().get(i)));
        }
        return out;
    }

    private static Expansion.Assign with(Expansion.Assign a, int i, String phase, Settings s, Map<String, String> sets) {
        Expansion.Assign b = Expansion.Assign.empty().plus(a);
        b.values().putAll(sets);
        for (String k : sets.keySet()) b.where().put(k, i < 0 ? "budgets" : "budgets/tokens/" + i);
        b.values().put("phase", phase);
        return b;
    }

    /** The run with its coordinates: the axes', the phase and the budget as written, not the keys the budgets set. */
    private static Expansion.Point labelled(Expansion.Point p, String phase, String budget) {
        Map<String, String> coords = new LinkedHashMap<>(p.coords());
        OWNED.forEach(coords::remove);
        coords.put("phase", phase);
        if (budget != null) coords.put("budget", budget);
        return new Expansion.Point(coords, p.config(), p.runId());
    }

    /** The training tokens a run adds beyond those its branch parent trained for it (all of D for any other run). */
    static double newTokens(RunConfig c) {
        long perStep = (long) c.train().batchSize() * c.model().nCtx();
        return (double) (c.train().steps() - c.train().branchStep()) * perStep;
    }
}
