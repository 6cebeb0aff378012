package org.scalelab.trainer;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One optimizer step: forward and backward over each micro-batch, gradients summed, the global
 * gradient norm, clipping, and the AdamW update. The loop in {@link Trainer} and the benchmark both
 * call this, so what is benchmarked is what trains.
 *
 * <p>In float precision on ND4J's CPU backend the passes are {@link Backprop}'s (BLAS and plain loops,
 * several times faster than executing the SameDiff graph); other precisions, other backends (CUDA), and
 * {@link #withGraph}, run the graph through SameDiff with {@link StepArena}s.
 */
public final class TrainStep {
    /** Mean loss over the micro-batches and the global L2 norm of the averaged gradient (before clipping). */
    public record Result(double loss, double gradNorm) {
        public boolean finite() {
            return Double.isFinite(loss) && Double.isFinite(gradNorm);
        }
    }

    private final Gpt gpt;
    private final SameDiff sd;
    private final AdamW adam;
    private final List<String> names;
    private final List<INDArray> params;
    private final int[] sizes;
    private final double[] decay;
    private final double gradClip;
    private final int micro, vocab;
    private final INDArray xIn, yIn;
    private int[] prevIn, prevOut;
    private float[][] gradAcc;
    private final Map<String, INDArray> ph = new HashMap<>();
    private final StepArena.Installed arenas = new StepArena.Installed();
    private final List<String> lossOnly = List.of(Gpt.LOSS);
    private final Backprop passes;

    /**
     * @param decay per-parameter weight decay, in {@link Gpt#paramNames()} order
     * @param micro sequences per micro-batch
     */
    public TrainStep(Gpt gpt, AdamW adam, double[] decay, double gradClip, int micro) {
        this(gpt, adam, decay, gradClip, micro, graphFor(gpt.dtype(), Nd4j.getBackend().getClass().getName()));
    }

    /** Whether a step in {@code dtype} under the ND4J backend of class {@code backendClass} executes the graph. */
    static boolean graphFor(DataType dtype, String backendClass) {
        return dtype != DataType.FLOAT || !Backprop.supported(backendClass);
    }

    /** A step that executes the SameDiff graph (the reference for {@link Backprop}; slower). */
    static TrainStep withGraph(Gpt gpt, AdamW adam, double[] decay, double gradClip, int micro) {
        return new TrainStep(gpt, adam, decay, gradClip, micro, true);
    }

    private TrainStep(Gpt gpt, AdamW adam, double[] decay, double gradClip, int micro, boolean graph) {
        this.gpt = gpt;
        this.sd = gpt.sameDiff();
        this.adam = adam;
        this.names = gpt.paramNames();
        this.params = new ArrayList<>(gpt.paramArrays().values());
        this.sizes = params.stream().mapToInt(a -> (int) a.length()).toArray();
        this.decay = decay;
        this.gradClip = gradClip;
        this.micro = micro;
        this.vocab = gpt.config().nVocab();
        long rows = (long) micro * gpt.config().nCtx();
        this.passes = graph ? null : new Backprop(gpt, micro);
        this.xIn = graph ? Nd4j.zeros(gpt.dtype(), rows, vocab) : null;
        this.yIn = graph ? Nd4j.zeros(gpt.dtype(), rows, vocab) : null;
    }

    /** Whether this step executes the SameDiff graph rather than {@link Backprop}. */
    boolean usesGraph() { return passes == null; }

    /** Sizes of the parameter tensors, for {@link AdamW}. */
    public static int[] sizes(Gpt gpt) {
        return gpt.paramArrays().values().stream().mapToInt(a -> (int) a.length()).toArray();
    }

    /**
     * Runs one step over {@code batches} (one per micro-batch) at learning rate {@code lr};
     * {@code t} is the 1-based step number for Adam's bias correction. When the loss or the norm is
     * not finite, the parameters are left untouched.
     */
    public Result run(List<Batch> batches, Rng dropRng, double lr, int t) {
        return passes != null ? runPasses(batches, dropRng, lr, t) : runGraph(batches, dropRng, lr, t);
    }

    private Result runPasses(List<Batch> batches, Rng dropRng, double lr, int t) {
        int accum = batches.size();
        passes.zeroGrads();
        double lossSum = 0;
        for (Batch b : batches) {
            if (passes.masks != null) drawMasks(dropRng);
            lossSum += passes.step(b.inputs, b.targets);
        }
        Backprop.tick(null);
        Result r = new Result(lossSum / accum, Math.sqrt(passes.gradSquaredNorm()) / accum);
        Backprop.tick("gradnorm");
        if (!r.finite()) return r;
        double clip = gradClip > 0 && r.gradNorm() > gradClip ? gradClip / r.gradNorm() : 1.0;
        float gradScale = (float) (clip / accum);
        Backprop.tick(null);
        for (int i = 0; i < sizes.length; i++) adam.update(i, passes.param(i), passes.grad(i), gradScale, t, lr, decay[i]);
        Backprop.tick("adamw");
        return r;
    }

    /** Dropout masks in the order of {@link Gpt#dropoutSites()}, the same draws as the graph path's. */
    private void drawMasks(Rng rng) {
        double p = gpt.config().dropout();
        float keep = (float) (1 / (1 - p));
        for (Backprop.F m : passes.masks) {
            FloatBuffer b = m.b();
            for (int i = 0, n = b.capacity(); i < n; i++) b.put(i, rng.nextDouble() < p ? 0f : keep);
        }
    }

    private Result runGraph(List<Batch> batches, Rng dropRng, double lr, int t) {
        int accum = batches.size();
        if (accum > 1 && gradAcc == null) {
            gradAcc = new float[sizes.length][];
            for (int i = 0; i < sizes.length; i++) gradAcc[i] = new float[sizes[i]];
        }
        double lossSum = 0;
        Map<String, INDArray> grads = null;
        for (int k = 0; k < accum; k++) {
            Batch b = batches.get(k);
            Batch.fillOneHot(xIn, prevIn, b.inputs, vocab);
            Batch.fillOneHot(yIn, prevOut, b.targets, vocab);
            prevIn = b.inputs;
            prevOut = b.targets;
            ph.put(Gpt.TOKENS, xIn);
            ph.put(Gpt.LABELS, yIn);
            putDropoutMasks(dropRng);
            arenas.reset();   // the previous micro-batch's arrays are consumed: reuse them
            OutAndGrad og = sd.calculateGradientsAndOutputs(ph, lossOnly, names);
            arenas.cover(sd);
            lossSum += og.getOutputs().get(Gpt.LOSS).getDouble(0);
            grads = og.getGradients();
            if (accum > 1) {
                for (int i = 0; i < sizes.length; i++) {
                    FloatBuffer g = floats(grads.get(names.get(i)));
                    float[] a = gradAcc[i];
                    if (k == 0) g.get(0, a); else for (int j = 0; j < a.length; j++) a[j] += g.get(j);
                }
            }
        }
        double loss = lossSum / accum;
        double sq = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (accum > 1) {
                for (float x : gradAcc[i]) sq += (double) x * x;
            } else {
                double n2 = grads.get(names.get(i)).norm2Number().doubleValue();
                sq += n2 * n2;
            }
        }
        Result r = new Result(loss, Math.sqrt(sq) / accum);
        if (!r.finite()) return r;
        double clip = gradClip > 0 && r.gradNorm() > gradClip ? gradClip / r.gradNorm() : 1.0;
        float gradScale = (float) (clip / accum);
        for (int i = 0; i < sizes.length; i++) {
            FloatBuffer g = accum > 1 ? FloatBuffer.wrap(gradAcc[i]) : floats(grads.get(names.get(i)));
            adam.update(i, floats(params.get(i)), g, gradScale, t, lr, decay[i]);
            wroteOnHost(params.get(i));
        }
        return r;
    }

    private void putDropoutMasks(Rng rng) {
        if (gpt.dropoutSites().isEmpty()) return;
        int T = gpt.config().nCtx(), d = gpt.config().dModel();
        double p = gpt.config().dropout();
        float keep = (float) (1 / (1 - p));
        for (String site : gpt.dropoutSites()) {
            float[] m = new float[micro * T * d];
            for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < p ? 0f : keep;
            ph.put(site, Nd4j.create(m, new long[]{micro, T, d}, 'c'));
        }
    }

    /**
     * Marks an array whose host memory was written directly (through its NIO buffer) as current on the
     * host, so that a device backend copies it over before its next use; nothing to do on the CPU backend.
     */
    static void wroteOnHost(INDArray a) {
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    }

    /**
     * A float view of an array's data (on a device backend ND4J synchronises it to the host first); copies
     * first if it is a view or not in C order.
     */
    static FloatBuffer floats(INDArray a) {
        if (a.isView() || a.ordering() != 'c' || a.data().length() != a.length()) a = a.dup('c');
        return a.data().asNioFloat();
    }
}
