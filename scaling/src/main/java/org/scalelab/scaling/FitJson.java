package org.scalelab.scaling;

import org.scalelab.scaling.fit.Allocation;
import org.scalelab.scaling.fit.ComputeOptimal;
import org.scalelab.scaling.fit.CriticalBatch;
import org.scalelab.scaling.fit.Determined;
import org.scalelab.scaling.fit.Fitter;
import org.scalelab.scaling.fit.Holdout;
import org.scalelab.scaling.fit.Hyperparameters;
import org.scalelab.scaling.fit.Law;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fits.json, field by field (docs/scaling.md describes each). Only maps, lists, strings and numbers;
 * a non-finite number (an interval end beyond double range) is written as null.
 */
final class FitJson {
    private FitJson() {}

    /** Version of the fits.json layout; readers may rely on every field of a version staying. */
    static final int FORMAT = 2;

    static Map<String, Object> report(FitReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("table", r.source());
        m.put("loss_column", r.lossColumn());
        m.put("rows", r.rows());
        m.put("rows_not_done", r.otherStatuses());
        m.put("conventions", "only runs with status done are fitted; N: non-embedding parameters; D: training tokens; "
                + "C = 6·N·D FLOP; loss in nats per token; fits on log L");
        FitOptions o = r.options();
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("laws", o.laws() == null ? "all the table supports" : o.laws());
        opt.put("bootstrap", o.bootstrap());
        opt.put("seed", o.seed());
        opt.put("holdout", o.holdout());
        opt.put("huber_delta", o.huberDelta());
        opt.put("level", o.level());
        opt.put("replicate_starts", o.replicateStarts());
        opt.put("hyper_margin", o.hyperMargin());
        m.put("options", opt);
        List<Map<String, Object>> laws = new ArrayList<>();
        for (FitReport.LawFit l : r.laws()) laws.add(law(l, o.level()));
        m.put("laws", laws);
        List<Map<String, Object>> co = new ArrayList<>();
        for (ComputeOptimal.Result c : r.computeOptimal()) co.add(computeOptimal(c));
        m.put("compute_optimal", co);
        if (r.criticalBatch() != null) m.put("critical_batch", criticalBatch(r.criticalBatch()));
        if (r.hyperparameters() != null) m.put("hyperparameters", hyperparameters(r.hyperparameters(), o.level()));
        m.put("skipped", r.skipped());
        m.put("seconds", r.seconds());
        return m;
    }

    static Map<String, Object> law(FitReport.LawFit lf, double level) {
        Fitter.Fit f = lf.fit();
        Law law = f.law();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("law", law.id());
        m.put("key", law.key());
        m.put("formula", law.formula());
        m.put("inputs", law.inputs());
        m.put("points_from", lf.pointsFrom());
        m.put("n_points", f.n());
        m.put("loss_function", lf.huberDelta() > 0 ? "sum of huber(delta=" + lf.huberDelta() + ") of log residuals"
                : "sum of squared log residuals / 2");
        m.put("huber_delta", lf.huberDelta());
        m.put("starts", f.starts());
        m.put("bootstrap", f.bootstrap());
        m.put("bootstrap_failed", f.bootstrapFailed());
        m.put("level", level);
        Map<String, Object> ps = new LinkedHashMap<>();
        List<Published.Fit> pub = Published.forLaw(law.id().replace("+E", ""));
        for (int i = 0; i < f.params().length; i++) {
            String name = law.paramNames().get(i);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("value", num(f.params()[i]));
            p.put("ci_low", num(f.low()[i]));
            p.put("ci_high", num(f.high()[i]));
            verdict(p, "determined", "why", Determined.of(f, i));
            List<Map<String, Object>> refs = new ArrayList<>();
            for (Published.Fit e : pub) {
                if (e.params().containsKey(name)) refs.add(Map.of("value", e.params().get(name), "source", e.source()));
            }
            p.put("published", refs);
            ps.put(name, p);
        }
        m.put("params", ps);
        m.put("objective", f.objective());
        m.put("rmse_log", f.rmseLog());
        m.put("r2_log", num(f.r2Log()));
        m.put("seconds", f.seconds());
        if (law.inputs().size() == 1) m.put("curve", curve(f, level));
        if (lf.holdout() != null) m.put("extrapolation", holdout(lf.holdout(), law));
        else if (lf.holdoutNote() != null) m.put("extrapolation_note", lf.holdoutNote());
        if (lf.allocation() != null) m.put("allocation", allocation(lf.allocation(), law));
        return m;
    }

    /** The fitted curve and its pointwise bootstrap band on 25 log-spaced points over the data's range. */
    static List<Map<String, Object>> curve(Fitter.Fit f, double level) {
        double lo = Double.MAX_VALUE, hi = 0;
        for (double[] x : f.data().x()) {
            lo = Math.min(lo, x[0]);
            hi = Math.max(hi, x[0]);
        }
        List<Map<String, Object>> curve = new ArrayList<>();
        for (int k = 0; k <= 24; k++) {
            double x = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * k / 24);
            double[] band = f.band(new double[]{x}, level);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put(f.law().inputs().get(0), x);
            p.put("loss", num(f.predict(x)));
            p.put("band_low", num(band[0]));
            p.put("band_high", num(band[1]));
            curve.add(p);
        }
        return curve;
    }

    static Map<String, Object> holdout(Holdout h, Law law) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("held_out", h.k());
        List<Map<String, Object>> pts = new ArrayList<>();
        for (int i = 0; i < h.measured().length; i++) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("run", h.labels()[i]);
            for (int j = 0; j < law.inputs().size(); j++) p.put(law.inputs().get(j), h.x()[i][j]);
            p.put("measured", h.measured()[i]);
            p.put("predicted", num(h.predicted()[i]));
            p.put("rel_error", num(h.predicted()[i] / h.measured()[i] - 1));
            pts.add(p);
        }
        m.put("points", pts);
        m.put("mean_abs_rel_error", num(h.meanAbsRelError()));
        return m;
    }

    static Map<String, Object> allocation(Allocation.Summary s, Law law) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", "N_opt, D_opt minimise L(N, D) at C = 6·N·D; N_opt ∝ C^a, D_opt ∝ C^b");
        m.put("a", num(s.a()));
        m.put("a_ci_low", num(s.aLow()));
        m.put("a_ci_high", num(s.aHigh()));
        m.put("b", num(s.b()));
        m.put("b_ci_low", num(s.bLow()));
        m.put("b_ci_high", num(s.bHigh()));
        verdict(m, "a_determined", "a_why", Determined.of(s.aLow(), s.aHigh(), Determined.Bounds.FRACTION));
        verdict(m, "b_determined", "b_why", Determined.of(s.bLow(), s.bHigh(), Determined.Bounds.FRACTION));
        List<Map<String, Object>> at = new ArrayList<>();
        for (Allocation.Row r : s.rows()) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("C", r.c());
            p.put("N_opt", num(r.n()));
            p.put("N_opt_ci_low", num(r.nLow()));
            p.put("N_opt_ci_high", num(r.nHigh()));
            p.put("D_opt", num(r.d()));
            p.put("D_opt_ci_low", num(r.dLow()));
            p.put("D_opt_ci_high", num(r.dHigh()));
            p.put("tokens_per_param", num(r.tokensPerParam()));
            p.put("loss", num(r.loss()));
            at.add(p);
        }
        m.put("at", at);
        List<Map<String, Object>> pub = new ArrayList<>();
        for (Published.Fit p : Published.forLaw(law.id())) {
            double[] ab = Allocation.exponents(law, p.theta(), 1e21);
            Allocation.Point c21 = p.optimal(1e21);
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("source", p.source());
            e.put("a", num(ab[0]));
            e.put("b", num(ab[1]));
            e.put("N_opt_at_1e21", num(c21.n()));
            e.put("tokens_per_param_at_1e21", num(c21.tokensPerParam()));
            pub.add(e);
        }
        m.put("published", pub);
        return m;
    }

    static Map<String, Object> computeOptimal(ComputeOptimal.Result c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", c.method());
        m.put("points", c.points().size());
        m.put("bootstrap", c.bootstrap());
        m.put("bootstrap_failed", c.bootstrapFailed());
        boolean a1 = c.method().startsWith("approach 1");
        Map<String, Object> n = new LinkedHashMap<>();
        n.put("coefficient", num(c.nOpt().coefficient()));
        n.put("exponent_a", num(c.nOpt().exponent()));
        n.put("ci_low", num(c.nOpt().low()));
        n.put("ci_high", num(c.nOpt().high()));
        verdict(n, "determined", "why", Determined.of(c.nOpt().low(), c.nOpt().high(), Determined.Bounds.FRACTION));
        n.put("published_a", List.of(
                Map.of("value", Published.constant(a1 ? "chinchilla_a_approach1" : "chinchilla_a_approach2"), "source", "Hoffmann et al. 2022, table 2"),
                Map.of("value", Published.constant("kaplan_N_opt_exponent"), "source", "Kaplan et al. 2020, eq. 1.7")));
        m.put("N_opt", n);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("coefficient", num(c.dOpt().coefficient()));
        d.put("exponent_b", num(c.dOpt().exponent()));
        d.put("ci_low", num(c.dOpt().low()));
        d.put("ci_high", num(c.dOpt().high()));
        verdict(d, "determined", "why", Determined.of(c.dOpt().low(), c.dOpt().high(), Determined.Bounds.FRACTION));
        d.put("published_b", List.of(
                Map.of("value", Published.constant(a1 ? "chinchilla_b_approach1" : "chinchilla_b_approach2"), "source", "Hoffmann et al. 2022, table 2"),
                Map.of("value", 1 - Published.constant("kaplan_N_opt_exponent"), "source", "Kaplan et al. 2020, eq. 1.7 (D = C/6N)")));
        m.put("D_opt", d);
        List<Map<String, Object>> pts = new ArrayList<>();
        for (ComputeOptimal.Optimum p : c.points()) {
            pts.add(ordered("C", p.c(), "N_opt", p.nOpt(), "D_opt", p.dOpt(), "tokens_per_param", p.dOpt() / p.nOpt(), "loss", p.loss()));
        }
        m.put("optimal_points", pts);
        if (!c.budgets().isEmpty()) {
            List<Map<String, Object>> bs = new ArrayList<>();
            for (ComputeOptimal.Budget b : c.budgets()) {
                bs.add(ordered("C", b.c(), "runs", b.runs(), "N_opt", b.nOpt(), "D_opt", b.c() / (6 * b.nOpt()),
                        "tokens_per_param", b.c() / (6 * b.nOpt() * b.nOpt()), "loss_at_min", b.lossAtMin()));
            }
            m.put("budgets", bs);
        }
        // the fitted power laws at the budgets every law in N and D reports (extrapolated beyond the runs)
        List<Map<String, Object>> at = new ArrayList<>();
        for (double budget : Fits.BUDGETS) {
            double nOpt = c.nOpt().at(budget), dOpt = c.dOpt().at(budget);
            at.add(ordered("C", budget, "N_opt", nOpt, "D_opt", dOpt, "tokens_per_param", dOpt / nOpt));
        }
        m.put("at", at);
        return m;
    }

    static Map<String, Object> criticalBatch(CriticalBatch.Result c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", "per loss target: S = S_min + E_min/B over batch sizes B (tokens/step), B_crit = E_min/S_min; B_crit(L) = B_star/L^(1/alpha_B)");
        m.put("batch_sizes_tokens", c.batchSizes());
        List<Map<String, Object>> ts = new ArrayList<>();
        for (CriticalBatch.Target t : c.targets()) {
            ts.add(ordered("loss", t.loss(), "S_min", t.sMin(), "E_min", t.eMin(), "B_crit", t.bCrit(), "batch_sizes", t.batchSizes()));
        }
        m.put("targets", ts);
        m.put("B_star", num(c.bStar()));
        m.put("B_star_ci_low", num(c.bStarLow()));
        m.put("B_star_ci_high", num(c.bStarHigh()));
        m.put("alpha_B", num(c.alphaB()));
        m.put("alpha_B_ci_low", num(c.alphaBLow()));
        m.put("alpha_B_ci_high", num(c.alphaBHigh()));
        verdict(m, "B_star_determined", "B_star_why", Determined.of(c.bStarLow(), c.bStarHigh(), Determined.Bounds.POSITIVE));
        verdict(m, "alpha_B_determined", "alpha_B_why", Determined.of(c.alphaBLow(), c.alphaBHigh(), Determined.Bounds.POSITIVE));
        m.put("bootstrap", c.bootstrap());
        m.put("bootstrap_failed", c.bootstrapFailed());
        m.put("published", Map.of("B_star", Published.constant("B_star"), "alpha_B", Published.constant("alpha_B"),
                "source", "Kaplan et al. 2020, eq. 1.4"));
        return m;
    }

    static Map<String, Object> hyperparameters(Fits.Hyper h, double level) {
        Hyperparameters.Result r = h.result();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("rule", "per compute budget (C within 10%), the near-optimal runs: loss <= min·(1 + margin); lr_opt = a·C^b and "
                + "B_opt = c·C^d by least squares on ln lr and ln B against ln C over every near-optimal run (Bi et al. 2024, §3.1)");
        m.put("compute", h.computeColumn().equals("6·N·D") ? "C = 6·N·D FLOP" : "C = column " + h.computeColumn() + " (FLOP)");
        m.put("lr_column", h.lrColumn());
        m.put("batch_column", h.batchColumn());
        m.put("margin", r.margin());
        m.put("points", r.points());
        m.put("budgets_left_out", r.budgetsLeftOut());
        m.put("bootstrap", r.bootstrap());
        m.put("bootstrap_failed", r.bootstrapFailed());
        m.put("level", level);
        m.put("lr", hyperLaw(r.lr(), "lr_opt = a·C^b (peak learning rate)", "a", "b", "lr", "deepseek_lr"));
        if (!r.lr().fitted()) m.put("lr_note", r.lr().note());
        m.put("batch", hyperLaw(r.batch(), "B_opt = c·C^d (tokens per step)", "c", "d", "batch", "deepseek_batch"));
        if (!r.batch().fitted()) m.put("batch_note", r.batch().note());
        m.put("published_note", "Bi et al. take C = M·D, M = 72·n_layer·d_model² + 12·n_layer·d_model·n_ctx non-embedding FLOP per token, "
                + "i.e. (1 + n_ctx/(6·d_model)) times 6·N·D; their coefficients a, c hold for their C, optimizer and data, so compare exponents");
        List<Map<String, Object>> bs = new ArrayList<>();
        List<Map<String, Object>> pts = new ArrayList<>();
        for (Hyperparameters.Budget b : r.budgets()) {
            double[] lr = b.nearOptimalRange(Hyperparameters.Run::lr), bt = b.nearOptimalRange(Hyperparameters.Run::batch);
            Map<String, Object> e = ordered("C", b.c(), "runs", b.runs().size(), "settings", b.settings(), "near_optimal", b.nearOptimal().size(),
                    "min_loss", b.best().loss(), "best_run", b.best().label(), "best_lr", b.best().lr(), "best_batch", b.best().batch(),
                    "near_optimal_lr_low", lr[0], "near_optimal_lr_high", lr[1], "near_optimal_batch_low", bt[0], "near_optimal_batch_high", bt[1]);
            List<String> edge = new ArrayList<>();
            if (b.bestAtEdge(Hyperparameters.Run::lr)) edge.add("lr");
            if (b.bestAtEdge(Hyperparameters.Run::batch)) edge.add("batch");
            e.put("best_at_edge", edge);
            bs.add(e);
            for (Hyperparameters.Run p : b.nearOptimal()) pts.add(ordered("C", b.c(), "run", p.label(), "lr", p.lr(), "batch", p.batch(), "loss", p.loss()));
        }
        m.put("budgets", bs);
        m.put("near_optimal_points", pts);
        return m;
    }

    /** One hyperparameter law: coefficient and exponent with intervals and DeepSeek's beside them, and its values at the budgets. */
    private static Map<String, Object> hyperLaw(Hyperparameters.Law l, String formula, String k, String e, String what, String published) {
        if (!l.fitted()) return null;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("formula", formula);
        Hyperparameters.Power p = l.power();
        Map<String, Object> coef = ordered("value", p.coefficient(), "ci_low", p.coefficientLow(), "ci_high", p.coefficientHigh());
        verdict(coef, "determined", "why", Determined.of(p.coefficientLow(), p.coefficientHigh(), Determined.Bounds.POSITIVE));
        coef.put("published", List.of(Map.of("value", Published.constant(published + "_coefficient"), "source", Published.DEEPSEEK)));
        m.put(k, coef);
        // the exponents' signs are the laws' finding (lr_opt falls with C, B_opt grows): free in sign
        Map<String, Object> exp = ordered("value", p.exponent(), "ci_low", p.exponentLow(), "ci_high", p.exponentHigh());
        verdict(exp, "determined", "why", Determined.of(p.exponentLow(), p.exponentHigh(), Determined.Bounds.ANY));
        exp.put("published", List.of(Map.of("value", Published.constant(published + "_exponent"), "source", Published.DEEPSEEK)));
        m.put(e, exp);
        List<Map<String, Object>> at = new ArrayList<>();
        for (Hyperparameters.At a : l.at()) at.add(ordered("C", a.c(), what, a.value(), what + "_ci_low", a.low(), what + "_ci_high", a.high()));
        m.put("at", at);
        return m;
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1] instanceof Double v ? num(v) : kv[i + 1]);
        return m;
    }

    /**
     * The "not determined" verdict ({@link Determined}) beside an interval: {@code dKey} true, false or null
     * (no interval) and {@code whyKey} the reasons (null when determined).
     */
    static void verdict(Map<String, Object> m, String dKey, String whyKey, Determined.Verdict v) {
        m.put(dKey, v.determined());
        m.put(whyKey, v.why());
    }

    /** A finite double, or null (JSON has no NaN or infinity). */
    static Double num(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
