package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;
import org.scalelab.scaling.Synthetic;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek LLM's hyperparameter laws on sweeps whose optimum is known ({@link Synthetic#hyperSweep}: the
 * truth is their published lr*(C) = 0.3118·C^−0.125 and B*(C) = 0.292·C^0.3271).
 */
class HyperparametersTest {
    static final double[] BUDGETS = {1e17, 1e18, 1e19, 1e20};
    static final double[] AT = {1e15, 1e18, 1e21};

    /** The CSV lines of {@link Synthetic#hyperSweep} as runs, C = 6·N·D. */
    static List<Hyperparameters.Run> runs(List<String> lines) {
        List<Hyperparameters.Run> out = new ArrayList<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split(",");
            double n = Double.parseDouble(c[2]), d = Double.parseDouble(c[3]);
            out.add(new Hyperparameters.Run(6 * n * d, Double.parseDouble(c[4]), Double.parseDouble(c[5]), Double.parseDouble(c[6]), c[0]));
        }
        return out;
    }

    /**
     * 4 budgets × 5 learning rates × 4 batch sizes, 0.05% noise: b to ±0.06 and d to ±0.04 (seen: −0.116
     * and 0.304; over 300 seeded sweeps b = −0.124 ± 0.028 and d = 0.327 ± 0.018, mean ± sd), both
     * intervals around the truth, and lr_opt, B_opt at 1e18 (inside the budgets) within 25%.
     */
    @Test
    void recoversTheExponentsOfAKnownOptimum() {
        Hyperparameters.Result r = Hyperparameters.fit(runs(Synthetic.hyperSweep(BUDGETS, 5, 4, 0.0005, 1)), 0.0025, AT, 1000, 0.95, 1);
        assertNotNull(r);
        assertEquals(4, r.budgets().size());
        assertEquals(0, r.budgetsLeftOut());
        Hyperparameters.Power lr = r.lr().power(), b = r.batch().power();
        assertEquals(Synthetic.LR_B, lr.exponent(), 0.06, lr.toString());
        assertEquals(Synthetic.BATCH_D, b.exponent(), 0.04, b.toString());
        assertTrue(lr.exponentLow() <= Synthetic.LR_B && Synthetic.LR_B <= lr.exponentHigh(), lr.toString());
        assertTrue(b.exponentLow() <= Synthetic.BATCH_D && Synthetic.BATCH_D <= b.exponentHigh(), b.toString());
        assertTrue(lr.coefficientLow() < lr.coefficient() && lr.coefficient() < lr.coefficientHigh(), lr.toString());
        assertEquals(1, lr.at(1e18) / (Synthetic.LR_A * Math.pow(1e18, Synthetic.LR_B)), 0.25);
        assertEquals(1, b.at(1e18) / (Synthetic.BATCH_C * Math.pow(1e18, Synthetic.BATCH_D)), 0.25);
        // the values at the requested computes are the power laws, inside their intervals
        Hyperparameters.At mid = r.lr().at().get(1);
        assertEquals(1e18, mid.c(), 0);
        assertEquals(lr.at(1e18), mid.value(), 1e-15);
        assertTrue(mid.low() < mid.value() && mid.value() < mid.high(), mid.toString());
        // an interval is narrowest inside the budgets and widens beyond them
        Hyperparameters.At far = r.lr().at().get(2);
        assertTrue(Math.log(far.high() / far.low()) > Math.log(mid.high() / mid.low()), far + " vs " + mid);
        assertEquals(1000, r.bootstrap());
        assertEquals(0, r.bootstrapFailed());
        for (Hyperparameters.Budget g : r.budgets()) {
            assertEquals(20, g.runs().size());
            assertEquals(20, g.settings());
            double min = g.runs().stream().mapToDouble(Hyperparameters.Run::loss).min().orElseThrow();
            assertEquals(min, g.best().loss(), 0);
            assertTrue(g.nearOptimal().contains(g.best()));
            for (Hyperparameters.Run x : g.runs()) assertEquals(x.loss() <= min * 1.0025, g.nearOptimal().contains(x), x.toString());
            assertFalse(g.bestAtEdge(Hyperparameters.Run::lr), "the grids are centred on the optimum");
        }
        assertEquals(r.budgets().stream().mapToInt(g -> g.nearOptimal().size()).sum(), r.points());
    }

    /**
     * Over 40 seeded sweeps (200 replicates each) the 95% intervals of b and d hold the truth at least 36
     * times, and the mean exponents lie within 0.015 of it. The intervals run wide (300 of 300 in a longer
     * run): a resample drops about a third of a budget's grid, which moves its near-optimal region more
     * than the noise does.
     */
    @Test
    void intervalsCoverTheTruth() {
        int coverB = 0, coverD = 0, n = 40;
        double sumB = 0, sumD = 0;
        for (int s = 0; s < n; s++) {
            Hyperparameters.Result r = Hyperparameters.fit(runs(Synthetic.hyperSweep(BUDGETS, 5, 4, 0.0005, 100 + s)), 0.0025, AT, 200, 0.95, s);
            Hyperparameters.Power lr = r.lr().power(), b = r.batch().power();
            if (lr.exponentLow() <= Synthetic.LR_B && Synthetic.LR_B <= lr.exponentHigh()) coverB++;
            if (b.exponentLow() <= Synthetic.BATCH_D && Synthetic.BATCH_D <= b.exponentHigh()) coverD++;
            sumB += lr.exponent();
            sumD += b.exponent();
        }
        assertTrue(coverB >= 36 && coverD >= 36, coverB + ", " + coverD + " of " + n);
        assertEquals(Synthetic.LR_B, sumB / n, 0.015);
        assertEquals(Synthetic.BATCH_D, sumD / n, 0.015);
    }

    /** Margin 0: each budget's best run alone; the same seed gives the same intervals. */
    @Test
    void marginZeroAndSeeds() {
        List<Hyperparameters.Run> runs = runs(Synthetic.hyperSweep(BUDGETS, 5, 4, 0.0005, 2));
        Hyperparameters.Result best = Hyperparameters.fit(runs, 0, AT, 0, 0.95, 1);
        assertEquals(4, best.points());
        assertTrue(Double.isNaN(best.lr().power().exponentLow()), "no replicates, no interval");
        Hyperparameters.Result a = Hyperparameters.fit(runs, 0.0025, AT, 100, 0.95, 7), b = Hyperparameters.fit(runs, 0.0025, AT, 100, 0.95, 7);
        assertEquals(a.lr().power(), b.lr().power());
        assertTrue(Hyperparameters.fit(runs, 0.01, AT, 0, 0.95, 1).points() > a.points(), "a wider margin keeps more runs");
    }

    /** Two budgets, or budgets whose runs share one (lr, B), are refused with what was found. */
    @Test
    void tooFewBudgetsOrSettingsSayWhy() {
        List<Hyperparameters.Run> two = runs(Synthetic.hyperSweep(new double[]{1e17, 1e18}, 5, 4, 0.0005, 3));
        String why = Hyperparameters.unsupported(two);
        assertNotNull(why);
        assertTrue(why.startsWith("needs 3 or more compute budgets (C within 10%) with 3 or more runs at 3 or more (lr, batch) settings each; "
                + "only 2 of 2 budgets do (C = 1.00e+17: 20 runs at 20 (lr, batch) settings"), why);
        assertNull(Hyperparameters.fit(two, 0.0025, AT, 10, 0.95, 1));
        // an IsoFLOP sweep: five sizes per budget at one lr and batch
        List<Hyperparameters.Run> iso = new ArrayList<>();
        for (double c : BUDGETS) for (int i = 0; i < 5; i++) iso.add(new Hyperparameters.Run(c, 1e-3, 65536, 3 + 0.01 * i, "r"));
        why = Hyperparameters.unsupported(iso);
        assertTrue(why.contains("none of 4 budgets do (C = 1.00e+17: 5 runs at 1 (lr, batch) setting;"), why);
    }

    /** A sweep of learning rates alone (one batch size per budget): the lr law is fitted, the batch law says why not. */
    @Test
    void learningRatesAlone() {
        List<Hyperparameters.Run> all = runs(Synthetic.hyperSweep(BUDGETS, 5, 4, 0.0005, 4)), runs = new ArrayList<>();
        for (Hyperparameters.Run r : all) {
            double smallest = all.stream().filter(x -> x.c() == r.c()).mapToDouble(Hyperparameters.Run::batch).min().orElseThrow();
            if (r.batch() == smallest) runs.add(new Hyperparameters.Run(r.c(), r.lr(), Double.NaN, r.loss(), r.label()));
        }
        assertEquals(20, runs.size());
        Hyperparameters.Result r = Hyperparameters.fit(runs, 0.0025, AT, 50, 0.95, 1);
        assertTrue(r.lr().fitted());
        assertFalse(r.batch().fitted());
        assertEquals("no batch size in the table", r.batch().note());
        assertEquals(Synthetic.LR_B, r.lr().power().exponent(), 0.08);
        List<Hyperparameters.Run> fixed = runs.stream().map(x -> new Hyperparameters.Run(x.c(), x.lr(), 65536, x.loss(), x.label())).toList();
        assertTrue(Hyperparameters.fit(fixed, 0.0025, AT, 0, 0.95, 1).batch().note()
                .startsWith("the batch size takes one value within the budgets C = 1.00e+17, 1.00e+18, 1.00e+19, 1.00e+20"));
    }
}
