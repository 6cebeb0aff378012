package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;
import org.scalelab.scaling.Synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Approaches 1 and 2 and the compute frontier on runs drawn from L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28,
 * whose compute-optimal exponents are a = β/(α+β) = 0.4516 and b = 0.5484.
 */
class ComputeOptimalTest {
    static final double A_TRUE = 0.28 / 0.62;

    static double law(double n, double d) {
        return 1.69 + 406.4 / Math.pow(n, 0.34) + 410.7 / Math.pow(d, 0.28);
    }

    /** Learning curves of 21 sizes (ratio √2) over 1e8–1e13 tokens, each the law at the tokens seen so far. */
    static List<ComputeOptimal.Curve> curves() {
        return curves(0, 0);
    }

    /** As {@link #curves()} with multiplicative noise σ on every evaluated loss (seeded). */
    static List<ComputeOptimal.Curve> curves(double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<ComputeOptimal.Curve> out = new ArrayList<>();
        for (int i = 0; i <= 20; i++) {
            double n = 1e7 * Math.pow(2, i / 2.0);
            double[] c = new double[41], l = new double[41];
            for (int k = 0; k <= 40; k++) {
                double t = 1e8 * Math.pow(1e5, k / 40.0);
                c[k] = 6 * n * t;
                l[k] = sigma > 0 ? Synthetic.noisy(r, law(n, t), sigma) : law(n, t);
            }
            out.add(new ComputeOptimal.Curve(n, c, l));
        }
        return out;
    }

    /** Approach 1: a to ±0.03 (the envelope jumps between sizes √2 apart), b = 1 − a. */
    @Test
    void approach1RecoversTheExponents() {
        ComputeOptimal.Result r = ComputeOptimal.approach1(curves(), 50, 50, 0.95, 1);
        assertNotNull(r);
        assertEquals(A_TRUE, r.nOpt().exponent(), 0.03);
        assertEquals(1, r.nOpt().exponent() + r.dOpt().exponent(), 1e-9);
        assertTrue(r.nOpt().low() <= r.nOpt().exponent() && r.nOpt().exponent() <= r.nOpt().high(), r.nOpt().toString());
        for (ComputeOptimal.Optimum p : r.points()) assertEquals(p.c(), 6 * p.nOpt() * p.dOpt(), 1e-6 * p.c());
    }

    /**
     * Approach 1 on the same curves with 0.5% noise on every evaluation (seeded): a to ±0.05 (seen 0.418
     * against 0.452, 0.451 without noise; 0.430 with 0.2% noise). Noise biases a low: near the optimum
     * the losses of neighbouring sizes are nearly equal and the envelope takes whichever drew the lower
     * noise. A bootstrap over runs keeps each run's noise, so it does not see that bias: its interval is
     * checked to hold the estimate and to be narrower than 0.1, not to hold the truth.
     */
    @Test
    void approach1RecoversTheExponentsFromNoisyCurves() {
        ComputeOptimal.Result r = ComputeOptimal.approach1(curves(0.005, 17), 50, 100, 0.95, 1);
        assertNotNull(r);
        assertEquals(A_TRUE, r.nOpt().exponent(), 0.05, r.nOpt().toString());
        assertEquals(1 - A_TRUE, r.dOpt().exponent(), 0.05, r.dOpt().toString());
        assertTrue(r.nOpt().low() <= r.nOpt().exponent() && r.nOpt().exponent() <= r.nOpt().high(), r.nOpt().toString());
        assertTrue(r.nOpt().high() - r.nOpt().low() < 0.1, r.nOpt().toString());
        assertTrue(r.bootstrapFailed() < 10, "" + r.bootstrapFailed());
    }

    /**
     * Kaplan's compute frontier: learning curves of 41 sizes (1e4 to 1e10 parameters, ratio √2) over
     * 1e6–1e10 tokens from Kaplan et al.'s joint L(N, D) (α_N = 0.076, α_D = 0.103, N_c = 6.4e13,
     * D_c = 1.8e13), 0.5% noise on every point. The optimum of that law at compute C is exactly
     * L ∝ C^(−α_N·α_D/(α_N + α_D)), so L(C) fitted to the frontier recovers α_C = 0.0437 to ±0.002
     * (seen: 0.0435).
     */
    @Test
    void frontierRecoversAlphaCOfAKnownLaw() {
        double aN = 0.076, aD = 0.103, nc = 6.4e13, dc = 1.8e13, alphaC = aN * aD / (aN + aD);
        SplittableRandom r = new SplittableRandom(23);
        List<ComputeOptimal.Curve> cs = new ArrayList<>();
        for (int i = 0; i <= 40; i++) {
            double n = 1e4 * Math.pow(2, i / 2.0);
            double[] c = new double[41], l = new double[41];
            for (int k = 0; k <= 40; k++) {
                double t = 1e6 * Math.pow(1e4, k / 40.0);
                c[k] = 6 * n * t;
                l[k] = Synthetic.noisy(r, Math.pow(Math.pow(nc / n, aN / aD) + dc / t, aD), 0.005);
            }
            cs.add(new ComputeOptimal.Curve(n, c, l));
        }
        Fitter.Fit f = Fitter.fit(Laws.power("C"), ComputeOptimal.frontier(cs, 24), Fitter.Options.defaults().withBootstrap(0));
        assertEquals(alphaC, f.params()[1], 0.002, "alpha_C");
    }

    /** Fewer than three sizes cannot bracket an optimum: no result. */
    @Test
    void approach1NeedsThreeSizes() {
        assertNull(ComputeOptimal.approach1(curves().subList(0, 2), 50, 0, 0.95, 1));
    }

    /**
     * Approach 2 on four IsoFLOP budgets of nine sizes each (factor 1.6 apart around the optimum) with
     * 0.3% noise: a to ±0.03, and its 95% interval over 200 run resamples holds the truth.
     */
    @Test
    void approach2RecoversTheExponentsWithAnInterval() {
        SplittableRandom r = new SplittableRandom(21);
        List<ComputeOptimal.Final> runs = new ArrayList<>();
        double g = Math.pow(0.34 * 406.4 / (0.28 * 410.7), 1 / 0.62);
        for (double c : new double[]{1e18, 1e19, 1e20, 1e21}) {
            double nStar = g * Math.pow(c / 6, A_TRUE);
            for (int k = -4; k <= 4; k++) {
                double n = nStar * Math.pow(1.6, k), d = c / (6 * n);
                runs.add(new ComputeOptimal.Final(n, d, Synthetic.noisy(r, law(n, d), 0.003)));
            }
        }
        ComputeOptimal.Result a2 = ComputeOptimal.approach2(runs, 200, 0.95, 2);
        assertNotNull(a2);
        assertEquals(4, a2.budgets().size());
        assertEquals(A_TRUE, a2.nOpt().exponent(), 0.03);
        assertTrue(a2.nOpt().low() <= A_TRUE && A_TRUE <= a2.nOpt().high(), a2.nOpt().toString());
        for (ComputeOptimal.Budget b : a2.budgets()) assertEquals(9, b.runs());
    }

    /** Runs within 10% of a budget share it; a run 30% off starts its own. */
    @Test
    void budgetsGroupRunsWithinTenPercent() {
        var groups = ComputeOptimal.byCompute(List.of(new ComputeOptimal.Final(1e6, 1e9 / 6, 3),
                new ComputeOptimal.Final(2e6, 1.05e9 / 12, 3), new ComputeOptimal.Final(1e6, 1.3e9 / 6, 3)));
        assertEquals(2, groups.size());
        assertEquals(2, groups.firstEntry().getValue().size());
    }

    /** The frontier never rises, ends at the lowest loss of any curve, and L(C) fitted to it is a power law in C. */
    @Test
    void frontierIsTheRunningMinimum() {
        Fitter.Data f = ComputeOptimal.frontier(curves(), 24);
        assertEquals(24, f.n());
        for (int i = 1; i < f.n(); i++) assertTrue(f.loss()[i] <= f.loss()[i - 1]);
        double min = curves().stream().flatMapToDouble(c -> java.util.Arrays.stream(c.loss())).min().orElseThrow();
        assertEquals(min, f.loss()[f.n() - 1], 0);
        Fitter.Fit lc = Fitter.fit(Laws.powerWithFloor("C"), f, Fitter.Options.defaults().withBootstrap(0));
        assertTrue(lc.r2Log() > 0.99, "R² " + lc.r2Log());
    }
}
