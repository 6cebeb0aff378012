package org.scalelab.trainer.engine;

import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.Rng;
import org.scalelab.trainer.kernels.Blas;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;
import org.scalelab.trainer.model.Activations;
import org.scalelab.trainer.model.Pass;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;

import java.nio.FloatBuffer;

/**
 * The layers' host passes ({@link Transformer#forward}, {@link Transformer#backward}), as in llm.c: the
 * matrix products go straight to BLAS ({@code cblas_sgemm} on the same OpenBLAS that ND4J loads), the rest
 * is loops in {@link Kernels}, on the weights' own arrays. Gradients are summed over the micro-batches of
 * a step into one flat buffer.
 *
 * <p>Why: SameDiff 1.0.0-M2.1 executes the graph at a few percent of the machine's GEMM rate (its rank-4
 * matmul, layer-norm and broadcast backward ops are slow, and every op allocates its outputs), while BLAS
 * reaches 150–250 GFLOP/s even on the (T, hs) attention blocks.
 *
 * <p>Only on ND4J's CPU backend and in float32 ({@link Engines}): the passes read and write the arrays'
 * host memory and call the OpenBLAS that the CPU backend loads.
 */
public final class CpuEngine implements Engine {
    private final Transformer model;
    private final Weights weights;
    private final Pass.Options options;
    private final Buf[] params;
    private Buf[] grads;
    private Buf gradAll;
    private long gradCount;
    private Buf gradPrev;              // the summed gradients at the last addedGradSquaredNorm (null until one)
    private boolean prevIsZero = true;  // zeroGrads came after it: gradPrev stands for 0
    private Activations train, infer;
    private float[] maskDraws;

    CpuEngine(Transformer model, Weights weights, Pass.Options options) {
        if (!Engines.cpuBackend(Nd4j.getBackend().getClass().getName())) {
            throw new IllegalStateException("the host passes need ND4J's CPU backend, not "
                    + Nd4j.getBackend().getClass().getSimpleName() + "; use the SameDiff engine");
        }
        if (Blas.OWN_THREADS) Blas.threads(1);
        this.model = model;
        this.weights = weights;
        this.options = options;
        int n = weights.layout().size();
        params = new Buf[n];
        for (int i = 0; i < n; i++) params[i] = Buf.of(weights.get(i));
    }

    @Override public String name() { return "cpu"; }

    @Override public Transformer model() { return model; }

    @Override public Weights weights() { return weights; }

    private void ensureGrads() {
        if (grads != null) return;
        int n = params.length;
        grads = new Buf[n];
        long total = 0;
        for (Buf p : params) total += p.size();
        gradCount = total;
        gradAll = Buf.alloc(total);
        long off = 0;
        for (int i = 0; i < n; i++) {
            grads[i] = gradAll.slice(off, params[i].size());
            off += params[i].size();
        }
    }

    private int sequences(int[] tokens) {
        int T = model.config().nCtx();
        if (tokens.length == 0 || tokens.length % T != 0) {
            throw new IllegalArgumentException(tokens.length + " tokens are not whole sequences of nCtx = " + T);
        }
        return tokens.length / T;
    }

    /** Mean |x| of each layer's output for {@code tokens} through the training buffers (no gradient touched). */
    public java.util.LinkedHashMap<String, Double> activationSizes(int[] tokens) {
        logits(tokens, true);
        return training(sequences(tokens)).meanAbs();
    }

        /** Training activations for B sequences (made once; a different B makes them anew). */
    Activations training(int B) {
        ensureGrads();
        if (train == null || train.batch() != B) train = model.activations(B, true, params, grads, options);
        return train;
    }

    private Activations inference(int B) {
        if (infer == null || infer.batch() != B) infer = model.activations(B, false, params, null, options);
        return infer;
    }

    @Override
    public void zeroGrads() {
        ensureGrads();
        gradAll.zero(gradCount);
        prevIsZero = true;
    }

    @Override
    public double accumulate(int[] inputs, int[] targets, Rng dropRng) {
        Activations a = training(sequences(inputs));
        if (a.masks() != null) {
            double p = model.config().dropout();
            for (Buf m : a.masks()) {
                if (maskDraws == null || maskDraws.length != m.size()) maskDraws = new float[m.size()];
                Engine.drawMask(dropRng, p, maskDraws);
                m.b().put(0, maskDraws);
            }
        }
        double loss = model.forward(a, inputs, targets);
        model.backward(a, inputs);
        return loss;
    }

    /**
     * The logits (B·T, V) of every row, through the training buffers (with {@code training}) or the
     * evaluation ones; the gradients are not touched.
     */
    public float[] logits(int[] tokens, boolean training) {
        int B = sequences(tokens);
        return model.logits(training ? training(B) : inference(B), tokens);
    }

    @Override
    public double gradSquaredNorm() {
        ensureGrads();
        FloatBuffer g = gradAll.b();
        int n = (int) gradCount;
        double[] part = new double[Kernels.THREADS];
        int parts = Kernels.parts(n / 2);   // one part per 65,536 elements, as before the threshold was one constant
        Kernels.parallel(parts, p -> {
            int lo = (int) ((long) n * p / parts), hi = (int) ((long) n * (p + 1) / parts);
            float[] a = new float[4096];
            double s = 0;
            for (int o = lo; o < hi; o += a.length) {
                int m = Math.min(a.length, hi - o);
                g.get(o, a, 0, m);
                s += Kernels.dot(a, 0, a, 0, m);
            }
            part[p] = s;
        });
        double s = 0;
        for (int p = 0; p < parts; p++) s += part[p];
        return s;
    }

    /** One pass over the summed gradients and their copy: Σ (g − prev)², then prev ← g. */
    @Override
    public double addedGradSquaredNorm() {
        ensureGrads();
        if (gradPrev == null) gradPrev = Buf.alloc(gradCount);
        FloatBuffer g = gradAll.b(), prev = gradPrev.b();
        boolean fromZero = prevIsZero;
        prevIsZero = false;
        int n = (int) gradCount;
        double[] part = new double[Kernels.THREADS];
        int parts = Kernels.parts(n / 2);   // one part per 65,536 elements, as before the threshold was one constant
        Kernels.parallel(parts, p -> {
            int lo = (int) ((long) n * p / parts), hi = (int) ((long) n * (p + 1) / parts);
            float[] a = new float[4096], d = new float[4096];
            double s = 0;
            for (int o = lo; o < hi; o += a.length) {
                int m = Math.min(a.length, hi - o);
                g.get(o, a, 0, m);
                if (fromZero) {
                    System.arraycopy(a, 0, d, 0, m);
                } else {
                    prev.get(o, d, 0, m);
                    for (int j = 0; j < m; j++) d[j] = a[j] - d[j];
                }
                s += Kernels.dot(d, 0, d, 0, m);
                prev.put(o, a, 0, m);
            }
            part[p] = s;
        });
        double s = 0;
        for (int p = 0; p < parts; p++) s += part[p];
        return s;
    }

    @Override public FloatBuffer param(int i) { return params[i].b(); }

    @Override
    public FloatBuffer grad(int i) {
        ensureGrads();
        return grads[i].b();
    }

    @Override public void paramsWritten() {}

    @Override
    public double loss(int[] inputs, int[] targets) {
        return model.loss(inference(sequences(inputs)), inputs, targets);
    }

    @Override
    public float[] logitsAt(int[] tokens, int row) {
        return model.logitsAt(inference(sequences(tokens)), tokens, row);
    }
}
