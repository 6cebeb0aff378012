package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.scalelab.trainer.kernels.Kernels;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

class KernelsTest {

    /** Causal softmax: each row sums to 1 over columns 0..i, is 0 beyond, and equals the double-precision softmax. */
    @Test
    void causalSoftmaxRows() {
        int T = 37;
        FloatBuffer s = FloatBuffer.allocate(3 + T * T);
        SplittableRandom r = new SplittableRandom(2);
        double[] orig = new double[T * T];
        for (int i = 0; i < T * T; i++) {
            orig[i] = 8 * r.nextGaussian();
            s.put(3 + i, (float) orig[i]);
        }
        Kernels.causalSoftmax(s, 3, T);
        for (int i = 0; i < T; i++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j <= i; j++) max = Math.max(max, (float) orig[i * T + j]);
            for (int j = 0; j <= i; j++) z += Math.exp((float) orig[i * T + j] - max);
            for (int j = 0; j < T; j++) {
                double want = j <= i ? Math.exp((float) orig[i * T + j] - max) / z : 0;
                assertEquals(want, s.get(3 + i * T + j), 1e-6 * Math.max(want, 1e-3), "row " + i + " col " + j);
            }
        }
    }
}
