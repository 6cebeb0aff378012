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
 * The critical batch from synthetic batch sweeps built on the trade-off itself: a run at batch B needs
 * S = S_min(L)·(1 + B_crit(L)/B) steps to reach L, with S_min(L) = 100·(5/(L − 2) − 1) and
 * B_crit(L) = B* / L^(1/α_B).
 */
class CriticalBatchTest {
    /** A run's (step, loss) curve from {@link Synthetic#batchCurve}. */
    static CriticalBatch.Run run(double b, double bStar, double alphaB) {
        double[][] c = Synthetic.batchCurve(b, bStar, alphaB);
        return new CriticalBatch.Run(b, java.util.Arrays.stream(c).mapToLong(r -> (long) r[0]).toArray(),
                java.util.Arrays.stream(c).mapToDouble(r -> r[2]).toArray());
    }

    static List<CriticalBatch.Run> sweep(double bStar, double alphaB) {
        List<CriticalBatch.Run> runs = new ArrayList<>();
        for (double b = 1024; b <= 131072; b *= 2) runs.add(run(b, bStar, alphaB));
        return runs;
    }

    /** A constant B_crit (α_B → ∞): every target gives 4096 tokens to 3%. */
    @Test
    void constantCriticalBatch() {
        CriticalBatch.Result r = CriticalBatch.fit(sweep(4096, 1e9), 5);
        assertNotNull(r);
        assertEquals(5, r.targets().size());
        for (CriticalBatch.Target t : r.targets()) assertEquals(4096, t.bCrit(), 0.03 * 4096, t.toString());
    }

    /** B* = 1e7 tokens, α_B = 0.21 (Kaplan's exponent): B_crit per target to 5%, B* to 15%, α_B to ±0.01. */
    @Test
    void lossDependentCriticalBatch() {
        double bStar = 1e7, alphaB = 0.21;
        CriticalBatch.Result r = CriticalBatch.fit(sweep(bStar, alphaB), 6);
        assertNotNull(r);
        for (CriticalBatch.Target t : r.targets()) {
            double truth = bStar / Math.pow(t.loss(), 1 / alphaB);
            assertEquals(truth, t.bCrit(), 0.05 * truth, t.toString());
        }
        assertEquals(alphaB, r.alphaB(), 0.01);
        assertEquals(1, r.bStar() / bStar, 0.15);
    }

    /**
     * A noisy sweep: two runs (seeds) at each of 8 batch sizes, every evaluated loss with 0.3%
     * multiplicative noise, B* = 1e7 tokens and α_B = 0.21. α_B to ±0.01 and B* within 10%; the 95%
     * intervals over 200 resamples of the runs hold the fitted values and the truth, and α_B's is
     * narrower than 0.03 (seen: α_B = 0.2106 [0.2094, 0.2153], B* = 9.7e6 [8.3e6, 1.007e7]).
     */
    @Test
    void noisySweepWithBootstrapIntervals() {
        double bStar = 1e7, alphaB = 0.21;
        SplittableRandom rng = new SplittableRandom(41);
        List<CriticalBatch.Run> runs = new ArrayList<>();
        for (double b = 1024; b <= 131072; b *= 2) {
            for (int seed = 0; seed < 2; seed++) {
                CriticalBatch.Run clean = run(b, bStar, alphaB);
                double[] l = clean.loss().clone();
                for (int i = 0; i < l.length; i++) l[i] = Synthetic.noisy(rng, l[i], 0.003);
                runs.add(new CriticalBatch.Run(b, clean.steps(), l));
            }
        }
        CriticalBatch.Result r = CriticalBatch.fit(runs, 6, 200, 0.95, 3);
        assertNotNull(r);
        assertEquals(alphaB, r.alphaB(), 0.01, r.toString());
        assertEquals(1, r.bStar() / bStar, 0.10, r.toString());
        assertEquals(200, r.bootstrap());
        assertTrue(r.bootstrapFailed() < 20, r.toString());
        assertTrue(r.alphaBLow() <= r.alphaB() && r.alphaB() <= r.alphaBHigh(), r.toString());
        assertTrue(r.alphaBLow() <= alphaB && alphaB <= r.alphaBHigh(), r.toString());
        assertTrue(r.bStarLow() <= bStar && bStar <= r.bStarHigh(), r.toString());
        assertTrue(r.alphaBHigh() - r.alphaBLow() < 0.03, r.toString());
        // the same seed gives the same intervals
        CriticalBatch.Result again = CriticalBatch.fit(runs, 6, 200, 0.95, 3);
        assertEquals(r.alphaBLow(), again.alphaBLow(), 0.0);
        assertEquals(r.bStarHigh(), again.bStarHigh(), 0.0);
    }

    @Test
    void fewerThanThreeBatchSizesGiveNothing() {
        assertNull(CriticalBatch.fit(sweep(4096, 1e9).subList(0, 2), 5));
    }
}
