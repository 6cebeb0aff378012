package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.engine.CpuEngine;
import org.scalelab.trainer.engine.GraphEngine;
import org.scalelab.trainer.kernels.Blas;
import org.scalelab.trainer.kernels.Sections;
import org.scalelab.trainer.model.Graph;
import org.scalelab.trainer.model.Pass;

import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU engine's host passes compute the graph's loss and gradients (which GraphGradientTest checks
 * against finite differences), for every variant: in float, loss within 1e-5 relative, every gradient entry
 * within 1e-4 of its tensor's largest entry plus 1e-3 relative; and its evaluation loss equals the graph's.
 */
class CpuEngineTest {

    private static void check(ModelConfig cfg, int B, Pass.Options options) {
        GraphEngine graph = Models.graph(cfg, DataType.FLOAT, 7);
        Nd4j.getRandom().setSeed(11);
        for (INDArray p : graph.weights().byName().values()) p.addi(Nd4j.randn(DataType.FLOAT, p.shape()).muli(0.3));
        CpuEngine cpu = Models.cpu(cfg, 7, options);
        for (int i = 0; i < graph.layout().size(); i++) cpu.weights().get(i).assign(graph.weights().get(i));
        Rng rng = new Rng(3);
        int T = cfg.nCtx(), V = cfg.nVocab(), d = cfg.dModel();
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        Map<String, INDArray> ph = new HashMap<>();
        ph.put(Graph.TOKENS, Models.oneHot(in, V, DataType.FLOAT));
        ph.put(Graph.LABELS, Models.oneHot(out, V, DataType.FLOAT));
        // the same dropout draws for both: the engines draw the sites in the same order from the same stream
        Rng drops = new Rng(99);
        for (String site : graph.dropoutSites()) {
            float[] m = new float[B * T * d];
            org.scalelab.trainer.engine.Engine.drawMask(drops, cfg.dropout(), m);
            ph.put(site, Nd4j.create(m, new long[]{B, T, d}, 'c'));
        }
        var og = graph.sameDiff().calculateGradientsAndOutputs(ph, List.of(Graph.LOSS), graph.layout().names());
        double expected = og.getOutputs().get(Graph.LOSS).getDouble(0);
        cpu.zeroGrads();
        double loss = cpu.accumulate(in, out, new Rng(99));
        assertEquals(expected, loss, 1e-5 * Math.abs(expected), cfg.variants() + " loss");
        double worst = 0;
        for (var t : graph.layout().tensors()) {
            INDArray g = og.getGradients().get(t.name());
            FloatBuffer mine = cpu.grad(t.index());
            double max = g.amaxNumber().doubleValue();
            assertEquals(g.length(), mine.capacity(), t.name());
            for (int k = 0; k < g.length(); k++) {
                double a = g.getDouble(k), b = mine.get(k);
                double tol = 1e-4 * max + 1e-3 * Math.abs(a) + 1e-7;
                worst = Math.max(worst, Math.abs(a - b) / tol);
                assertTrue(Math.abs(a - b) <= tol, cfg.variants() + " " + t.name() + "[" + k + "]: SameDiff " + a + " vs passes " + b);
            }
        }
        if (cfg.dropout() == 0) {
            double gl = graph.loss(in, out), cl = cpu.loss(in, out);
            assertEquals(gl, cl, 1e-5 * gl, cfg.variants() + " evaluation loss");
            assertEquals(loss, cl, 1e-6 * cl, "training and evaluation forward passes agree");
        }
        System.out.printf("passes vs SameDiff %s: loss %.7f vs %.7f, worst gradient error %.3f of tolerance%n",
                cfg.variants(), loss, expected, worst);
    }

    private static void check(ModelConfig cfg, int B) {
        check(cfg, B, Pass.Options.defaults());
    }

    @Test
    void everyVariantTiedWithBiases() {
        for (ModelConfig c : Models.variants(new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true))) check(c, 3);
    }

    @Test
    void everyVariantUntiedWithoutBiasesOddShapes() {
        for (ModelConfig c : Models.variants(new ModelConfig(1, 12, 3, 20, 6, 7, 0.0, false, false))) check(c, 2);
    }

    /** The causal attention in row blocks (T = 16 in blocks of 4 and of 8) gives the same gradients. */
    @Test
    void attentionInRowBlocks() {
        for (int rows : new int[]{4, 8}) {
            for (ModelConfig c : new ModelConfig[]{new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, true, true),
                    Models.variants(new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, true, true))[7]}) {
                check(c, 2, new Pass.Options(rows, 1L << 20, Sections.OFF));
            }
        }
    }

    /** Every matrix product split into row blocks over the kernel threads, odd row counts included. */
    @Test
    void productsSplitOverThreads() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Blas.OWN_THREADS, "one kernel thread: products are not split");
        Pass.Options split = new Pass.Options(64, 1, Sections.OFF);
        check(new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true), 3, split);
        for (ModelConfig c : Models.variants(new ModelConfig(1, 12, 3, 20, 6, 7, 0.0, false, false))) check(c, 3, split);
    }

    /** The host passes apply μP's and CompleteP's multipliers as the graph does, forward and backward. */
    @Test
    void parameterizations() {
        ModelConfig tied = new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true), untied = new ModelConfig(2, 12, 3, 20, 6, 7, 0.2, false, false);
        for (ModelConfig c : Models.variants(tied)) check(c.withParameterization(ModelConfig.Parameterization.MUP, 4, 0), 3);
        check(untied.withParameterization(ModelConfig.Parameterization.COMPLETEP, 4, 1), 2);
        check(Models.variants(untied)[7].withParameterization(ModelConfig.Parameterization.COMPLETEP, 6, 3), 2);
    }

    @Test
    void withDropout() {
        for (ModelConfig c : Models.variants(new ModelConfig(2, 16, 4, 0, 8, 9, 0.2, true, true))) check(c, 2);
    }
}
