package org.scalelab.scaling;

import org.scalelab.scaling.fit.Allocation;
import org.scalelab.scaling.fit.Law;
import org.scalelab.scaling.fit.Laws;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Published scaling laws and constants, with their sources, to set beside a user's own fits and to use
 * in their place: a {@link Fit} predicts losses and compute-optimal allocations exactly as a fitted law
 * does. Units: N non-embedding parameters, D tokens, C FLOP (Kaplan's PF-days converted at
 * 1 PF-day = 8.64e19 FLOP), S steps, B tokens per step, losses in nats per token on the paper's own data
 * and tokenizer (WebText2 for Kaplan, MassiveText for Chinchilla), so compare exponents, not levels.
 *
 * <p>Sources: Kaplan et al. (2020), "Scaling Laws for Neural Language Models", arXiv:2001.08361;
 * Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", arXiv:2203.15556;
 * Besiroglu et al. (2024), "Chinchilla Scaling: A replication attempt", arXiv:2404.10102;
 * Bi et al. (2024), "DeepSeek LLM: Scaling Open-Source Language Models with Longtermism", arXiv:2401.02954
 * (its hyperparameter laws take C = M·D, M the non-embedding FLOPs per token with attention, not 6·N·D:
 * compare their exponents with a fit's, not their coefficients).
 */
public final class Published {
    private Published() {}

    /** FLOP in one PF-day. */
    public static final double PF_DAY = 8.64e19;

    /**
     * A published fit of one of ScaleLab's laws.
     *
     * @param name   short name, e.g. {@code kaplan-nd}, {@code chinchilla}, {@code besiroglu}
     * @param lawId  the law's id as in fits.json ({@link Law#id()})
     * @param params the parameters by their names in {@link Law#paramNames()}
     * @param source paper and equation or table
     */
    public record Fit(String name, String lawId, Map<String, Double> params, String source) {
        public Law law() {
            return Laws.byId(lawId);
        }

        /** θ of the law for these parameters. */
        public double[] theta() {
            Law l = law();
            double[] p = l.paramNames().stream().mapToDouble(params::get).toArray();
            return l.theta(p);
        }

        /** The predicted loss at inputs x, in the law's input order (e.g. N, D). */
        public double predict(double... x) {
            return law().predict(theta(), x);
        }

        /** The compute-optimal N, D and loss at a budget of c FLOP (laws in N and D only). */
        public Allocation.Point optimal(double c) {
            return Allocation.optimal(law(), theta(), c);
        }
    }

    /** A published constant outside the fitted laws (critical batch, overfitting rule, exponents). */
    public record Constant(String name, double value, String unit, String source) {}

    public static final Fit KAPLAN_N = fit("kaplan-n", "L(N)", "Kaplan et al. 2020, eq. 1.1", "N_c", 8.8e13, "alpha_N", 0.076);
    public static final Fit KAPLAN_D = fit("kaplan-d", "L(D)", "Kaplan et al. 2020, eq. 1.2", "D_c", 5.4e13, "alpha_D", 0.095);
    public static final Fit KAPLAN_C = fit("kaplan-c", "L(C)", "Kaplan et al. 2020, eq. 1.3 (C_min; C_c = 3.1e8 PF-days)",
            "C_c", 3.1e8 * PF_DAY, "alpha_C", 0.050);
    public static final Fit KAPLAN_ND = fit("kaplan-nd", "L(N,D)", "Kaplan et al. 2020, eq. 1.5 and table 2",
            "N_c", 6.4e13, "D_c", 1.8e13, "alpha_N", 0.076, "alpha_D", 0.103);
    public static final Fit KAPLAN_NS = fit("kaplan-ns", "L(N,S)", "Kaplan et al. 2020, eq. 1.6 and table 3",
            "N_c", 6.5e13, "S_c", 2.1e3, "alpha_N", 0.077, "alpha_S", 0.76);
    public static final Fit CHINCHILLA = fit("chinchilla", "chinchilla", "Hoffmann et al. 2022, eq. 10 (approach 3)",
            "E", 1.69, "A", 406.4, "B", 410.7, "alpha", 0.34, "beta", 0.28);
    public static final Fit BESIROGLU = fit("besiroglu", "chinchilla", "Besiroglu et al. 2024, table 1 (approach 3 refitted)",
            "E", 1.8172, "A", 482.01, "B", 2085.43, "alpha", 0.3478, "beta", 0.3658);

    /** Every published fit, Kaplan's first. */
    public static final List<Fit> FITS = List.of(KAPLAN_N, KAPLAN_D, KAPLAN_C, KAPLAN_ND, KAPLAN_NS, CHINCHILLA, BESIROGLU);

    /** Where DeepSeek LLM's hyperparameter laws come from; their C is M·D, non-embedding FLOPs per token (with attention) × tokens. */
    public static final String DEEPSEEK = "Bi et al. 2024, §3.1 (DeepSeek LLM; C = M·D)";

    public static final List<Constant> CONSTANTS = List.of(
            new Constant("B_star", 2e8, "tokens", "Kaplan et al. 2020, eq. 1.4: B_crit(L) = B* / L^(1/alpha_B)"),
            new Constant("alpha_B", 0.21, "", "Kaplan et al. 2020, eq. 1.4"),
            new Constant("overfit_coefficient", 5e3, "tokens", "Kaplan et al. 2020, eq. 4.4: D >= 5e3 * N^0.74 avoids overfitting"),
            new Constant("overfit_exponent", 0.74, "", "Kaplan et al. 2020, eq. 4.4"),
            new Constant("kaplan_N_opt_coefficient", 1.3e9, "parameters at 1 PF-day", "Kaplan et al. 2020, fig. 14: N = 1.3e9 * C_min^0.73 (PF-days)"),
            new Constant("kaplan_N_opt_exponent", 0.73, "", "Kaplan et al. 2020, eq. 1.7"),
            new Constant("kaplan_B_exponent", 0.24, "", "Kaplan et al. 2020, eq. 1.7: B ∝ C_min^0.24"),
            new Constant("kaplan_S_exponent", 0.03, "", "Kaplan et al. 2020, eq. 1.7: S ∝ C_min^0.03"),
            new Constant("kaplan_lr_intercept", 0.003239, "", "Kaplan et al. 2020, eq. D.1: LR(N) = 0.003239 - 0.0001395 ln N"),
            new Constant("kaplan_lr_slope", -0.0001395, "per ln N", "Kaplan et al. 2020, eq. D.1"),
            new Constant("chinchilla_a_approach1", 0.50, "", "Hoffmann et al. 2022, table 2: N_opt ∝ C^a"),
            new Constant("chinchilla_b_approach1", 0.50, "", "Hoffmann et al. 2022, table 2: D_opt ∝ C^b"),
            new Constant("chinchilla_a_approach2", 0.49, "", "Hoffmann et al. 2022, table 2"),
            new Constant("chinchilla_b_approach2", 0.51, "", "Hoffmann et al. 2022, table 2"),
            new Constant("chinchilla_a_approach3", 0.46, "", "Hoffmann et al. 2022, table 2"),
            new Constant("chinchilla_b_approach3", 0.54, "", "Hoffmann et al. 2022, table 2"),
            new Constant("deepseek_lr_coefficient", 0.3118, "peak learning rate at C = 1 FLOP (C = M·D)", DEEPSEEK + ": lr_opt = 0.3118·C^-0.1250"),
            new Constant("deepseek_lr_exponent", -0.1250, "", DEEPSEEK),
            new Constant("deepseek_batch_coefficient", 0.2920, "tokens at C = 1 FLOP (C = M·D)", DEEPSEEK + ": B_opt = 0.2920·C^0.3271"),
            new Constant("deepseek_batch_exponent", 0.3271, "", DEEPSEEK));

    /** The published fits of a law id (e.g. {@code chinchilla}: Hoffmann et al. and Besiroglu et al.). */
    public static List<Fit> forLaw(String lawId) {
        return FITS.stream().filter(f -> f.lawId().equals(lawId)).toList();
    }

    /** A published fit by its short name. */
    public static Optional<Fit> byName(String name) {
        return FITS.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    /** A published constant by name; an unknown name is a programming error. */
    public static double constant(String name) {
        return CONSTANTS.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no published constant " + name)).value();
    }

    /** Kaplan's B_crit(L) = B* / L^(1/α_B) in tokens per step. */
    public static double kaplanCriticalBatch(double loss) {
        return constant("B_star") / Math.pow(loss, 1 / constant("alpha_B"));
    }

    /** DeepSeek LLM's lr_opt(C) = 0.3118·C^−0.1250, C = M·D in FLOP. */
    public static double deepseekLr(double c) {
        return constant("deepseek_lr_coefficient") * Math.pow(c, constant("deepseek_lr_exponent"));
    }

    /** DeepSeek LLM's B_opt(C) = 0.2920·C^0.3271 tokens per step, C = M·D in FLOP. */
    public static double deepseekBatch(double c) {
        return constant("deepseek_batch_coefficient") * Math.pow(c, constant("deepseek_batch_exponent"));
    }

    private static Fit fit(String name, String lawId, String source, Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], ((Number) kv[i + 1]).doubleValue());
        return new Fit(name, lawId, java.util.Collections.unmodifiableMap(m), source);
    }
}
