package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.engine.Engine;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gradient noise scale (TrainStep.NoiseScale): the estimator recovers a known B_simple from synthetic
 * gradients; the engines report each micro-batch's own gradient norm; and measuring it changes nothing a
 * run computes, bit for bit, while giving a finite, positive noise scale on a real model.
 */
class NoiseScaleTest {

    /**
     * Synthetic gradients with a known answer: 64 parameters, a true gradient G with |G|² = 1 and per-token noise
     * N(0, Σ), Σ diagonal with tr(Σ) = 200, so B_simple = 200 tokens. A micro-batch of 64 tokens has the mean of 64
     * such gradients, G + N(0, Σ/64); a step averages 4 of them (B_big = 256). Over 20,000 steps the per-step
     * estimates average to |G|² and tr(Σ) within 2% (unbiased; they came within 0.2%); the ratio of the
     * 0.95-averages, taken every step after the first 100, has its median within 5% of 200 and 80% of its values
     * within 15% (its 10th and 90th percentiles came at 186 and 214); with factor 0.999 (~1000 steps) the last
     * value is within 5% (198).
     */
    @Test
    void recoversAKnownNoiseScaleFromSyntheticGradients() {
        int P = 64, k = 4, steps = 20_000;
        double bSmall = 64, bBig = k * bSmall, wantTrace = 200, wantGradSq = 1;
        Rng rng = new Rng(11);
        double[] G = new double[P], sd = new double[P];
        double gNorm = 0, wSum = 0;
        for (int j = 0; j < P; j++) {
            G[j] = rng.nextGaussian();
            gNorm += G[j] * G[j];
            sd[j] = 0.5 + rng.nextDouble();   // uneven variances: Σ is not isotropic
            wSum += sd[j] * sd[j];
        }
        for (int j = 0; j < P; j++) {
            G[j] *= Math.sqrt(wantGradSq / gNorm);
            sd[j] *= Math.sqrt(wantTrace / wSum);   // now Σ_jj = sd[j]², summing to tr(Σ) = 200
        }
        TrainStep.NoiseScale fast = new TrainStep.NoiseScale(0.95), slow = new TrainStep.NoiseScale(0.999);
        double sumGradSq = 0, sumTrace = 0;
        List<Double> ratios = new ArrayList<>();
        double[] mean = new double[P];
        for (int s = 0; s < steps; s++) {
            Arrays.fill(mean, 0);
            double sqSmall = 0;
            for (int i = 0; i < k; i++) {
                double sq = 0;
                for (int j = 0; j < P; j++) {
                    double g = G[j] + sd[j] / Math.sqrt(bSmall) * rng.nextGaussian();
                    sq += g * g;
                    mean[j] += g / k;
                }
                sqSmall += sq / k;
            }
            double sqBig = 0;
            for (double m : mean) sqBig += m * m;
            sumGradSq += TrainStep.NoiseScale.gradSq(sqSmall, sqBig, bSmall, bBig);
            sumTrace += TrainStep.NoiseScale.trace(sqSmall, sqBig, bSmall, bBig);
            fast.add(sqSmall, sqBig, bSmall, bBig);
            slow.add(sqSmall, sqBig, bSmall, bBig);
            if (s >= 100) ratios.add(fast.value());
        }
        assertEquals(wantGradSq, sumGradSq / steps, 0.02 * wantGradSq, "mean |G|² estimate");
        assertEquals(wantTrace, sumTrace / steps, 0.02 * wantTrace, "mean tr(Σ) estimate");
        double want = wantTrace / wantGradSq;
        List<Double> finite = ratios.stream().filter(Double::isFinite).sorted().toList();
        assertTrue(finite.size() > 0.95 * ratios.size(), finite.size() + " of " + ratios.size() + " values finite");
        double median = finite.get(finite.size() / 2);
        assertEquals(want, median, 0.05 * want, "median B_simple at factor 0.95");
        long close = finite.stream().filter(b -> Math.abs(b - want) < 0.15 * want).count();
        assertTrue(close > 0.8 * ratios.size(), close + " of " + ratios.size() + " within 15%");
        assertEquals(want, slow.value(), 0.05 * want, "B_simple at factor 0.999");
    }

    /** Before the averages are positive there is no value; a state restored continues exactly. */
    @Test
    void noValueUntilBothAveragesArePositiveAndStateRoundTrips() {
        TrainStep.NoiseScale n = new TrainStep.NoiseScale(0.9);
        assertTrue(Double.isNaN(n.value()), "nothing yet");
        n.add(1.0, 1.5, 10, 40);   // |G_big|² > |G_small|²: the trace estimate is negative
        assertTrue(Double.isNaN(n.value()), "a negative trace gives no value");
        n.add(5.0, 2.0, 10, 40);
        n.add(5.0, 2.0, 10, 40);
        assertTrue(n.value() > 0);
        TrainStep.NoiseScale m = new TrainStep.NoiseScale(0.9);
        m.restore(n.state()[0], n.state()[1]);
        n.add(3.0, 1.8, 10, 40);
        m.add(3.0, 1.8, 10, 40);
        assertEquals(n.value(), m.value(), 0);
        assertThrows(IllegalArgumentException.class, () -> new TrainStep.NoiseScale(1.0));
        assertThrows(UserError.class, () -> ConfigLoader.load(null, List.of("train.noiseScaleEma=1")).train().validate());
        assertThrows(UserError.class, () -> ConfigLoader.load(null, List.of("train.noiseScaleEma=-0.1")).train().validate());
        assertEquals(0.95, ConfigLoader.load(null, List.of()).train().noiseScaleEma(), 0);
    }

    /**
     * After each of 3 micro-batches, addedGradSquaredNorm is that micro-batch's own |g_i|², computed alone
     * (zeroGrads, accumulate, gradSquaredNorm), within 1e-5 relative, on the CPU and the SameDiff engine; and the
     * summed gradients are exactly those of the same accumulation without the calls.
     */
    @Test
    void enginesReportEachMicroBatchsOwnGradientNorm() {
        ModelConfig cfg = new ModelConfig(2, 16, 2, 0, 8, 13, 0.0, true, true);
        for (boolean graph : new boolean[]{false, true}) {
            Engine e = graph ? Models.graph(cfg, DataType.FLOAT, 3) : Models.cpu(cfg, 3);
            List<Batch> bs = List.of(batch(cfg, 2, 1), batch(cfg, 2, 2), batch(cfg, 2, 3));
            double[] alone = new double[bs.size()];
            for (int i = 0; i < bs.size(); i++) {
                e.zeroGrads();
                e.accumulate(bs.get(i).inputs, bs.get(i).targets, new Rng(0));
                alone[i] = e.gradSquaredNorm();
            }
            e.zeroGrads();
            for (Batch b : bs) e.accumulate(b.inputs, b.targets, new Rng(0));
            float[][] plain = grads(e);
            for (int round = 0; round < 2; round++) {   // the second round: after zeroGrads, the copy counts as 0 again
                e.zeroGrads();
                for (int i = 0; i < bs.size(); i++) {
                    e.accumulate(bs.get(i).inputs, bs.get(i).targets, new Rng(0));
                    double added = e.addedGradSquaredNorm();
                    assertEquals(alone[i], added, 1e-5 * alone[i], "micro-batch " + i + ", graph " + graph + ", round " + round);
                }
                float[][] got = grads(e);
                for (int t = 0; t < plain.length; t++) assertArrayEquals(plain[t], got[t], 0f, "tensor " + t + ", graph " + graph);
            }
        }
    }

    /**
     * TrainStep with the estimate and without it, from the same weights over the same 6 steps of 4 micro-batches
     * (dropout on, clipping active): the same losses and gradient norms and the same weights and Adam moments,
     * bit for bit; and the estimate is finite after them.
     */
    @Test
    void measuringChangesNoStepBitForBit() {
        ModelConfig cfg = new ModelConfig(2, 16, 2, 0, 8, 13, 0.1, true, true);
        Engine a = Models.cpu(cfg, 5), b = Models.cpu(cfg, 5);
        int[] sizes = a.weights().layout().sizes();
        AdamW adamA = new AdamW(sizes, 0.9, 0.95, 1e-8), adamB = new AdamW(sizes, 0.9, 0.95, 1e-8);
        double[] decay = new double[sizes.length];
        Arrays.fill(decay, 0.1);
        TrainStep.NoiseScale noise = new TrainStep.NoiseScale(0.5);
        TrainStep plain = new TrainStep(a, adamA, decay, 0.5), measured = new TrainStep(b, adamB, decay, 0.5, noise);
        Rng dropA = new Rng(9), dropB = new Rng(9);
        for (int s = 0; s < 6; s++) {
            List<Batch> bs = new ArrayList<>();
            for (int i = 0; i < 4; i++) bs.add(batch(cfg, 2, 100L * s + i));
            TrainStep.Result ra = plain.run(bs, dropA, 1e-2, s + 1), rb = measured.run(bs, dropB, 1e-2, s + 1);
            assertEquals(Double.doubleToLongBits(ra.loss()), Double.doubleToLongBits(rb.loss()), "loss at step " + s);
            assertEquals(Double.doubleToLongBits(ra.gradNorm()), Double.doubleToLongBits(rb.gradNorm()), "grad norm at step " + s);
            assertTrue(Double.isNaN(ra.gradSqSmall()) && rb.gradSqSmall() > rb.gradSqBig() && rb.gradSqBig() > 0, rb.toString());
            // |G_big|² is the reported norm's square
            assertEquals(rb.gradNorm() * rb.gradNorm(), rb.gradSqBig(), 1e-12 * rb.gradSqBig());
        }
        List<INDArray> wa = new ArrayList<>(a.weights().byName().values()), wb = new ArrayList<>(b.weights().byName().values());
        for (int t = 0; t < wa.size(); t++) {
            assertArrayEquals(wa.get(t).data().asFloat(), wb.get(t).data().asFloat(), 0f, "weights " + t);
            assertArrayEquals(adamA.m[t], adamB.m[t], 0f, "first moment " + t);
        }
        assertEquals(dropA.state(), dropB.state(), "the dropout stream");
        assertTrue(Double.isFinite(noise.state()[0]) && Double.isFinite(noise.state()[1]));
    }

    /**
     * A run with 4 micro-batches per step logs noise_scale: null at step 0, then finite and positive from some
     * step on, and at every step equal (1e-12 relative) to the 0.95-averages recomputed from the logged
     * grad_sq_small and grad_sq_big with B_small = 2·16 and B_big = 8·16 tokens (it was positive from step 1,
     * rising from about 45 to 195 tokens as the loss fell). The same run with
     * train.noiseScaleEma=0 has the same losses, gradient norms, validation losses and final weights bit for bit,
     * logs noise_scale null and no squared norms; so does a run without accumulation.
     */
    @Test
    void aRunLogsTheNoiseScaleAndTrainsExactlyAsWithout(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 20_000);
        List<String> base = List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=32", "model.nHead=2",
                "model.nCtx=16", "model.dropout=0.1", "train.steps=40", "train.batchSize=8", "train.microBatch=2",
                "train.lr=3e-3", "train.warmupSteps=3", "train.evalEvery=20", "train.evalBatches=2", "train.logEvery=1",
                "train.checkpointEvery=0");
        List<String> off = new ArrayList<>(base);
        off.add("train.noiseScaleEma=0");
        List<String> single = new ArrayList<>(base);
        single.set(base.indexOf("train.microBatch=2"), "train.microBatch=0");
        single.add("train.steps=3");
        Path on = tmp.resolve("on"), without = tmp.resolve("off"), one = tmp.resolve("one");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, base)), on, Trainer.Options.defaults());
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, off)), without, Trainer.Options.defaults());
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, single)), one, Trainer.Options.defaults());

        List<JsonNode> ma = metrics(on), mb = metrics(without);
        assertEquals(41, ma.size());
        assertEquals(ma.size(), mb.size());
        assertTrue(ma.get(0).get("noise_scale").isNull() && !ma.get(0).has("grad_sq_small"), ma.get(0).toString());
        double bSmall = 2 * 16, bBig = 8 * 16, gradSq = 0, trace = 0;
        int positive = 0;
        for (int i = 0; i < ma.size(); i++) {
            JsonNode x = ma.get(i), y = mb.get(i);
            for (String k : new String[]{"train_loss", "grad_norm", "val_loss"}) {
                assertEquals(x.path(k).isNumber(), y.path(k).isNumber(), k + " at line " + i);
                if (x.path(k).isNumber()) assertEquals(x.get(k).asDouble(), y.get(k).asDouble(), 0, k + " at line " + i);
            }
            assertTrue(y.get("noise_scale").isNull() && !y.has("grad_sq_small") && !y.has("grad_sq_big"), y.toString());
            if (i == 0) continue;
            double small = x.get("grad_sq_small").asDouble(), big = x.get("grad_sq_big").asDouble();
            gradSq = 0.95 * gradSq + 0.05 * TrainStep.NoiseScale.gradSq(small, big, bSmall, bBig);
            trace = 0.95 * trace + 0.05 * TrainStep.NoiseScale.trace(small, big, bSmall, bBig);
            if (gradSq > 0 && trace > 0) {
                positive++;
                assertEquals(trace / gradSq, x.get("noise_scale").asDouble(), 1e-12 * trace / gradSq, "noise_scale at line " + i);
            } else {
                assertTrue(x.get("noise_scale").isNull(), x.toString());
            }
        }
        JsonNode last = ma.get(ma.size() - 1);
        assertTrue(positive >= 20 && last.get("noise_scale").asDouble() > 0 && Double.isFinite(last.get("noise_scale").asDouble()),
                positive + " positive values; last line " + last);

        var pa = Models.cpu(Trainer.prepare(ConfigLoader.load(null, base)).config().model(), 0).weights().byName();
        Checkpoint.load(on.resolve("checkpoint"), pa, null);
        List<float[]> wa = new ArrayList<>();
        for (var arr : pa.values()) wa.add(arr.dup().data().asFloat());
        Checkpoint.load(without.resolve("checkpoint"), pa, null);
        int t = 0;
        for (var arr : pa.values()) assertArrayEquals(wa.get(t++), arr.data().asFloat(), 0f, "final weights");

        for (JsonNode m : metrics(one)) {
            assertTrue(m.has("noise_scale") && m.get("noise_scale").isNull() && !m.has("grad_sq_small"), "no accumulation: " + m);
        }
    }

    private static Batch batch(ModelConfig cfg, int B, long seed) {
        int T = cfg.nCtx(), V = cfg.nVocab();
        Rng rng = new Rng(seed);
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        return new Batch(in, out, B, T);
    }

    private static float[][] grads(Engine e) {
        float[][] out = new float[e.weights().layout().size()][];
        for (int i = 0; i < out.length; i++) {
            FloatBuffer g = e.grad(i);
            out[i] = new float[g.capacity()];
            g.get(0, out[i]);
        }
        return out;
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(Json.MAPPER.readTree(line));
        return out;
    }
}
