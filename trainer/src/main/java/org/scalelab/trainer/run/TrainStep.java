package org.scalelab.trainer.run;

import org.scalelab.trainer.*;
import org.scalelab.trainer.optim.*;

import org.scalelab.trainer.engine.Engine;

import java.util.List;

/**
 * One optimizer step: the engine's forward and backward over each micro-batch, gradients summed, the
 * global gradient norm, clipping, and the AdamW update. The loop in {@link Trainer} and the benchmark both
 * call this, so what is benchmarked is what trains, whichever engine computes it. With more than one
 * micro-batch it can also measure the gradient noise scale ({@link NoiseScale}) on the way, reading the
 * gradients only.
 */
public final class TrainStep {
    /**
     * Mean loss over the micro-batches and the global L2 norm of the averaged gradient (before clipping); when
     * the noise scale is measured, {@code gradSqSmall} (the mean over micro-batches of |g_i|², g_i the gradient
     * of micro-batch i's mean loss) and {@code gradSqBig} (|mean of the g_i|²), else NaN.
     */
    public record Result(double loss, double gradNorm, double gradSqSmall, double gradSqBig) {
        public Result(double loss, double gradNorm) {
            this(loss, gradNorm, Double.NaN, Double.NaN);
        }

        public boolean finite() {
            return Double.isFinite(loss) && Double.isFinite(gradNorm);
        }
    }

    /**
     * The gradient noise scale B_simple = tr(Σ)/|G|² of McCandlish et al. 2018 ("An Empirical Model of
     * Large-Batch Training", appendix A), from gradients a step computes anyway. G is the true gradient and a
     * batch of B tokens has E|g_B|² = |G|² + tr(Σ)/B, Σ the gradient's covariance per token (sequences are drawn
     * independently, each counting its nCtx tokens, so B_simple in sequences is nCtx times smaller). A step of k ≥ 2
     * micro-batches of B_small tokens each (B_big = k·B_small) gives |G_small|² (the mean of the micro-batch
     * gradients' squared norms) and |G_big|² (the averaged gradient's), hence unbiased estimates of |G|² and
     * tr(Σ) ({@link #gradSq}, {@link #trace}). Those are noisy, the first often negative, so each is smoothed by
     * an exponential moving average before dividing. Both averages start at 0 with the same factor, so the
     * ratio needs no bias correction. B_simple comes in the units of B (tokens, as the loop passes them).
     */
    public static final class NoiseScale {
        private final double ema;
        private double gradSq, trace;   // the moving averages of the |G|² and tr(Σ) estimates

        /** @param ema the moving averages' factor, in [0, 1): the weight of the past at each step */
        public NoiseScale(double ema) {
            if (!(ema >= 0 && ema < 1)) throw new IllegalArgumentException("the moving average's factor must be in [0, 1), got " + ema);
            this.ema = ema;
        }

        /** The unbiased estimate of |G|² from one step: (B_big·|G_big|² − B_small·|G_small|²)/(B_big − B_small). */
        public static double gradSq(double sqSmall, double sqBig, double bSmall, double bBig) {
            return (bBig * sqBig - bSmall * sqSmall) / (bBig - bSmall);
        }

        /** The unbiased estimate of tr(Σ) from one step: (|G_small|² − |G_big|²)/(1/B_small − 1/B_big). */
        public static double trace(double sqSmall, double sqBig, double bSmall, double bBig) {
            return (sqSmall - sqBig) / (1 / bSmall - 1 / bBig);
        }

        /** Folds one step's squared norms (batches of {@code bSmall} and {@code bBig} tokens) into the averages. */
        public void add(double sqSmall, double sqBig, double bSmall, double bBig) {
            if (!(bBig > bSmall && bSmall > 0)) throw new IllegalArgumentException("need 0 < B_small < B_big, got " + bSmall + ", " + bBig);
            gradSq = ema * gradSq + (1 - ema) * gradSq(sqSmall, sqBig, bSmall, bBig);
            trace = ema * trace + (1 - ema) * trace(sqSmall, sqBig, bSmall, bBig);
        }

        /** B_simple: the ratio of the averages, NaN until both are positive. */
        public double value() {
            return gradSq > 0 && trace > 0 ? trace / gradSq : Double.NaN;
        }

        /** The moving averages {|G|², tr(Σ)}, for a checkpoint. */
        public double[] state() {
            return new double[]{gradSq, trace};
        }

        /** Continues from {@link #state} (a resumed run). */
        public void restore(double gradSq, double trace) {
            this.gradSq = gradSq;
            this.trace = trace;
        }
    }

    private final Engine engine;
    private final AdamW adam;
    private final double[] decay;
    private final double gradClip;
    private final int tensors;
    private final NoiseScale noise;

    /** @param decay per-tensor weight decay, in layout order */
    public TrainStep(Engine engine, AdamW adam, double[] decay, double gradClip) {
        this(engine, adam, decay, gradClip, null);
    }

    /** @param noise where steps of more than one micro-batch fold their gradient norms; null measures nothing */
    public TrainStep(Engine engine, AdamW adam, double[] decay, double gradClip, NoiseScale noise) {
        this.engine = engine;
        this.adam = adam;
        this.decay = decay;
        this.gradClip = gradClip;
        this.tensors = engine.weights().layout().size();
        this.noise = noise;
    }

    public Engine engine() { return engine; }

    /**
     * Runs one step over {@code batches} (one per micro-batch) at learning rate {@code lr};
     * {@code t} is the 1-based step number for Adam's bias correction. When the loss or the norm is
     * not finite, the parameters (and the noise scale's averages) are left untouched. The micro-batches are
     * taken to be of one size.
     */
    public Result run(List<Batch> batches, Rng dropRng, double lr, int t) {
        int accum = batches.size();
        boolean measure = noise != null && accum > 1;
        engine.zeroGrads();
        double lossSum = 0, sqSmall = 0;
        for (Batch b : batches) {
            lossSum += engine.accumulate(b.inputs, b.targets, dropRng);
            if (measure) sqSmall += engine.addedGradSquaredNorm();
        }
        double sq = engine.gradSquaredNorm();
        Result r = measure ? new Result(lossSum / accum, Math.sqrt(sq) / accum, sqSmall / accum, sq / ((double) accum * accum))
                : new Result(lossSum / accum, Math.sqrt(sq) / accum);
        if (!r.finite()) return r;
        if (measure && Double.isFinite(r.gradSqSmall())) {
            double bSmall = batches.get(0).inputs.length;
            noise.add(r.gradSqSmall(), r.gradSqBig(), bSmall, accum * bSmall);
        }
        double clip = gradClip > 0 && r.gradNorm() > gradClip ? gradClip / r.gradNorm() : 1.0;
        float gradScale = (float) (clip / accum);
        for (int i = 0; i < tensors; i++) adam.update(i, engine.param(i), engine.grad(i), gradScale, t, lr, decay[i]);
        engine.paramsWritten();
        return r;
    }
}
