package org.scalelab.trainer.run;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Early stopping with and without smoothing on a constructed curve: 1/(1 + 0.2·i), with one lucky
 * evaluation 0.15 low at i = 3, flat from i = 12 with fixed pseudo-random noise of ±0.02. On the raw losses
 * (patience 2) the lucky evaluation stops the run at i = 5 while the curve still falls; smoothed with
 * β = 0.8 the run goes on and stops only on the plateau. A state restored mid-way decides as an unbroken run.
 */
class EarlyStopTest {
    static double loss(int i) {
        double trend = 1 / (1 + 0.2 * Math.min(i, 12));
        double u = ((i * 2654435761L) % 4294967296L) / 4294967296.0;   // a fixed sequence in [0, 1)
        return trend + (i == 3 ? -0.15 : i >= 12 ? 0.04 * (u - 0.5) : 0);
    }

    static int stopsAt(EarlyStop e, int from) {
        for (int i = from; i < 60; i++) if (e.observe(loss(i))) return i;
        return -1;
    }

    @Test
    void smoothingRidesOutNoiseAndStillStopsOnAPlateau() {
        int raw = stopsAt(new EarlyStop(2, 0, Double.NaN, Double.NaN, 0), 0);
        int smooth = stopsAt(new EarlyStop(2, 0.8, Double.NaN, Double.NaN, 0), 0);
        assertEquals(5, raw, "two evaluations after the lucky one");
        assertTrue(smooth > 12 && smooth < 60, "smoothed stops on the plateau: " + smooth);
        assertEquals(-1, stopsAt(new EarlyStop(0, 0.8, Double.NaN, Double.NaN, 0), 0), "patience 0 never stops");
    }

    @Test
    void aRestoredStateDecidesAsTheUnbrokenRun() {
        EarlyStop whole = new EarlyStop(3, 0.8, Double.NaN, Double.NaN, 0), first = new EarlyStop(3, 0.8, Double.NaN, Double.NaN, 0);
        for (int i = 0; i < 10; i++) {
            assertFalse(first.observe(loss(i)));
            whole.observe(loss(i));
        }
        EarlyStop resumed = new EarlyStop(3, 0.8, first.smoothed(), first.best(), first.since());
        assertEquals(stopsAt(whole, 10), stopsAt(resumed, 10));
    }
}
