package org.scalelab.trainer.run;

import org.scalelab.trainer.*;
import org.scalelab.trainer.optim.*;

import org.scalelab.trainer.engine.Engine;

import java.util.List;

/**
 * One optimizer step: the engine's forward and backward over each micro-batch, gradients summed, the
 * global gradient norm, clipping, and the AdamW update. The loop in {@link Trainer} and the benchmark both
 * call this, so what is benchmarked is what trains, whichever engine computes it.
 */
public final class TrainStep {
    /** Mean loss over the micro-batches and the global L2 norm of the averaged gradient (before clipping). */
    public record Result(double loss, double gradNorm) {
        public boolean finite() {
            return Double.isFinite(loss) && Double.isFinite(gradNorm);
        }
    }

    private final Engine engine;
    private final AdamW adam;
    private final double[] decay;
    private final double gradClip;
    private final int tensors;

    /** @param decay per-tensor weight decay, in layout order */
    public TrainStep(Engine engine, AdamW adam, double[] decay, double gradClip) {
        this.engine = engine;
        this.adam = adam;
        this.decay = decay;
        this.gradClip = gradClip;
        this.tensors = engine.weights().layout().size();
    }

    public Engine engine() { return engine; }

    /**
     * Runs one step over {@code batches} (one per micro-batch) at learning rate {@code lr};
     * {@code t} is the 1-based step number for Adam's bias correction. When the loss or the norm is
     * not finite, the parameters are left untouched.
     */
    public Result run(List<Batch> batches, Rng dropRng, double lr, int t) {
        int accum = batches.size();
        engine.zeroGrads();
        double lossSum = 0;
        for (Batch b : batches) lossSum += engine.accumulate(b.inputs, b.targets, dropRng);
        Result r = new Result(lossSum / accum, Math.sqrt(engine.gradSquaredNorm()) / accum);
        if (!r.finite()) return r;
        double clip = gradClip > 0 && r.gradNorm() > gradClip ? gradClip / r.gradNorm() : 1.0;
        float gradScale = (float) (clip / accum);
        for (int i = 0; i < tensors; i++) adam.update(i, engine.param(i), engine.grad(i), gradScale, t, lr, decay[i]);
        engine.paramsWritten();
        return r;
    }
}
