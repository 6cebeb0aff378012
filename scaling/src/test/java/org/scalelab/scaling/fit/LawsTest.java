package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each law's analytic gradient, its parametrisation round trip and its formula in the published form. */
class LawsTest {
    static java.util.List<String> keys() {
        return Laws.KEYS;
    }

    /** ∂ log L̂/∂θ against central differences (h = 1e-6) at 20 random θ and inputs: agreement to 1e-6. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("keys")
    void gradientMatchesFiniteDifferences(String key) {
        Law law = Laws.byKey(key);
        SplittableRandom r = new SplittableRandom(key.hashCode());
        double[] g = new double[law.size()], tmp = new double[law.size()];
        for (int trial = 0; trial < 20; trial++) {
            double[] theta = law.starts().get(r.nextInt(law.starts().size())).clone();
            for (int j = 0; j < theta.length; j++) theta[j] += 0.3 * (r.nextDouble() - 0.5) + 0.05;
            double[] lx = new double[law.inputs().size()];
            for (int j = 0; j < lx.length; j++) lx[j] = Math.log(10) * (3 + 9 * r.nextDouble());
            law.logLoss(theta, lx, g);
            for (int j = 0; j < theta.length; j++) {
                double h = 1e-6, keep = theta[j];
                theta[j] = keep + h;
                double up = law.logLoss(theta, lx, tmp);
                theta[j] = keep - h;
                double down = law.logLoss(theta, lx, tmp);
                theta[j] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g[j], 1e-6 * Math.max(1, Math.abs(fd)), key + " ∂/∂θ" + j + " at " + java.util.Arrays.toString(theta));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keys")
    void thetaInvertsReport(String key) {
        Law law = Laws.byKey(key);
        double[] theta = law.starts().get(law.starts().size() / 2).clone();
        theta[0] += 0.123;
        assertArrayEquals(theta, law.theta(law.report(theta)), 1e-9);
        assertEquals(key, Laws.byId(law.id()).key());
    }

    /** The log-space forms evaluate to the published formulas. */
    @Test
    void formulasInThePublishedForm() {
        double n = 3e8, d = 7e9;
        assertEquals(1.69 + 406.4 / Math.pow(n, 0.34) + 410.7 / Math.pow(d, 0.28),
                Laws.chinchilla().predict(Laws.chinchilla().theta(new double[]{1.69, 406.4, 410.7, 0.34, 0.28}), n, d), 1e-12);
        assertEquals(Math.pow(Math.pow(6.4e13 / n, 0.076 / 0.103) + 1.8e13 / d, 0.103),
                Laws.kaplanND().predict(Laws.kaplanND().theta(new double[]{6.4e13, 1.8e13, 0.076, 0.103}), n, d), 1e-12);
        assertEquals(Math.pow(6.5e13 / n, 0.077) + Math.pow(2.1e3 / 5e4, 0.76),
                Laws.kaplanNS().predict(Laws.kaplanNS().theta(new double[]{6.5e13, 2.1e3, 0.077, 0.76}), n, 5e4), 1e-12);
        assertEquals(Math.pow(8.8e13 / n, 0.076), Laws.power("N").predict(Laws.power("N").theta(new double[]{8.8e13, 0.076}), n), 1e-12);
        assertEquals(1.2 + 40 * Math.pow(n, -0.35), Laws.powerWithFloor("N").predict(Laws.powerWithFloor("N").theta(new double[]{1.2, 40, 0.35}), n), 1e-12);
    }

    /** Hoffmann et al.'s grid: α, β ∈ {0, .5, …, 2}, e ∈ {−1, −.5, …, 1}, a, b ∈ {0, 5, …, 25}. */
    @Test
    void chinchillaGridIsThePapersGrid() {
        var s = Laws.chinchilla().starts();
        assertEquals(6 * 6 * 5 * 5 * 5, s.size());
        assertArrayEquals(new double[]{0, 0, -1, 0, 0}, s.get(0), 0);
        assertArrayEquals(new double[]{25, 25, 1, 2, 2}, s.get(s.size() - 1), 1e-12);
    }
}
