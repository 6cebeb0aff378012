package org.scalelab.trainer;

import org.scalelab.trainer.optim.*;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AdamW and every schedule against values computed by hand. */
class OptimizerTest {

    @Test
    void adamWMatchesHandComputedSteps() {
        double lr = 0.1, wd = 0.5, b1 = 0.9, b2 = 0.99, eps = 1e-8;
        AdamW adam = new AdamW(new int[]{2}, b1, b2, eps);
        FloatBuffer p = FloatBuffer.wrap(new float[]{1.0f, -2.0f});
        double[] pe = {1.0, -2.0}, m = new double[2], v = new double[2];
        double[][] grads = {{0.5, -1.0}, {0.1, 0.3}, {-0.4, 0.0}};
        for (int t = 1; t <= 3; t++) {
            adam.update(0, p, FloatBuffer.wrap(new float[]{(float) grads[t - 1][0], (float) grads[t - 1][1]}), 1f, t, lr, wd);
            for (int k = 0; k < 2; k++) {
                double g = grads[t - 1][k];
                m[k] = b1 * m[k] + (1 - b1) * g;
                v[k] = b2 * v[k] + (1 - b2) * g * g;
                double mh = m[k] / (1 - Math.pow(b1, t)), vh = v[k] / (1 - Math.pow(b2, t));
                pe[k] = pe[k] * (1 - lr * wd) - lr * mh / (Math.sqrt(vh) + eps);
                assertEquals(pe[k], p.get(k), 1e-6, "step " + t + " entry " + k);
            }
        }
        // First step by hand: m̂ = g, v̂ = g², so p = 1·(1 − 0.05) − 0.1·sign(g) = 0.85 for entry 0.
        AdamW fresh = new AdamW(new int[]{1}, b1, b2, eps);
        FloatBuffer q = FloatBuffer.wrap(new float[]{1.0f});
        fresh.update(0, q, FloatBuffer.wrap(new float[]{0.5f}), 1f, 1, lr, wd);
        assertEquals(0.85, q.get(0), 1e-6);
    }

    @Test
    void gradScaleIsAppliedBeforeTheMoments() {
        AdamW a = new AdamW(new int[]{1}, 0.9, 0.999, 1e-8), b = new AdamW(new int[]{1}, 0.9, 0.999, 1e-8);
        FloatBuffer pa = FloatBuffer.wrap(new float[]{0f}), pb = FloatBuffer.wrap(new float[]{0f});
        a.update(0, pa, FloatBuffer.wrap(new float[]{4f}), 0.25f, 1, 0.01, 0);
        b.update(0, pb, FloatBuffer.wrap(new float[]{1f}), 1f, 1, 0.01, 0);
        assertEquals(pb.get(0), pa.get(0), 0);
        assertEquals(b.m[0][0], a.m[0][0], 0);
    }

    @Test
    void schedules() {
        // lr 1, floor 0.1, warm-up 2 of 12 steps.
        LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 0.1, 2, 12, 0.2);
        assertEquals(0.5, cos.at(0), 1e-12);
        assertEquals(1.0, cos.at(1), 1e-12);
        assertEquals(1.0, cos.at(2), 1e-12);                       // p = 0
        assertEquals(0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.5)), cos.at(7), 1e-12); // p = 5/10
        assertEquals(0.1, cos.at(12), 1e-12);                      // p = 1
        assertEquals(0.1, cos.at(50), 1e-12);

        LrSchedule lin = new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 0.1, 2, 12, 0.2);
        assertEquals(1.0 - 0.9 * 0.3, lin.at(5), 1e-12);           // p = 3/10

        LrSchedule con = new LrSchedule(LrSchedule.Kind.CONSTANT, 1.0, 0.1, 2, 12, 0.2);
        assertEquals(0.5, con.at(0), 1e-12);
        assertEquals(1.0, con.at(11), 1e-12);

        // wsd: 20% of 20 steps = 4 decay steps (16…19) after a stable phase.
        LrSchedule wsd = new LrSchedule(LrSchedule.Kind.WSD, 1.0, 0.1, 2, 20, 0.2);
        assertEquals(1.0, wsd.at(15), 1e-12);
        assertEquals(1.0 - 0.9 * 0.25, wsd.at(16), 1e-12);
        assertEquals(0.1, wsd.at(19), 1e-12);
    }
}
