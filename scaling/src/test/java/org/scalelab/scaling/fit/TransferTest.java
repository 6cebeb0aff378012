package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransferTest {
    static final double K = 3e3, ALPHA = 0.25, BETA = 0.4, ALPHA_D = 0.12;

    /**
     * Runs built from the law itself: per N, from-scratch losses (D_c(N)/D_F)^α_D and fine-tuned losses
     * at D_E = D_F + k·D_F^α·N^β, each with multiplicative noise of relative size {@code noise}.
     */
    static List<Transfer.Run> runs(double noise, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Transfer.Run> out = new ArrayList<>();
        for (double n : new double[]{1e4, 3e4, 1e5, 3e5}) {
            double dC = 1e9 / Math.pow(n, 0.3);
            for (double dF : new double[]{1e4, 3e4, 1e5, 3e5, 1e6}) {
                double dE = dF + K * Math.pow(dF, ALPHA) * Math.pow(n, BETA);
                out.add(new Transfer.Run("N=" + n, n, dF, Math.pow(dC / dF, ALPHA_D) * (1 + noise * r.nextGaussian()), false));
                out.add(new Transfer.Run("N=" + n, n, dF, Math.pow(dC / dE, ALPHA_D) * (1 + noise * r.nextGaussian()), true));
            }
        }
        return out;
    }

    /** Without noise every parameter comes back to 1e-6; D_T/D_E is what the law says. */
    @Test
    void recoversTheLawExactly() {
        Transfer.Result t = Transfer.analyse(runs(0, 1), 200, 2);
        assertEquals(K, t.fit().k().value(), K * 1e-6);
        assertEquals(ALPHA, t.fit().alpha().value(), 1e-6);
        assertEquals(BETA, t.fit().beta().value(), 1e-6);
        for (Transfer.ScratchFit f : t.scratch()) assertEquals(ALPHA_D, f.alphaD(), 1e-9);
        Transfer.Point p = t.points().get(0);
        double dT = K * Math.pow(p.dF(), ALPHA) * Math.pow(p.n(), BETA);
        assertEquals(dT / (dT + p.dF()), p.fraction(), 1e-6);
        assertTrue(t.notes().isEmpty(), t.notes().toString());
    }

    /** With 0.2% loss noise the exponents come back within 0.05 and inside their 95% intervals. */
    @Test
    void recoversTheLawWithNoiseInsideTheIntervals() {
        Transfer.Result t = Transfer.analyse(runs(0.002, 3), 1000, 4);
        Transfer.Fit f = t.fit();
        assertEquals(ALPHA, f.alpha().value(), 0.05);
        assertEquals(BETA, f.beta().value(), 0.05);
        assertTrue(f.alpha().lo() <= ALPHA && ALPHA <= f.alpha().hi(), f.alpha().toString());
        assertTrue(f.beta().lo() <= BETA && BETA <= f.beta().hi(), f.beta().toString());
        assertTrue(f.alpha().hi() - f.alpha().lo() > 0, "a real interval");
    }

    /** Fine-tuning that does not help gives D_T ≤ 0: left out of the fit and said so; one budget per model cannot be inverted. */
    @Test
    void noTransferAndTooFewBudgetsAreReported() {
        List<Transfer.Run> rs = new ArrayList<>();
        for (double dF : new double[]{1e4, 1e5, 1e6}) {
            rs.add(new Transfer.Run("a", 1e5, dF, 3 * Math.pow(dF, -0.1), false));
            rs.add(new Transfer.Run("a", 1e5, dF, 3.1 * Math.pow(dF, -0.1), true));   // worse than scratch
        }
        rs.add(new Transfer.Run("b", 1e4, 1e5, 3, false));
        rs.add(new Transfer.Run("b", 1e4, 1e5, 2.9, true));
        Transfer.Result t = Transfer.analyse(rs, 100, 1);
        assertNull(t.fit());
        assertTrue(t.points().stream().allMatch(p -> p.dT() < 0));
        assertTrue(String.join("|", t.notes()).contains("no better than training from scratch"), t.notes().toString());
        assertTrue(String.join("|", t.notes()).contains("b: needs from-scratch runs at two or more D_F"), t.notes().toString());
    }

    /** The family statement: a clear difference is called lower/higher, a difference inside the seed spread is not. */
    @Test
    void familyStatementsFollowTheNoise() {
        List<Families.Pair> clear = List.of(new Families.Pair("a", 1e4, 3.0, 2.94, -0.02), new Families.Pair("b", 1e4, 3.0, 2.946, -0.018),
                new Families.Pair("c", 1e5, 2.8, 2.74, -0.021));
        assertTrue(Families.compare("At equal N", "standard", "deepnarrow", clear).statement().contains("2.0% lower than standard's"),
                Families.compare("At equal N", "standard", "deepnarrow", clear).statement());
        List<Families.Pair> noisy = List.of(new Families.Pair("a", 1e4, 3.0, 2.94, -0.02), new Families.Pair("b", 1e4, 3.0, 3.06, 0.02),
                new Families.Pair("c", 1e5, 2.8, 2.81, 0.004));
        assertTrue(Families.compare("At equal N", "standard", "deepnarrow", noisy).statement().contains("no different from standard's within seed-to-seed noise"));
        double[] c = {1e10, 2e10, 4e10}, l = {3.0, 2.8, 2.6};
        assertEquals(2.7, Families.lossAt(c, l, Math.sqrt(2e10 * 4e10)), 1e-12);
        assertTrue(Double.isNaN(Families.lossAt(c, l, 5e10)));
    }
}
