package org.scalelab.trainer;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;

/**
 * The forward and backward passes of {@link Gpt}'s graph written out by hand, as in llm.c: the
 * matrix products go straight to BLAS ({@code cblas_sgemm} on the same OpenBLAS that ND4J loads),
 * everything else is a loop in {@link Kernels}. It computes the same function as the SameDiff graph
 * (which evaluation and generation still use) on the graph's own parameter arrays, and its gradients
 * match SameDiff's (test). What it is not: a general autodiff; a change to the model in {@link Gpt}
 * needs the same change here.
 *
 * <p>Why: SameDiff 1.0.0-M2.1 executes this graph at a few percent of the machine's GEMM rate (its
 * rank-4 matmul, layer-norm and broadcast backward ops are slow, and every op allocates its outputs),
 * while BLAS reaches 150–250 GFLOP/s even on the (T, hs) attention blocks.
 *
 * <p>All activations of one micro-batch are kept for the backward pass in buffers allocated once;
 * gradients are summed over the micro-batches of a step into one flat buffer.
 *
 * <p>Only on ND4J's CPU backend ({@link #supported()}): the passes read and write the parameter arrays'
 * host memory and call the OpenBLAS that the CPU backend loads. Under the CUDA backend the parameters
 * live on the device and no OpenBLAS is loaded, so {@link TrainStep} runs the SameDiff graph there.
 */
public final class Backprop {
    private static final int ROW = 101, NO = 111, TR = 112;   // CBLAS_ORDER / CBLAS_TRANSPOSE values
    static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

    /** Whether the passes can run under the ND4J backend this process loaded (the CPU one). */
    public static boolean supported() {
        return supported(Nd4j.getBackend().getClass().getName());
    }

    /** Whether the passes can run under the ND4J backend of this class name. */
    static boolean supported(String backendClass) {
        return CPU_BACKEND.equals(backendClass);
    }

    /** Section timings for {@code bench --profile}: nanoseconds per section since the last {@link #profile()} reset. */
    static volatile boolean profiling;
    private static final java.util.Map<String, long[]> TIMES = new java.util.TreeMap<>();
    private static long mark;

    static void tick(String section) {
        if (!profiling) return;
        long now = System.nanoTime();
        if (section != null) TIMES.computeIfAbsent(section, k -> new long[1])[0] += now - mark;
        mark = now;
    }

    /** Returns and clears the section timings (ms per section). */
    static java.util.Map<String, Double> profile() {
        java.util.Map<String, Double> r = new java.util.LinkedHashMap<>();
        TIMES.forEach((k, v) -> r.put(k, v[0] / 1e6));
        TIMES.clear();
        return r;
    }

    /** A direct float buffer and its native pointer. */
    record F(FloatPointer p, FloatBuffer b) {
        static F alloc(long n) {
            FloatPointer p = new FloatPointer(Math.max(1, n));
            Pointer.memset(p, 0, Math.max(1, n) * 4);
            return new F(p, p.asBuffer());
        }

        static F of(INDArray a) {
            if (a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c') {
                throw new IllegalArgumentException("parameters must be dense float arrays");
            }
            FloatBuffer b = a.data().asNioFloat();
            return new F(new FloatPointer(b), b);
        }

        F slice(long off, long n) {
            FloatBuffer s = b.duplicate().position((int) off).limit((int) (off + n)).slice();
            return new F(new FloatPointer(s), s);
        }

        FloatPointer at(long off) {
            return new FloatPointer(p).position(off);
        }
    }

    private final int L, d, H, hs, f, T, V, B, N;
    private final boolean bias, tied;
    private final List<String> names;
    private final F[] param, grad;
    private final F gradAll;
    private final long gradCount;

    // per layer: parameters and their gradients (null where the model has no bias)
    private final F[] ln1g, ln1b, qkvW, qkvB, projW, projB, ln2g, ln2b, fcW, fcB, fc2W, fc2B;
    private final F[] dln1g, dln1b, dqkvW, dqkvB, dprojW, dprojB, dln2g, dln2b, dfcW, dfcB, dfc2W, dfc2B;
    private final F wte, wpe, lnfg, lnfb, lmHead, dwte, dwpe, dlnfg, dlnfb, dlmHead;

    // activations kept for the backward pass
    private final F[] resid, mid, ln1, qkv, att, atty, ln2, fc, gel;   // resid has L+1 entries
    private final float[][] ln1Mean, ln1Rstd, ln1Sig, ln2Mean, ln2Rstd, ln2Sig;
    private final float[] lnfMean, lnfRstd, lnfSig;
    private final F lnf, logits;
    // dropout masks (already scaled by 1/(1−p)), null without dropout: embedding, then attn/mlp per layer
    final F[] masks;

    /** Dropout mask {@code i} (in {@link Gpt#dropoutSites()} order), (B·T, dModel), written by the caller. */
    public FloatBuffer mask(int i) { return masks[i].b; }
    // scratch for the backward pass
    private final F tmpD, dres, dln, dqkv, datt, dfc;

    /** Binds to {@code gpt}'s live parameter arrays for micro-batches of {@code micro} sequences. */
    public Backprop(Gpt gpt, int micro) {
        if (!supported()) {
            throw new IllegalStateException("the written-out passes need ND4J's CPU backend, not "
                    + Nd4j.getBackend().getClass().getSimpleName() + "; train through the SameDiff graph (TrainStep does)");
        }
        if (OWN_THREADS) blasThreads(1);
        ModelConfig c = gpt.config();
        L = c.nLayer(); d = c.dModel(); H = c.nHead(); hs = c.headSize(); f = c.ff(); T = c.nCtx(); V = c.nVocab();
        B = micro; N = B * T;
        bias = c.bias(); tied = c.tiedOutput();
        names = gpt.paramNames();
        Map<String, INDArray> arrays = gpt.paramArrays();
        param = new F[names.size()];
        grad = new F[names.size()];
        long total = 0;
        for (INDArray a : arrays.values()) total += a.length();
        gradCount = total;
        gradAll = F.alloc(total);
        long off = 0;
        for (int i = 0; i < names.size(); i++) {
            INDArray a = arrays.get(names.get(i));
            param[i] = F.of(a);
            grad[i] = gradAll.slice(off, a.length());
            off += a.length();
        }
        ln1g = layerParams(".ln1.g", false); ln1b = layerParams(".ln1.b", true);
        qkvW = layerParams(".attn.qkv.w", false); qkvB = layerParams(".attn.qkv.b", true);
        projW = layerParams(".attn.proj.w", false); projB = layerParams(".attn.proj.b", true);
        ln2g = layerParams(".ln2.g", false); ln2b = layerParams(".ln2.b", true);
        fcW = layerParams(".mlp.fc.w", false); fcB = layerParams(".mlp.fc.b", true);
        fc2W = layerParams(".mlp.proj.w", false); fc2B = layerParams(".mlp.proj.b", true);
        dln1g = layerGrads(".ln1.g", false); dln1b = layerGrads(".ln1.b", true);
        dqkvW = layerGrads(".attn.qkv.w", false); dqkvB = layerGrads(".attn.qkv.b", true);
        dprojW = layerGrads(".attn.proj.w", false); dprojB = layerGrads(".attn.proj.b", true);
        dln2g = layerGrads(".ln2.g", false); dln2b = layerGrads(".ln2.b", true);
        dfcW = layerGrads(".mlp.fc.w", false); dfcB = layerGrads(".mlp.fc.b", true);
        dfc2W = layerGrads(".mlp.proj.w", false); dfc2B = layerGrads(".mlp.proj.b", true);
        wte = param[names.indexOf("wte")]; dwte = grad[names.indexOf("wte")];
        wpe = param[names.indexOf("wpe")]; dwpe = grad[names.indexOf("wpe")];
        lnfg = param[names.indexOf("ln_f.g")]; dlnfg = grad[names.indexOf("ln_f.g")];
        lnfb = bias ? param[names.indexOf("ln_f.b")] : null; dlnfb = bias ? grad[names.indexOf("ln_f.b")] : null;
        lmHead = tied ? null : param[names.indexOf("lm_head")]; dlmHead = tied ? null : grad[names.indexOf("lm_head")];

        resid = new F[L + 1];
        mid = new F[L]; ln1 = new F[L]; qkv = new F[L]; att = new F[L]; atty = new F[L];
        ln2 = new F[L]; fc = new F[L]; gel = new F[L];
        ln1Mean = new float[L][N]; ln1Rstd = new float[L][N]; ln1Sig = new float[L][N];
        ln2Mean = new float[L][N]; ln2Rstd = new float[L][N]; ln2Sig = new float[L][N];
        for (int l = 0; l <= L; l++) resid[l] = F.alloc((long) N * d);
        for (int l = 0; l < L; l++) {
            mid[l] = F.alloc((long) N * d);
            ln1[l] = F.alloc((long) N * d);
            qkv[l] = F.alloc((long) N * 3 * d);
            att[l] = F.alloc((long) B * H * T * T);
            atty[l] = F.alloc((long) N * d);
            ln2[l] = F.alloc((long) N * d);
            fc[l] = F.alloc((long) N * f);
            gel[l] = F.alloc((long) N * f);
        }
        lnfMean = new float[N]; lnfRstd = new float[N]; lnfSig = new float[N];
        lnf = F.alloc((long) N * d);
        logits = F.alloc((long) N * V);
        if (c.dropout() > 0) {
            masks = new F[1 + 2 * L];
            for (int i = 0; i < masks.length; i++) masks[i] = F.alloc((long) N * d);
        } else {
            masks = null;
        }
        tmpD = F.alloc((long) N * d);
        dres = F.alloc((long) N * d);
        dln = F.alloc((long) N * d);
        dqkv = F.alloc((long) N * 3 * d);
        datt = F.alloc((long) B * H * T * T);   // dP, then dS, of every head
        dfc = F.alloc((long) N * f);
    }

    private F[] layerParams(String suffix, boolean isBias) {
        F[] r = new F[L];
        if (isBias && !bias) return r;
        for (int l = 0; l < L; l++) r[l] = param[names.indexOf("h" + l + suffix)];
        return r;
    }

    private F[] layerGrads(String suffix, boolean isBias) {
        F[] r = new F[L];
        if (isBias && !bias) return r;
        for (int l = 0; l < L; l++) r[l] = grad[names.indexOf("h" + l + suffix)];
        return r;
    }

    /** Gradient buffer of parameter {@code i} (in {@link Gpt#paramNames()} order), summed since {@link #zeroGrads()}. */
    public FloatBuffer grad(int i) { return grad[i].b; }

    /** The live data of parameter {@code i}. */
    FloatBuffer param(int i) { return param[i].b; }

    public void zeroGrads() { Pointer.memset(gradAll.p, 0, gradCount * 4); }

    /** Σ g² over all gradients, in double. */
    double gradSquaredNorm() {
        FloatBuffer g = gradAll.b;
        int n = (int) gradCount;
        double[] part = new double[Kernels.THREADS];
        int parts = Math.min(Kernels.THREADS, Math.max(1, n / 65536));
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

    /**
     * Forward and backward over one micro-batch of B·T tokens; adds the gradient of the mean loss to
     * the gradient buffers and returns the mean loss in nats. Dropout masks, when the model has
     * dropout, must be in {@link #masks} first.
     */
    public double step(int[] inputs, int[] targets) {
        double loss = forward(inputs, targets);
        backward(inputs);
        return loss;
    }

    // --- forward -----------------------------------------------------------------------------------

    private double forward(int[] tokens, int[] targets) {
        forwardLogits(tokens);
        double loss = Kernels.crossEntropy(logits.b, targets, N, V);   // logits now hold dloss/dlogits
        tick("f.loss");
        return loss;
    }

    /**
     * The logits (B·T, V), row n = position n % T of sequence n / T, of the forward pass that
     * {@link #step} trains through (a copy; the gradients are not touched).
     */
    float[] logits(int[] tokens) {
        forwardLogits(tokens);
        float[] out = new float[N * V];
        logits.b.get(0, out);
        return out;
    }

    /** The forward pass up to and including the logits, keeping every activation for the backward pass. */
    private void forwardLogits(int[] tokens) {
        tick(null);
        // x = (wte[tok] + wpe[t])·mask                                              (N, d)
        FloatBuffer x0 = resid[0].b, te = wte.b, pe = wpe.b;
        for (int n = 0; n < N; n++) {
            int tOff = tokens[n] * d, pOff = (n % T) * d, o = n * d;
            for (int i = 0; i < d; i++) x0.put(o + i, te.get(tOff + i) + pe.get(pOff + i));
        }
        if (masks != null) Kernels.mul(x0, masks[0].b, x0, N * d);
        tick("f.embed");
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int l = 0; l < L; l++) {
            // attention: x + proj(softmax(q kᵀ/√hs + mask) v)
            Kernels.layerNorm(resid[l].b, ln1[l].b, ln1g[l].b, b(ln1b[l]), ln1Mean[l], ln1Rstd[l], ln1Sig[l], N, d);
            tick("f.layernorm");
            linear(ln1[l], qkvW[l], qkvB[l], qkv[l], d, 3 * d);                         // (N, 3d)
            attention(qkv[l], att[l], atty[l], scale);                                  // (N, d)
            linear(atty[l], projW[l], projB[l], tmpD, d, d);
            residual(resid[l], tmpD, masks == null ? null : masks[1 + 2 * l], mid[l]);
            tick("f.residual");
            // MLP: x + fc2(gelu(fc(ln(x))))
            Kernels.layerNorm(mid[l].b, ln2[l].b, ln2g[l].b, b(ln2b[l]), ln2Mean[l], ln2Rstd[l], ln2Sig[l], N, d);
            tick("f.layernorm");
            linear(ln2[l], fcW[l], fcB[l], fc[l], d, f);                                // (N, f)
            Kernels.gelu(fc[l].b, gel[l].b, N * f);
            tick("f.gelu");
            linear(gel[l], fc2W[l], fc2B[l], tmpD, f, d);                               // (N, d)
            residual(mid[l], tmpD, masks == null ? null : masks[2 + 2 * l], resid[l + 1]);
            tick("f.residual");
        }
        Kernels.layerNorm(resid[L].b, lnf.b, lnfg.b, b(lnfb), lnfMean, lnfRstd, lnfSig, N, d);
        tick("f.layernorm");
        if (tied) gemm(false, true, N, V, d, 1, lnf, 0, d, wte, 0, d, 0, logits, 0, V);   // (N, V)
        else gemm(false, false, N, V, d, 1, lnf, 0, d, lmHead, 0, V, 0, logits, 0, V);
        tick("f.gemm");
    }

    private static FloatBuffer b(F x) { return x == null ? null : x.b; }

    /** y = x·W (+ b): x (N, in), W (in, out). */
    private void linear(F x, F w, F bias, F y, int in, int out) {
        gemm(false, false, N, out, in, 1, x, 0, in, w, 0, out, 0, y, 0, out);
        tick("f.gemm");
        if (bias != null) Kernels.addBias(y.b, bias.b, N, out);
        tick("f.bias");
    }

    /** out = x + y (·mask). */
    private void residual(F x, F y, F mask, F out) {
        Kernels.residual(x.b, y.b, mask == null ? null : mask.b, out.b, N * d);
    }

    /**
     * Rows per block of the causal attention products: row block r only needs columns up to its own
     * end, so with T/blockRows blocks the (T, T) products cost (1 + … + k)/k² of the full ones
     * (3/4 for two blocks). Used when T is a multiple of it and larger; tests make it small.
     */
    public static int attentionBlockRows = 64;

    private int blocks() {
        int r = attentionBlockRows;
        return r > 0 && T > r && T % r == 0 ? T / r : 1;
    }

    /**
     * Causal self-attention per (sequence, head) on the (T, hs) blocks of qkv (N, 3d) → y (N, d). With
     * {@link #OWN_THREADS} each kernel thread takes whole (sequence, head) pairs: scores, softmax and value
     * products of one pair in a row, while its (T, T) block is in cache. Otherwise the score products of
     * every head, then all softmaxes at once (spread over the kernel threads), then the value products.
     */
    private void attention(F qkv, F att, F y, float scale) {
        if (OWN_THREADS) {
            Kernels.range(B * H, 1L << 20, (lo, hi) -> {
                for (int p = lo; p < hi; p++) {
                    scores(qkv, att, scale, p / H, p % H);
                    Kernels.causalSoftmax(att.b, p * T * T, T);
                    values(att, qkv, y, p / H, p % H);
                }
            });
            tick("f.att");
            return;
        }
        for (int p = 0; p < B * H; p++) scores(qkv, att, scale, p / H, p % H);
        tick("f.att.gemm");
        Kernels.range(B * H, (long) T * T, (lo, hi) -> {
            for (int p = lo; p < hi; p++) Kernels.causalSoftmax(att.b, p * T * T, T);
        });
        tick("f.att.softmax");
        for (int p = 0; p < B * H; p++) values(att, qkv, y, p / H, p % H);
        tick("f.att.gemm");
    }

    /** Rows r·rb … of q kᵀ/√hs of sequence b, head h, each over the columns up to its row block's end. */
    private void scores(F qkv, F att, float scale, int b, int h) {
        int ld = 3 * d, nb = blocks(), rb = T / nb;
        long q = (long) b * T * ld + h * hs, k = q + d, s = ((long) b * H + h) * T * T;
        for (int r = 0; r < nb; r++) {
            gemm1(false, true, rb, (r + 1) * rb, hs, scale, qkv, q + (long) r * rb * ld, ld, qkv, k, ld, 0, att, s + (long) r * rb * T, T);
        }
    }

    /** y rows = P rows · v of sequence b, head h, over the columns that are not masked. */
    private void values(F att, F qkv, F y, int b, int h) {
        int ld = 3 * d, nb = blocks(), rb = T / nb;
        long v = (long) b * T * ld + h * hs + 2 * d, s = ((long) b * H + h) * T * T, yo = (long) b * T * d + h * hs;
        for (int r = 0; r < nb; r++) {
            gemm1(false, false, rb, hs, (r + 1) * rb, 1, att, s + (long) r * rb * T, T, qkv, v, ld, 0, y, yo + (long) r * rb * d, d);
        }
    }

    // --- backward ----------------------------------------------------------------------------------

    private void backward(int[] tokens) {
        tick(null);
        // logits = lnf·wteᵀ (tied) or lnf·lm_head
        if (tied) {
            gemm(false, false, N, d, V, 1, logits, 0, V, wte, 0, d, 0, dln, 0, d);
            gemm(true, false, V, d, N, 1, logits, 0, V, lnf, 0, d, 1, dwte, 0, d);
        } else {
            gemm(false, true, N, d, V, 1, logits, 0, V, lmHead, 0, V, 0, dln, 0, d);
            gemm(true, false, d, V, N, 1, lnf, 0, d, logits, 0, V, 1, dlmHead, 0, V);
        }
        tick("b.gemm");
        Pointer.memset(dres.p, 0, (long) N * d * 4);
        Kernels.layerNormBackward(resid[L].b, dln.b, lnfg.b, dres.b, dlnfg.b, b(dlnfb), lnfMean, lnfRstd, lnfSig, N, d);
        tick("b.layernorm");
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int l = L - 1; l >= 0; l--) {
            // MLP branch; dres is dloss/dx for x = resid[l+1]
            F dOut = branchGrad(masks == null ? null : masks[2 + 2 * l]);
            linearBackward(gel[l], fc2W[l], dOut, dfc2W[l], dfc2B[l], dfc, f, d);
            tick(null);
            Kernels.geluBackward(fc[l].b, dfc.b, N * f);
            tick("b.gelu");
            linearBackward(ln2[l], fcW[l], dfc, dfcW[l], dfcB[l], dln, d, f);
            tick(null);
            Kernels.layerNormBackward(mid[l].b, dln.b, ln2g[l].b, dres.b, dln2g[l].b, b(dln2b[l]), ln2Mean[l], ln2Rstd[l], ln2Sig[l], N, d);
            tick("b.layernorm");
            // attention branch
            dOut = branchGrad(masks == null ? null : masks[1 + 2 * l]);
            linearBackward(atty[l], projW[l], dOut, dprojW[l], dprojB[l], dln, d, d);   // dln: dy (N, d)
            attentionBackward(qkv[l], att[l], dln, scale);                              // → dqkv
            linearBackward(ln1[l], qkvW[l], dqkv, dqkvW[l], dqkvB[l], dln, d, 3 * d);
            tick(null);
            Kernels.layerNormBackward(resid[l].b, dln.b, ln1g[l].b, dres.b, dln1g[l].b, b(dln1b[l]), ln1Mean[l], ln1Rstd[l], ln1Sig[l], N, d);
            tick("b.layernorm");
        }
        // embeddings
        if (masks != null) Kernels.mul(dres.b, masks[0].b, dres.b, N * d);
        FloatBuffer g = dres.b, gte = dwte.b, gpe = dwpe.b;
        for (int n = 0; n < N; n++) {
            int tOff = tokens[n] * d, pOff = (n % T) * d, o = n * d;
            for (int i = 0; i < d; i++) {
                float e = g.get(o + i);
                gte.put(tOff + i, gte.get(tOff + i) + e);
                gpe.put(pOff + i, gpe.get(pOff + i) + e);
            }
        }
        tick("b.embed");
    }

    /** The gradient reaching a residual branch: dres, times the branch's dropout mask if any. */
    private F branchGrad(F mask) {
        if (mask == null) return dres;
        Kernels.mul(dres.b, mask.b, tmpD.b, N * d);
        return tmpD;
    }

    /** For y = x·W + b: dW += xᵀ·dy, db += Σ dy, dx = dy·Wᵀ. */
    private void linearBackward(F x, F w, F dy, F dw, F db, F dx, int in, int out) {
        tick(null);
        gemm(true, false, in, out, N, 1, x, 0, in, dy, 0, out, 1, dw, 0, out);
        tick("b.gemm.dW");
        if (db != null) Kernels.sumRows(dy.b, db.b, N, out);
        tick("b.bias");
        gemm(false, true, N, in, out, 1, dy, 0, out, w, 0, out, 0, dx, 0, in);
        tick("b.gemm.dx");
    }

    /** Backward of {@link #attention}: dy (N, d) → dqkv (N, 3d); with {@link #OWN_THREADS} whole pairs per thread. */
    private void attentionBackward(F qkv, F att, F dy, float scale) {
        tick(null);
        if (OWN_THREADS) {
            Kernels.range(B * H, 1L << 20, (lo, hi) -> {
                for (int p = lo; p < hi; p++) {
                    valuesBackward(qkv, att, dy, p / H, p % H);
                    Kernels.causalSoftmaxBackward(att.b, p * T * T, datt.b, p * T * T, T, scale);
                    scoresBackward(qkv, p / H, p % H);
                }
            });
            tick("b.att");
            return;
        }
        for (int p = 0; p < B * H; p++) valuesBackward(qkv, att, dy, p / H, p % H);
        tick("b.att.gemm");
        Kernels.range(B * H, (long) T * T, (lo, hi) -> {   // dS (scaled), in place of dP
            for (int p = lo; p < hi; p++) Kernels.causalSoftmaxBackward(att.b, p * T * T, datt.b, p * T * T, T, scale);
        });
        tick("b.att.softmax");
        for (int p = 0; p < B * H; p++) scoresBackward(qkv, p / H, p % H);
        tick("b.att.gemm");
    }

    /** dP = dy · vᵀ and dv = Pᵀ · dy of sequence b, head h, over the unmasked blocks. */
    private void valuesBackward(F qkv, F att, F dy, int b, int h) {
        int ld = 3 * d, nb = blocks(), rb = T / nb;
        long v = (long) b * T * ld + h * hs + 2 * d, s = ((long) b * H + h) * T * T, yo = (long) b * T * d + h * hs;
        for (int r = 0; r < nb; r++) {
            long rq = (long) r * rb;
            // dP rows = dy rows · vᵀ (columns up to the block's end)
            gemm1(false, true, rb, (r + 1) * rb, hs, 1, dy, yo + rq * d, d, qkv, v, ld, 0, datt, s + rq * T, T);
            // dv rows of block r = (P rows r·rb … T−1, columns of block r)ᵀ · dy rows r·rb … T−1
            gemm1(true, false, rb, hs, T - r * rb, 1, att, s + rq * T + rq, T, dy, yo + rq * d, d, 0, dqkv, v + rq * ld, ld);
        }
    }

    /** dq = dS · k and dk = dSᵀ · q of sequence b, head h, over the unmasked blocks. */
    private void scoresBackward(F qkv, int b, int h) {
        int ld = 3 * d, nb = blocks(), rb = T / nb;
        long q = (long) b * T * ld + h * hs, k = q + d, s = ((long) b * H + h) * T * T;
        for (int r = 0; r < nb; r++) {
            long rq = (long) r * rb;
            // dq rows = dS rows · k (columns up to the block's end)
            gemm1(false, false, rb, hs, (r + 1) * rb, 1, datt, s + rq * T, T, qkv, k, ld, 0, dqkv, q + rq * ld, ld);
            // dk rows of block r = (dS rows r·rb … T−1, columns of block r)ᵀ · q rows r·rb … T−1
            gemm1(true, false, rb, hs, T - r * rb, 1, datt, s + rq * T + rq, T, qkv, q + rq * ld, ld, 0, dqkv, k + rq * ld, ld);
        }
    }

    /**
     * C = α·op(A)·op(B) + β·C on row-major blocks at the given element offsets. With {@link #OWN_THREADS}
     * a large product is split into row blocks of C, one per kernel thread, each a single-threaded BLAS
     * call (every element of C is still computed by one call, so the result does not depend on timing).
     */
    private static void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, F a, long ao, int lda,
                             F b, long bo, int ldb, float beta, F c, long co, int ldc) {
        int parts = OWN_THREADS ? (int) Math.min(Kernels.THREADS, Math.max(1, (long) m * n * k / splitWork)) : 1;
        parts = Math.min(parts, Math.max(1, m / 4));
        if (parts <= 1) {
            gemm1(ta, tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
            return;
        }
        int ps = parts;
        Kernels.parallel(ps, p -> {
            int r0 = (int) ((long) m * p / ps), r1 = (int) ((long) m * (p + 1) / ps);
            // rows r0… of op(A): rows of A, or columns of A when it is transposed
            gemm1(ta, tb, r1 - r0, n, k, alpha, a, ao + (ta ? r0 : (long) r0 * lda), lda, b, bo, ldb, beta, c, co + (long) r0 * ldc, ldc);
        });
    }

    /** One BLAS call. */
    private static void gemm1(boolean ta, boolean tb, int m, int n, int k, float alpha, F a, long ao, int lda,
                              F b, long bo, int ldb, float beta, F c, long co, int ldc) {
        openblas_nolapack.cblas_sgemm(ROW, ta ? TR : NO, tb ? TR : NO, m, n, k, alpha, a.at(ao), lda, b.at(bo), ldb,
                beta, c.at(co), ldc);
    }

    /**
     * Whether the passes run BLAS single-threaded and spread the work over {@link Kernels}' threads
     * themselves (row blocks of each large product, whole (sequence, head) pairs of attention) rather than
     * letting OpenBLAS thread each call. OpenBLAS's workers spin for a while after every threaded call,
     * on the core the element-wise loops' second thread needs; with one BLAS thread there are no workers.
     * {@code -Dscalelab.blasThreads=true} restores threaded BLAS calls (for comparison in {@code bench}).
     */
    static final boolean OWN_THREADS = !Boolean.getBoolean("scalelab.blasThreads") && Kernels.THREADS > 1;

    /** Whether the passes spread BLAS work over their own threads ({@link #OWN_THREADS}). */
    public static boolean ownThreads() { return OWN_THREADS; }

    /** Multiply-adds from which a product is split over the kernel threads (tests set it to 1 to split every product). */
    public static long splitWork = 1L << 20;

    /**
     * Sets OpenBLAS's thread count (process-wide) and returns the previous one. With {@link #OWN_THREADS}
     * the constructor sets one thread for the rest of the process and leaves it there: switching back and
     * forth around each step cost more than it saved (about 0.3 ms a switch, and the woken BLAS workers
     * spin into the next step: 39 k instead of 50 k tokens/s on (2,64,2,64,16,256)).
     */
    static int blasThreads(int n) {
        org.nd4j.linalg.api.blas.Blas blas = Nd4j.factory().blas();
        int prev = blas.getMaxThreads();
        if (prev != n) blas.setMaxThreads(n);
        return prev;
    }
}
