package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.engine.GraphEngine;
import org.scalelab.trainer.model.Graph;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The SameDiff graph the layers emit: SameDiff's analytic gradient against a central finite difference
 * of the loss, in double precision. Tolerance: |g − g_fd| ≤ 1e-6 + 1e-4·|g_fd| (the finite difference with
 * h = 1e-5 has truncation error ~h² ≈ 1e-10 times the third derivative). Every entry of every tensor for
 * two GPT-2 shapes; for every combination of norm, MLP and position, up to 12 entries of every tensor.
 */
class GraphGradientTest {

    private static void check(ModelConfig cfg, int perTensor) {
        GraphEngine e = Models.graph(cfg, DataType.DOUBLE, 7);
        Rng rng = new Rng(3);
        int B = 2, T = cfg.nCtx(), V = cfg.nVocab();
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        // Larger weights than the 0.02 init so every path carries a gradient well above round-off.
        Nd4j.getRandom().setSeed(11);
        Map<String, INDArray> params = e.weights().byName();
        for (INDArray p : params.values()) p.addi(Nd4j.randn(DataType.DOUBLE, p.shape()).muli(0.3));
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(Graph.TOKENS, Models.oneHot(in, V, DataType.DOUBLE));
        ph.put(Graph.LABELS, Models.oneHot(out, V, DataType.DOUBLE));

        var sd = e.sameDiff();
        Map<String, INDArray> grads = sd.calculateGradients(ph, e.layout().names());
        double h = 1e-5;
        int checked = 0;
        long all = 0;
        double worst = 0;
        for (var en : params.entrySet()) {
            INDArray p = en.getValue(), g = grads.get(en.getKey());
            assertEquals(p.length(), g.length(), en.getKey());
            all += p.length();
            long n = p.length(), stride = perTensor <= 0 ? 1 : Math.max(1, n / perTensor);
            for (long i = 0; i < n; i += stride) {
                double orig = p.getDouble(i);
                p.putScalar(i, orig + h);
                double plus = sd.output(ph, Graph.LOSS).get(Graph.LOSS).getDouble(0);
                p.putScalar(i, orig - h);
                double minus = sd.output(ph, Graph.LOSS).get(Graph.LOSS).getDouble(0);
                p.putScalar(i, orig);
                double fd = (plus - minus) / (2 * h), an = g.getDouble(i);
                double err = Math.abs(an - fd);
                worst = Math.max(worst, err / (1e-6 + 1e-4 * Math.abs(fd)));
                assertTrue(err <= 1e-6 + 1e-4 * Math.abs(fd),
                        cfg.variants() + " " + en.getKey() + "[" + i + "]: analytic " + an + " vs finite difference " + fd);
                checked++;
            }
        }
        System.out.printf("gradient check %s: %d entries, worst error %.3f of tolerance%n", cfg.variants(), checked, worst);
        if (perTensor <= 0) assertEquals(all, checked);
    }

    @Test
    void allParametersMatchFiniteDifferencesTied() {
        check(new ModelConfig(2, 8, 2, 0, 4, 5, 0.0, true, true), 0);
    }

    @Test
    void allParametersMatchFiniteDifferencesUntiedNoBias() {
        check(new ModelConfig(1, 8, 4, 12, 3, 6, 0.0, false, false), 0);
    }

    /** μP's and CompleteP's multipliers (attention 1/hs, logits 1/m, branches 1/k) away from the base shape. */
    @Test
    void parameterizationsMatchFiniteDifferences() {
        ModelConfig tied = new ModelConfig(2, 8, 2, 0, 4, 5, 0.0, true, true), untied = new ModelConfig(2, 8, 2, 6, 3, 6, 0.0, false, false);
        check(tied.withParameterization(ModelConfig.Parameterization.MUP, 4, 0), 12);
        check(untied.withParameterization(ModelConfig.Parameterization.COMPLETEP, 2, 1), 12);
        check(Models.variants(tied)[7].withParameterization(ModelConfig.Parameterization.COMPLETEP, 4, 1), 12);
    }

    @Test
    void everyVariantMatchesFiniteDifferences() {
        for (ModelConfig c : Models.variants(new ModelConfig(1, 8, 2, 0, 4, 5, 0.0, true, true))) check(c, 12);
        for (ModelConfig c : Models.variants(new ModelConfig(1, 8, 2, 6, 3, 6, 0.0, false, false))) check(c, 12);
    }
}
