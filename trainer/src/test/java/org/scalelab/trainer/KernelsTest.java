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

    /**
     * Cross-entropy of (rows, V) logits: the mean loss and the gradient (softmax − onehot)/rows it leaves in
     * place agree with double precision, rows split over the kernel threads or not.
     */
    @Test
    void crossEntropyAndItsGradient() {
        int rows = 300, V = 77;
        SplittableRandom r = new SplittableRandom(5);
        FloatBuffer logits = FloatBuffer.allocate(rows * V);
        double[] orig = new double[rows * V];
        int[] labels = new int[rows];
        for (int i = 0; i < rows * V; i++) {
            orig[i] = 6 * r.nextGaussian();
            logits.put(i, (float) orig[i]);
        }
        for (int i = 0; i < rows; i++) labels[i] = r.nextInt(V);
        double loss = Kernels.crossEntropy(logits, labels, rows, V), want = 0;
        for (int i = 0; i < rows; i++) {
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int j = 0; j < V; j++) max = Math.max(max, (float) orig[i * V + j]);
            for (int j = 0; j < V; j++) z += Math.exp((float) orig[i * V + j] - max);
            want += Math.log(z) - ((float) orig[i * V + labels[i]] - max);
            for (int j = 0; j < V; j++) {
                double g = (Math.exp((float) orig[i * V + j] - max) / z - (j == labels[i] ? 1 : 0)) / rows;
                assertEquals(g, logits.get(i * V + j), 1e-6 / rows, "row " + i + " col " + j);
            }
        }
        assertEquals(want / rows, loss, 1e-6 * want / rows);
        FloatBuffer again = FloatBuffer.allocate(rows * V);
        for (int i = 0; i < rows * V; i++) again.put(i, (float) orig[i]);
        assertEquals(want, Kernels.crossEntropySum(again, labels, 0, rows, V), 1e-6 * want, "the evaluation's sum");
    }
}
