package org.scalelab.trainer.perf;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.Backprop;
import org.scalelab.trainer.Batch;
import org.scalelab.trainer.Gpt;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.Rng;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-written passes compute the SameDiff graph's loss and gradients (which GptGradientTest checks
 * against finite differences): in float, loss within 1e-5 relative, every gradient entry within
 * 1e-4 of its tensor's largest entry plus 1e-3 relative.
 */
class BackpropTest {

    private static void check(ModelConfig cfg, int B) {
        Gpt gpt = Gpt.build(cfg, DataType.FLOAT, 7);
        Rng rng = new Rng(3);
        int T = cfg.nCtx(), V = cfg.nVocab(), d = cfg.dModel();
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        Nd4j.getRandom().setSeed(11);
        for (INDArray p : gpt.paramArrays().values()) p.addi(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.3));
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(Gpt.TOKENS, Batch.oneHot(in, V, DataType.FLOAT));
        ph.put(Gpt.LABELS, Batch.oneHot(out, V, DataType.FLOAT));
        Backprop bp = new Backprop(gpt, B);
        List<String> sites = gpt.dropoutSites();
        for (int s = 0; s < sites.size(); s++) {
            float[] m = new float[B * T * d];
            for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < cfg.dropout() ? 0f : (float) (1 / (1 - cfg.dropout()));
            ph.put(sites.get(s), Nd4j.create(m, new long[]{B, T, d}, 'c'));
            bp.mask(s).put(0, m);
        }
        var og = gpt.sameDiff().calculateGradientsAndOutputs(ph, List.of(Gpt.LOSS), gpt.paramNames());
        double expected = og.getOutputs().get(Gpt.LOSS).getDouble(0);
        bp.zeroGrads();
        double loss = bp.step(in, out);
        assertEquals(expected, loss, 1e-5 * Math.abs(expected), "loss");
        double worst = 0;
        for (int i = 0; i < gpt.paramNames().size(); i++) {
            String name = gpt.paramNames().get(i);
            INDArray g = og.getGradients().get(name);
            FloatBuffer mine = bp.grad(i);
            double max = g.amaxNumber().doubleValue();
            assertEquals(g.length(), mine.capacity(), name);
            for (int k = 0; k < g.length(); k++) {
                double a = g.getDouble(k), b = mine.get(k);
                double tol = 1e-4 * max + 1e-3 * Math.abs(a) + 1e-7;
                worst = Math.max(worst, Math.abs(a - b) / tol);
                assertTrue(Math.abs(a - b) <= tol, name + "[" + k + "]: SameDiff " + a + " vs passes " + b);
            }
        }
        System.out.printf("passes vs SameDiff: loss %.7f vs %.7f, worst gradient error %.3f of tolerance%n", loss, expected, worst);
    }

    @Test
    void tiedWithBiases() {
        check(new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true), 3);
    }

    /** The causal attention in row blocks (T = 16 in blocks of 4 and of 8) gives the same gradients. */
    @Test
    void attentionInRowBlocks() {
        int saved = Backprop.attentionBlockRows;
        try {
            for (int rows : new int[]{4, 8}) {
                Backprop.attentionBlockRows = rows;
                check(new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, true, true), 2);
            }
        } finally {
            Backprop.attentionBlockRows = saved;
        }
    }

    /**
     * Every matrix product split into row blocks over the kernel threads (as the products of larger models
     * are), odd row counts included: the same loss and gradients.
     */
    @Test
    void productsSplitOverThreads() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Backprop.ownThreads(), "one kernel thread: products are not split");
        long saved = Backprop.splitWork;
        try {
            Backprop.splitWork = 1;
            check(new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true), 3);
            check(new ModelConfig(1, 12, 3, 20, 6, 7, 0.0, false, false), 3);
        } finally {
            Backprop.splitWork = saved;
        }
    }

    @Test
    void untiedWithoutBiasesOddShapes() {
        check(new ModelConfig(1, 12, 3, 20, 6, 7, 0.0, false, false), 2);
    }

    @Test
    void withDropout() {
        check(new ModelConfig(2, 16, 4, 0, 8, 9, 0.2, true, true), 2);
    }
}
