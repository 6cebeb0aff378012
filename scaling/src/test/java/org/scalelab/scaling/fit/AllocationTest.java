package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;
import org.scalelab.scaling.Published;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Compute-optimal allocation: closed forms against a direct search, and the exponents they imply. */
class AllocationTest {
    static final Law CHIN = Laws.chinchilla(), KND = Laws.kaplanND();

    /** The closed forms agree with golden-section search on L(N, C/6N) to 1e-6 relative, from 1e15 to 1e25 FLOP. */
    @Test
    void closedFormsMatchADirectSearch() {
        for (Published.Fit p : new Published.Fit[]{Published.CHINCHILLA, Published.BESIROGLU, Published.KAPLAN_ND}) {
            for (double c = 1e15; c <= 1e25; c *= 10) {
                double closed = Allocation.optimal(p.law(), p.theta(), c).n();
                double searched = Allocation.search(p.law(), p.theta(), c);
                assertEquals(1, searched / closed, 1e-6, p.name() + " at C = " + c);
            }
        }
    }

    /** N_opt ∝ C^(β/(α+β)) for Chinchilla's form and C^(α_D/(α_N+α_D)) for Kaplan's L(N,D); D_opt takes the rest. */
    @Test
    void exponents() {
        double[] a = Allocation.exponents(CHIN, Published.CHINCHILLA.theta(), 1e21);
        assertEquals(0.28 / 0.62, a[0], 1e-9);
        assertEquals(0.34 / 0.62, a[1], 1e-9);
        double[] k = Allocation.exponents(KND, Published.KAPLAN_ND.theta(), 1e21);
        assertEquals(0.103 / (0.076 + 0.103), k[0], 1e-9);
        // Besiroglu et al.'s refit implies roughly equal scaling (their a = 0.51)
        assertEquals(0.3658 / (0.3478 + 0.3658), Allocation.exponents(CHIN, Published.BESIROGLU.theta(), 1e21)[0], 1e-9);
    }

    /** At the optimum, 10% more or fewer parameters (D adjusted to keep C) predicts a higher loss; D/N as C/(6N²). */
    @Test
    void optimumIsAMinimumAtFixedCompute() {
        double c = 5.76e23;   // Gopher's and Chinchilla's budget
        Allocation.Point p = Published.CHINCHILLA.optimal(c);
        for (double f : new double[]{0.9, 1.1}) {
            double n = p.n() * f;
            assertTrue(Published.CHINCHILLA.predict(n, c / (6 * n)) > p.loss());
        }
        assertEquals(c / (6 * p.n() * p.n()), p.tokensPerParam(), 1e-9 * p.tokensPerParam());
        // eq. 10's constants put the optimum for 5.76e23 FLOP at ~3e10 parameters and ~3e12 tokens
        assertEquals(3.3e10, p.n(), 0.3e10);
    }

    @Test
    void lawsWithoutAnNDTradeOffAreRefused() {
        assertTrue(!Allocation.applies(Laws.power("N")));
        assertThrows(IllegalArgumentException.class, () -> Allocation.optimal(Laws.kaplanNS(), new double[4], 1e20));
    }

    /** A bootstrap of noisy Chinchilla-form runs: intervals of a and of N_opt hold the fitted values and the truth. */
    @Test
    void summaryIntervalsFromTheReplicates() {
        Fitter.Data d = Benchmark.runs(4).subset(java.util.stream.IntStream.range(0, 250).filter(i -> i % 3 == 0).toArray());
        // started at the truth: this tests the summary of replicates, not the grid search (FitterTest does that)
        Fitter.Fit f = Fitter.fit(CHIN, d, new Fitter.Options(1e-3, 100, 0.95, 8, 5), List.of(Published.BESIROGLU.theta()));
        Allocation.Summary s = Allocation.summarise(f, new double[]{1e20, 1e22}, 0.95);
        assertTrue(s.aLow() <= s.a() && s.a() <= s.aHigh(), s.toString());
        double truthA = 0.3658 / (0.3478 + 0.3658);
        assertTrue(s.aLow() <= truthA && truthA <= s.aHigh(), s.toString());
        assertEquals(1, s.a() + s.b(), 1e-9);
        for (Allocation.Row r : s.rows()) {
            assertTrue(r.nLow() <= r.n() && r.n() <= r.nHigh(), r.toString());
            assertTrue(r.dLow() <= r.d() && r.d() <= r.dHigh(), r.toString());
        }
    }
}
