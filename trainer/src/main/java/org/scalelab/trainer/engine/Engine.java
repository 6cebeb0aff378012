package org.scalelab.trainer.engine;

import org.scalelab.trainer.Rng;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;

import java.nio.FloatBuffer;

/**
 * What computes the model: the gradient of a micro-batch for the optimizer, the loss for evaluation, the
 * logits for sampling. Two today: {@link CpuEngine} (the layers' host passes; ND4J's CPU backend, float32)
 * and {@link GraphEngine} (the layers' SameDiff graph: the reference, and what runs under CUDA). Which one
 * runs is decided in {@link Engines} only. Token arrays are B sequences of nCtx ids, row-major.
 */
public interface Engine {
    /** The engine's name as printed and recorded in spec.json: {@code cpu} or {@code samediff}. */
    String name();

    Transformer model();

    /** The parameter arrays the engine computes on (and the optimizer updates). */
    Weights weights();

    /** Sets the summed gradients to 0. */
    void zeroGrads();

    /**
     * Forward and backward over one micro-batch; adds the gradient of its mean loss to the summed gradients
     * and returns the mean loss in nats. With dropout, the masks are drawn from {@code dropRng}: the
     * embedding's, then each block's attention and MLP branch, each (B·T·d) draws in order.
     */
    double accumulate(int[] inputs, int[] targets, Rng dropRng);

    /** Σ g² over the summed gradients, in double. */
    double gradSquaredNorm();

    /**
     * Σ d², in double, over d = the summed gradients minus what they were at the previous call (0 at the first
     * call after {@link #zeroGrads}): the squared norm of the gradient that the {@link #accumulate} calls in
     * between added. Called after each micro-batch, it gives each micro-batch's own gradient norm, which the
     * gradient noise scale needs; the summed gradients are only read. An engine keeps a copy of the summed
     * gradients for it (one more gradient's memory, allocated at the first call).
     */
    double addedGradSquaredNorm();

    /** Host view of tensor i's values, for the optimizer's update. */
    FloatBuffer param(int i);

    /** Host view of tensor i's summed gradient. */
    FloatBuffer grad(int i);

    /** Called after the optimizer wrote the parameters through {@link #param}. */
    void paramsWritten();

    /** Mean cross-entropy in nats without dropout; nothing is differentiated. */
    double loss(int[] inputs, int[] targets);

    /** The logits (nVocab) at row {@code row} (sequence row / nCtx, position row % nCtx) of {@code tokens}. */
    float[] logitsAt(int[] tokens, int row);

    /** The dropout mask draws, shared by the engines: 0 with probability p, else 1/(1−p). */
    static void drawMask(Rng rng, double p, float[] into) {
        float keep = (float) (1 / (1 - p));
        for (int i = 0; i < into.length; i++) into[i] = rng.nextDouble() < p ? 0f : keep;
    }
}
