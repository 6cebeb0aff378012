package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import org.scalelab.trainer.engine.Engine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.model.ParamLayout;
import org.scalelab.trainer.model.Pass;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one optimizer step does to the parameters: which engine runs it, which tensors weight decay
 * reaches, and global-norm clipping. Each check compares the parameters (or Adam's first moment) after a
 * real step against the same step computed in double from the gradient of that batch.
 */
class TrainStepTest {
    private static final double B1 = 0.9, B2 = 0.95, EPS = 1e-8;
    private static final int B = 2;

    @Test
    void theCpuBackendRunsThePassesAnyOtherBackendTheGraph() {
        String cpu = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";
        assertEquals(Engines.Kind.CPU, Engines.choose(DataType.FLOAT), "these tests run on ND4J's CPU backend");
        assertEquals(Engines.Kind.CPU, Engines.choose(DataType.FLOAT, cpu));
        assertEquals(Engines.Kind.SAMEDIFF, Engines.choose(DataType.DOUBLE, cpu));
        assertEquals(Engines.Kind.SAMEDIFF, Engines.choose(DataType.FLOAT, "org.nd4j.linalg.jcublas.JCublasBackend"));
        Engine e = Engines.fresh(new ModelConfig(1, 16, 2, 0, 8, 13, 0.0, true, true), DataType.FLOAT, 1, Pass.Options.defaults());
        assertEquals("cpu", e.name());
        assertTrue(Engines.describe(e).startsWith("engine: cpu"));
    }

    /**
     * Weight decay 0.5 at lr 0.01 on parameters drawn away from their initial values (biases ≠ 0): after
     * step 1 every entry must be p₀·(1 − lr·wd) − lr·g/(|g| + ε) (Adam's first step, m̂ = g, v̂ = g²) within
     * 1e-6, with wd = 0.5 for the matrices and 0 for norms, biases, embeddings and the untied head; and
     * 0.5 for all of them once {@code decayEmbeddings} and {@code decayNormsAndBiases} are on. The decay
     * term, lr·wd·|p₀|, is at least 100 times that tolerance somewhere in each tensor.
     */
    @Test
    void weightDecayReachesMatricesOnlyUnlessConfigured() {
        ModelConfig cfg = new ModelConfig(2, 16, 2, 0, 8, 13, 0.0, false, true);
        double wd = 0.5, lr = 0.01;
        TrainConfig defaults = ConfigLoader.load(null, List.of("train.weightDecay=" + wd)).train();
        TrainConfig all = ConfigLoader.load(null, List.of("train.weightDecay=" + wd, "train.decayEmbeddings=true",
                "train.decayNormsAndBiases=true")).train();
        ParamLayout layout = ParamLayout.of(cfg);
        List<String> names = layout.names();
        double[] dDefault = Trainer.decayRates(layout, defaults), dAll = Trainer.decayRates(layout, all);
        int matrices = 0;
        for (int i = 0; i < names.size(); i++) {
            boolean matrix = names.get(i).matches("h\\d+\\.(attn\\.qkv|attn\\.proj|mlp\\.fc|mlp\\.proj)\\.w");
            matrices += matrix ? 1 : 0;
            assertEquals(matrix ? wd : 0, dDefault[i], 0, names.get(i));
            assertEquals(wd, dAll[i], 0, names.get(i));
        }
        assertEquals(4 * cfg.nLayer(), matrices);
        assertTrue(names.contains("lm_head") && names.contains("h0.attn.qkv.b") && names.contains("ln_f.g"));

        for (boolean graph : new boolean[]{false, true}) {
            for (double[] decay : new double[][]{dDefault, dAll}) {
                Engine gpt = engine(cfg, 1, graph);
                perturb(gpt, 7);
                Batch batch = batch(cfg, 3);
                float[][] g = gradients(gpt, batch);
                float[][] p0 = values(gpt);
                AdamW adam = new AdamW(layout.sizes(), B1, B2, EPS);
                TrainStep step = new TrainStep(gpt, adam, decay, 0);
                assertTrue(step.run(List.of(batch), new Rng(0), lr, 1).finite());
                float[][] p1 = values(gpt);
                for (int i = 0; i < names.size(); i++) {
                    double largestDecay = 0;
                    for (int k = 0; k < p0[i].length; k++) {
                        double gk = g[i][k];
                        double want = p0[i][k] * (1 - lr * decay[i]) - lr * gk / (Math.abs(gk) + EPS);
                        int ti = i, tk = k;
                        assertEquals(want, p1[i][k], 1e-6, () -> names.get(ti) + "[" + tk + "], decay " + decay[ti] + ", graph " + graph);
                        largestDecay = Math.max(largestDecay, lr * decay[i] * Math.abs(p0[i][k]));
                    }
                    if (decay[i] > 0) assertTrue(largestDecay > 1e-4, names.get(i) + ": the decay term must be visible");
                }
            }
        }
    }

    /**
     * With the clip at half the gradient's global norm, the gradient that reaches AdamW (its first moment
     * after step 1 is (1 − β1)·g) has norm equal to the clip within 1e-5 relative, and is g·clip/‖g‖ entry by
     * entry within 1e-6 of max|g|: same direction. With the clip at twice the norm it is g itself. The
     * reported norm is the one before clipping (1e-5 relative).
     */
    @Test
    void clippingScalesTheGlobalNormToTheLimitAndKeepsTheDirection() {
        ModelConfig cfg = new ModelConfig(2, 16, 2, 0, 8, 13, 0.0, true, true);
        for (boolean graph : new boolean[]{false, true}) {
            Engine probe = engine(cfg, 2, graph);
            Batch batch = batch(cfg, 4);
            float[][] g = gradients(probe, batch);
            double sq = 0, gmax = 0;
            for (float[] t : g) for (float x : t) {
                sq += (double) x * x;
                gmax = Math.max(gmax, Math.abs(x));
            }
            double norm = Math.sqrt(sq);
            for (double factor : new double[]{0.5, 2.0}) {
                double clip = factor * norm;
                Engine gpt = engine(cfg, 2, graph);
                AdamW adam = new AdamW(gpt.weights().layout().sizes(), B1, B2, EPS);
                TrainStep step = new TrainStep(gpt, adam, new double[g.length], clip);
                TrainStep.Result r = step.run(List.of(batch), new Rng(0), 1e-3, 1);
                assertEquals(norm, r.gradNorm(), 1e-5 * norm, "reported norm, graph " + graph);
                double scale = Math.min(1, clip / norm), csq = 0;
                float c1 = (float) (1 - B1);
                for (int i = 0; i < g.length; i++) {
                    for (int k = 0; k < g[i].length; k++) {
                        double used = adam.m[i][k] / c1;
                        csq += used * used;
                        int ti = i, tk = k;
                        assertEquals(g[i][k] * scale, used, 1e-6 * gmax, () -> "entry " + tk + " of tensor " + ti + ", graph " + graph);
                    }
                }
                assertEquals(Math.min(clip, norm), Math.sqrt(csq), 1e-5 * norm, "clipped norm, factor " + factor + ", graph " + graph);
            }
        }
    }

    /** A fixed batch of B sequences. */
    private static Batch batch(ModelConfig cfg, long seed) {
        int T = cfg.nCtx(), V = cfg.nVocab();
        Rng rng = new Rng(seed);
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        return new Batch(in, out, B, T);
    }

    private static Engine engine(ModelConfig cfg, long seed, boolean graph) {
        return graph ? Models.graph(cfg, DataType.FLOAT, seed) : Models.cpu(cfg, seed);
    }

    /** Moves every parameter by up to ±0.1, so that biases are not 0 and norm gains not 1. */
    private static void perturb(Engine e, long seed) {
        Rng rng = new Rng(seed);
        for (INDArray a : e.weights().byName().values()) {
            FloatBuffer b = a.data().asNioFloat();
            for (int k = 0; k < b.capacity(); k++) b.put(k, b.get(k) + (float) (0.2 * rng.nextDouble() - 0.1));
        }
        e.weights().wroteOnHost();
    }

    /** The gradient of the batch's mean loss at the current parameters, from the engine the step uses. */
    private static float[][] gradients(Engine e, Batch b) {
        e.zeroGrads();
        e.accumulate(b.inputs, b.targets, new Rng(0));
        float[][] out = new float[e.weights().layout().size()][];
        for (int i = 0; i < out.length; i++) {
            FloatBuffer gb = e.grad(i);
            out[i] = new float[gb.capacity()];
            gb.get(0, out[i]);
        }
        return out;
    }

    private static float[][] values(Engine e) {
        List<float[]> out = new ArrayList<>();
        for (INDArray a : e.weights().byName().values()) out.add(a.dup('c').data().asFloat());
        return out.toArray(new float[0][]);
    }
}
