package org.scalelab.scaling.fit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.scalelab.scaling.Synthetic;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The "not determined" rule ({@link Determined}) on constructed intervals and on bootstrap fits. */
class DeterminedTest {

    static Determined.Verdict v(double lo, double hi, Determined.Bounds b) {
        return Determined.of(lo, hi, b);
    }

    /** Each clause of the rule, at and just past its threshold. */
    @Test
    void ruleOnConstructedIntervals() {
        var pos = Determined.Bounds.POSITIVE;
        assertEquals(true, v(1.5, 1.8, pos).determined());
        assertNull(v(1.5, 1.8, pos).why());
        assertEquals("yes", v(1.5, 1.8, pos).cell());

        // touches the bound 0 (at it or below it)
        assertEquals(new Determined.Verdict(false, "interval touches bound 0"), v(0, 1.8, pos));
        assertEquals(new Determined.Verdict(false, "interval touches bound 0"), v(-0.01, 0.3, pos), "an exponent's interval reaching below 0");
        assertEquals("not determined: interval touches bound 0", v(0, 1.8, pos).cell());

        // spans more than a decade: 10.1× is flagged, 9.9× is not
        assertEquals(new Determined.Verdict(false, "interval spans 10.1× (more than 10×)"), v(0.1, 1.01, pos));
        assertEquals(true, v(0.1, 0.99, pos).determined());
        assertEquals(new Determined.Verdict(false, "interval spans 1000× (more than 10×)"), v(1e13, 1e16, pos));
        assertEquals(new Determined.Verdict(false, "interval spans 1.0e+08× (more than 10×)"), v(1e-4, 1e4, pos));

        // an end beyond double range reaches the upper bound ∞
        assertEquals(new Determined.Verdict(false, "interval reaches ∞ (beyond double range)"), v(2, Double.POSITIVE_INFINITY, pos));
        // both bounds at once
        assertEquals(new Determined.Verdict(false, "interval touches bound 0; interval reaches ∞ (beyond double range)"),
                v(0, Double.POSITIVE_INFINITY, pos));

        // a share in [0, 1]: the compute-optimal exponents
        var frac = Determined.Bounds.FRACTION;
        assertEquals(true, v(0.4, 0.6, frac).determined());
        assertEquals(new Determined.Verdict(false, "interval touches bound 1"), v(0.4, 1.02, frac));
        assertEquals(new Determined.Verdict(false, "interval touches bound 0"), v(-0.1, 0.6, frac));

        // free in sign (the learning-rate exponent): a negative interval by its magnitudes, one holding 0 has no sign
        var any = Determined.Bounds.ANY;
        assertEquals(true, v(-0.2, -0.1, any).determined());
        assertEquals(new Determined.Verdict(false, "interval spans 20.0× (more than 10×)"), v(-2, -0.1, any));
        assertEquals(new Determined.Verdict(false, "interval holds 0 (sign not determined)"), v(-0.2, 0.05, any));

        // no interval (no bootstrap): nothing said
        assertNull(v(Double.NaN, Double.NaN, pos).determined());
        assertEquals("", v(Double.NaN, Double.NaN, pos).cell());
        assertFalse(v(Double.NaN, Double.NaN, pos).notDetermined());
    }

    /** 17 sizes N = 1e6…1e10 (√∛10 apart in log), each the law times seeded multiplicative noise σ. */
    static Fitter.Data sizes(java.util.function.DoubleUnaryOperator law, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<double[]> x = new ArrayList<>();
        List<Double> l = new ArrayList<>();
        for (int i = 0; i <= 16; i++) {
            double n = 1e6 * Math.pow(1e4, i / 16.0);
            x.add(new double[]{n});
            l.add(Synthetic.noisy(r, law.applyAsDouble(n), sigma));
        }
        return Synthetic.data(x, l);
    }

    /**
     * L(N)+E on losses from L = 1.8 + 400·N^−0.3 (falling from 8.1 to 2.2 over the sizes, so the floor is
     * reached) with 0.3% noise, 200 bootstrap replicates: E within 0.05 of 1.8, its interval narrower than
     * a factor 1.2, and every parameter determined.
     */
    @Test
    void aFloorTheRunsReachIsDetermined() {
        Fitter.Fit f = Fitter.fit(Laws.powerWithFloor("N"), sizes(n -> 1.8 + 400 * Math.pow(n, -0.3), 0.003, 3),
                Fitter.Options.defaults().withBootstrap(200));
        assertEquals(1.8, f.params()[0], 0.05, "E");
        assertTrue(f.high()[0] / f.low()[0] < 1.2, "E in [" + f.low()[0] + ", " + f.high()[0] + "]");
        for (int i = 0; i < 3; i++) {
            Determined.Verdict v = Determined.of(f, i);
            assertEquals(true, v.determined(), f.law().paramNames().get(i) + ": " + v);
        }
    }

    /**
     * L(N)+E on losses from a pure power law L = (1e13/N)^0.07 (no floor; losses 3.1 to 1.6) with 0.3%
     * noise: the fit and its replicates put E at or next to 0 (far below 0.1% of any loss), so E is not
     * determined, for touching its bound 0; the exponent is determined (to ±0.01 of 0.07).
     */
    @Test
    void aFloorTheRunsDoNotSeeTouchesItsBound() {
        Fitter.Fit f = Fitter.fit(Laws.powerWithFloor("N"), sizes(n -> Math.pow(1e13 / n, 0.07), 0.003, 4),
                Fitter.Options.defaults().withBootstrap(200));
        Determined.Verdict e = Determined.of(f, 0);
        assertEquals(false, e.determined(), e.toString());
        assertTrue(e.why().startsWith("interval touches bound 0"), e.why());
        assertEquals(0.07, f.params()[2], 0.01, "alpha_N");
        assertEquals(true, Determined.of(f, 2).determined(), Determined.of(f, 2).toString());
    }

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * An older fits.json without the verdicts: the rule on its intervals, a constant's lower end tested on
     * the law's curve points. The quickstart's E = 3.86e-12 [3.19e-12, 4.90e-12] spans only 1.5× but is 0
     * for every purpose (adding it changes no loss near 3): not determined, touching 0. A stored verdict
     * is read as it is.
     */
    @Test
    void readsFitsJsonOldAndNew() throws Exception {
        StringBuilder curve = new StringBuilder();
        for (int k = 0; k <= 24; k++) {
            double n = 3312 * Math.pow(375000 / 3312.0, k / 24.0);
            curve.append(k > 0 ? "," : "").append(String.format(java.util.Locale.ROOT, "{\"N\":%.6g,\"loss\":%.6g}", n, 5.328 * Math.pow(n, -0.0507)));
        }
        JsonNode old = JSON.readTree("{\"law\":\"L(N)+E\",\"params\":{"
                + "\"E\":{\"value\":3.86e-12,\"ci_low\":3.19e-12,\"ci_high\":4.90e-12,\"published\":[]},"
                + "\"A\":{\"value\":5.328,\"ci_low\":5.0096,\"ci_high\":5.629,\"published\":[]},"
                + "\"alpha_N\":{\"value\":0.0507,\"ci_low\":0.0449,\"ci_high\":0.0559,\"published\":[]}},\"curve\":[" + curve + "]}");
        Determined.Verdict e = Determined.of(old, "E");
        assertEquals(false, e.determined());
        assertTrue(e.why().startsWith("interval touches bound 0 (E at 0 instead of 3.19e-12"), e.why());
        assertEquals(true, Determined.of(old, "A").determined());
        assertEquals(true, Determined.of(old, "alpha_N").determined());
        // an interval end written as null (beyond double range)
        JsonNode nulls = JSON.readTree("{\"law\":\"L(N)\",\"params\":{\"N_c\":{\"value\":1e14,\"ci_low\":1e13,\"ci_high\":null}}}");
        assertEquals("interval reaches ∞ (beyond double range)", Determined.of(nulls, "N_c").why());
        // no interval at all
        JsonNode none = JSON.readTree("{\"law\":\"L(N)\",\"params\":{\"N_c\":{\"value\":1e14,\"ci_low\":null,\"ci_high\":null}}}");
        assertNull(Determined.of(none, "N_c").determined());

        JsonNode stored = JSON.readTree("{\"law\":\"L(N)+E\",\"params\":{\"E\":{\"value\":1.7,\"ci_low\":1.6,\"ci_high\":1.8,"
                + "\"determined\":false,\"why\":\"as written\"}}}");
        assertEquals(new Determined.Verdict(false, "as written"), Determined.of(stored, "E"));
        JsonNode cb = JSON.readTree("{\"B_star\":3e7,\"B_star_ci_low\":1e6,\"B_star_ci_high\":4e8}");
        assertEquals("interval spans 400× (more than 10×)",
                Determined.of(cb, "B_star_determined", "B_star_why", "B_star_ci_low", "B_star_ci_high", Determined.Bounds.POSITIVE).why());
    }
}
