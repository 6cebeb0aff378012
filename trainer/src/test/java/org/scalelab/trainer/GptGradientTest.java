package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every entry of every parameter: SameDiff's analytic gradient against a central finite difference
 * of the loss, in double precision. Tolerance: |g − g_fd| ≤ 1e-6 + 1e-4·|g_fd| (the finite difference
 * with h = 1e-5 has truncation error ~h² ≈ 1e-10 times the third derivative).
 */
class GptGradientTest {

    private static void check(ModelConfig cfg) {
        Gpt gpt = Gpt.build(cfg, DataType.DOUBLE, 7);
        Rng rng = new Rng(3);
        int B = 2, T = cfg.nCtx(), V = cfg.nVocab();
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        // Larger weights than the 0.02 init so every path carries a gradient well above round-off.
        Nd4j.getRandom().setSeed(11);
        for (INDArray p : gpt.paramArrays().values()) p.addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.3));
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(Gpt.TOKENS, Batch.oneHot(in, V, DataType.DOUBLE));
        ph.put(Gpt.LABELS, Batch.oneHot(out, V, DataType.DOUBLE));

        var sd = gpt.sameDiff();
        Map<String, INDArray> grads = sd.calculateGradients(ph, gpt.paramNames());
        double h = 1e-5;
        int checked = 0;
        double worst = 0;
        for (var e : gpt.paramArrays().entrySet()) {
            INDArray p = e.getValue(), g = grads.get(e.getKey());
            assertEquals(p.length(), g.length(), e.getKey());
            for (long i = 0; i < p.length(); i++) {
                double orig = p.getDouble(i);
                p.putScalar(i, orig + h);
                double plus = sd.output(ph, Gpt.LOSS).get(Gpt.LOSS).getDouble(0);
                p.putScalar(i, orig - h);
                double minus = sd.output(ph, Gpt.LOSS).get(Gpt.LOSS).getDouble(0);
                p.putScalar(i, orig);
                double fd = (plus - minus) / (2 * h), an = g.getDouble(i);
                double err = Math.abs(an - fd);
                worst = Math.max(worst, err / (1e-6 + 1e-4 * Math.abs(fd)));
                assertTrue(err <= 1e-6 + 1e-4 * Math.abs(fd),
                        e.getKey() + "[" + i + "]: analytic " + an + " vs finite difference " + fd);
                checked++;
            }
        }
        System.out.printf("gradient check: %d entries, worst error %.3f of tolerance%n", checked, worst);
        assertEquals(gpt.countParams(false), checked);
    }

    @Test
    void allParametersMatchFiniteDifferencesTied() {
        check(new ModelConfig(2, 8, 2, 0, 4, 5, 0.0, true, true));
    }

    @Test
    void allParametersMatchFiniteDifferencesUntiedNoBias() {
        check(new ModelConfig(1, 8, 4, 12, 3, 6, 0.0, false, false));
    }
}
