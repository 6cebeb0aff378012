package org.scalelab.trainer.kernels;

import java.nio.FloatBuffer;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * The element-wise and row-wise parts of the layers in {@code org.scalelab.trainer.model}, forward and backward, as plain loops over
 * direct float buffers (row-major matrices; {@code off} is the first element). Each loop is split into
 * at most {@link #THREADS} contiguous ranges of rows (or of columns, for sums over rows), so every output
 * is computed by one thread in a fixed order: results do not depend on scheduling.
 *
 * <p>The numerics follow the layers' SameDiff emissions, so that both engines compute the same function:
 * layer norm is ND4J's {@code (x − mean)/(σ + 1e-12)} with the population σ, GELU is the tanh approximation.
 */
public final class Kernels {
    private Kernels() {}

    public static final int THREADS = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), 8));
    private static final ExecutorService POOL = THREADS == 1 ? null : Executors.newFixedThreadPool(THREADS - 1, r -> {
        Thread t = new Thread(r, "scalelab-kernels");
        t.setDaemon(true);
        return t;
    });

    /** Runs {@code body.accept(part)} for part = 0..parts-1, parts ≤ THREADS, the last one on this thread. */
    public static void parallel(int parts, IntConsumer body) {
        if (parts <= 1 || POOL == null) {
            for (int p = 0; p < parts; p++) body.accept(p);
            return;
        }
        @SuppressWarnings("unchecked")
        Future<?>[] f = new Future[parts - 1];
        for (int p = 0; p < parts - 1; p++) {
            int part = p;
            f[p] = POOL.submit(() -> body.accept(part));
        }
        body.accept(parts - 1);
        try {
            for (Future<?> x : f) x.get();
        } catch (Exception e) {
            throw new IllegalStateException(e.getCause() != null ? e.getCause() : e);
        }
    }

    /**
     * Work (in the loops' own cost units, about one per element and arithmetic step) below which a loop is
     * not split: handing a part to another thread and waiting for it costs more than such a part takes.
     * {@code -Dscalelab.minPartWork=N} sets it, for measuring (docs/performance.md, "Small shapes").
     */
    public static final long MIN_PART_WORK = Math.max(1, Long.getLong("scalelab.minPartWork", 32768));

    /** Parts for {@code work} units: one per {@link #MIN_PART_WORK}, at most {@link #THREADS}. */
    public static int parts(long work) {
        return (int) Math.min(THREADS, Math.max(1, work / MIN_PART_WORK));
    }

    /** Splits [0, n) into contiguous ranges, one per thread, when there is enough work (n·cost ≥ {@link #MIN_PART_WORK}). */
    public static void range(int n, long costPerItem, RangeBody body) {
        int parts = parts(n * costPerItem);
        parallel(parts, p -> body.run((int) ((long) n * p / parts), (int) ((long) n * (p + 1) / parts)));
    }

    public interface RangeBody {
        void run(int lo, int hi);
    }

    /** Per-thread scratch arrays: loops copy a row or chunk out of the direct buffer (a memcpy), work on a
     * heap array (which the JIT vectorizes; element-wise access to direct buffers is several times slower),
     * and copy the result back. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[4][0]);

    private static float[] scratch(int slot, int n) {
        float[][] s = SCRATCH.get();
        if (s[slot].length < n) s[slot] = new float[n];
        return s[slot];
    }

    private static final int CHUNK = 4096;

    /**
     * Σ a[off … off+n) in eight independent partial sums: a plain {@code s += a[i]} loop is serialised by
     * the latency of each float addition (the JIT may not reorder it), which made layer norm and the
     * gradient norm several times slower than their memory traffic.
     */
    public static float sum(float[] a, int off, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = off, end = off + n;
        for (; i + 8 <= end; i += 8) {
            s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
            s4 += a[i + 4]; s5 += a[i + 5]; s6 += a[i + 6]; s7 += a[i + 7];
        }
        float s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < end; i++) s += a[i];
        return s;
    }

    /** Σ a[ao + i]·b[bo + i] for i in [0, n), in eight partial sums (see {@link #sum}). */
    public static float dot(float[] a, int ao, float[] b, int bo, int n) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int i = 0;
        for (; i + 8 <= n; i += 8) {
            s0 += a[ao + i] * b[bo + i]; s1 += a[ao + i + 1] * b[bo + i + 1];
            s2 += a[ao + i + 2] * b[bo + i + 2]; s3 += a[ao + i + 3] * b[bo + i + 3];
            s4 += a[ao + i + 4] * b[bo + i + 4]; s5 += a[ao + i + 5] * b[bo + i + 5];
            s6 += a[ao + i + 6] * b[bo + i + 6]; s7 += a[ao + i + 7] * b[bo + i + 7];
        }
        float s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        for (; i < n; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    // --- layer norm ------------------------------------------------------------------------------

    /**
     * y = (x − μ)/(σ + 1e-12)·g + b per row of d; keeps μ and 1/(σ + 1e-12) and σ for the backward pass.
     * {@code b} may be null (no bias).
     */
    public static void layerNorm(FloatBuffer x, FloatBuffer y, FloatBuffer g, FloatBuffer b,
                          float[] mean, float[] rstd, float[] sigma, int rows, int d) {
        float[] gain = new float[d], shift = new float[d];
        g.get(0, gain);
        if (b != null) b.get(0, shift);
        range(rows, 4L * d, (lo, hi) -> {
            float[] a = scratch(0, d);
            for (int r = lo; r < hi; r++) {
                int o = r * d;
                x.get(o, a, 0, d);
                float mu = sum(a, 0, d) / d;
                for (int i = 0; i < d; i++) a[i] -= mu;
                float sd = (float) Math.sqrt(dot(a, 0, a, 0, d) / d);
                float rs = 1f / (sd + 1e-12f);
                mean[r] = mu;
                rstd[r] = rs;
                sigma[r] = sd;
                for (int i = 0; i < d; i++) a[i] = a[i] * rs * gain[i] + shift[i];
                y.put(o, a, 0, d);
            }
        });
    }

    /**
     * Backward of {@link #layerNorm}: dx += r·(ĝ − mean ĝ) − x̂·mean(ĝ·x̂)/σ with ĝ = dy·g, x̂ = (x − μ)·r.
     * Gain and bias gradients are summed into dg, db (db may be null).
     */
    public static void layerNormBackward(FloatBuffer x, FloatBuffer dy, FloatBuffer g, FloatBuffer dx, FloatBuffer dg, FloatBuffer db,
                                  float[] mean, float[] rstd, float[] sigma, int rows, int d) {
        float[] gain = new float[d];
        g.get(0, gain);
        int parts = parts(rows * 6L * d);
        float[][] sumG = new float[parts][d], sumB = new float[parts][d];
        parallel(parts, p -> {
            int lo = (int) ((long) rows * p / parts), hi = (int) ((long) rows * (p + 1) / parts);
            float[] xa = scratch(0, d), ga = scratch(1, d), da = scratch(2, d), gh = scratch(3, d);
            float[] sg = sumG[p], sb = sumB[p];
            for (int r = lo; r < hi; r++) {
                int o = r * d;
                x.get(o, xa, 0, d);
                dy.get(o, ga, 0, d);
                dx.get(o, da, 0, d);
                float mu = mean[r], rs = rstd[r];
                for (int i = 0; i < d; i++) {
                    float xh = (xa[i] - mu) * rs, e = ga[i];
                    sg[i] += e * xh;
                    sb[i] += e;
                    gh[i] = e * gain[i];
                    xa[i] = xh;
                }
                float mg = sum(gh, 0, d) / d, mgx = dot(gh, 0, xa, 0, d) / d / sigma[r];
                for (int i = 0; i < d; i++) da[i] += rs * (gh[i] - mg) - xa[i] * mgx;
                dx.put(o, da, 0, d);
            }
        });
        for (int i = 0; i < d; i++) {
            float a = 0, c = 0;
            for (int p = 0; p < parts; p++) {
                a += sumG[p][i];
                c += sumB[p][i];
            }
            dg.put(i, dg.get(i) + a);
            if (db != null) db.put(i, db.get(i) + c);
        }
    }

    // --- RMS norm ---------------------------------------------------------------------------------

    /** y = x·r·g per row of d with r = 1/√(mean(x²) + eps); keeps r for the backward pass. */
    public static void rmsNorm(FloatBuffer x, FloatBuffer y, FloatBuffer g, float[] rstd, int rows, int d, float eps) {
        float[] gain = new float[d];
        g.get(0, gain);
        range(rows, 3L * d, (lo, hi) -> {
            float[] a = scratch(0, d);
            for (int r = lo; r < hi; r++) {
                int o = r * d;
                x.get(o, a, 0, d);
                float rs = (float) (1 / Math.sqrt(dot(a, 0, a, 0, d) / d + eps));
                rstd[r] = rs;
                for (int i = 0; i < d; i++) a[i] = a[i] * rs * gain[i];
                y.put(o, a, 0, d);
            }
        });
    }

    /** Backward of {@link #rmsNorm}: dx += r·(ĝ − x̂·mean(ĝ·x̂)) with ĝ = dy·g, x̂ = x·r; dg += Σ dy·x̂. */
    public static void rmsNormBackward(FloatBuffer x, FloatBuffer dy, FloatBuffer g, FloatBuffer dx, FloatBuffer dg,
                                       float[] rstd, int rows, int d) {
        float[] gain = new float[d];
        g.get(0, gain);
        int parts = parts(rows * 5L * d);
        float[][] sumG = new float[parts][d];
        parallel(parts, p -> {
            int lo = (int) ((long) rows * p / parts), hi = (int) ((long) rows * (p + 1) / parts);
            float[] xa = scratch(0, d), ga = scratch(1, d), da = scratch(2, d), gh = scratch(3, d);
            float[] sg = sumG[p];
            for (int r = lo; r < hi; r++) {
                int o = r * d;
                x.get(o, xa, 0, d);
                dy.get(o, ga, 0, d);
                dx.get(o, da, 0, d);
                float rs = rstd[r];
                for (int i = 0; i < d; i++) {
                    float xh = xa[i] * rs, e = ga[i];
                    sg[i] += e * xh;
                    gh[i] = e * gain[i];
                    xa[i] = xh;
                }
                float mgx = dot(gh, 0, xa, 0, d) / d;
                for (int i = 0; i < d; i++) da[i] += rs * (gh[i] - xa[i] * mgx);
                dx.put(o, da, 0, d);
            }
        });
        for (int i = 0; i < d; i++) {
            float a = 0;
            for (int p = 0; p < parts; p++) a += sumG[p][i];
            dg.put(i, dg.get(i) + a);
        }
    }

    // --- bias, GELU, residual ---------------------------------------------------------------------

    /** y[r, :] += b for every row. */
    public static void addBias(FloatBuffer y, FloatBuffer b, int rows, int n) {
        float[] bias = new float[n];
        b.get(0, bias);
        range(rows, n, (lo, hi) -> {
            float[] a = scratch(0, n);
            for (int r = lo; r < hi; r++) {
                int o = r * n;
                y.get(o, a, 0, n);
                for (int i = 0; i < n; i++) a[i] += bias[i];
                y.put(o, a, 0, n);
            }
        });
    }

    /** db += Σ_rows dy (column sums). */
    public static void sumRows(FloatBuffer dy, FloatBuffer db, int rows, int n) {
        int parts = parts((long) rows * n);
        float[][] acc = new float[parts][n];
        parallel(parts, p -> {
            int lo = (int) ((long) rows * p / parts), hi = (int) ((long) rows * (p + 1) / parts);
            float[] a = scratch(0, n), s = acc[p];
            for (int r = lo; r < hi; r++) {
                dy.get(r * n, a, 0, n);
                for (int i = 0; i < n; i++) s[i] += a[i];
            }
        });
        for (int i = 0; i < n; i++) {
            float t = 0;
            for (int p = 0; p < parts; p++) t += acc[p][i];
            db.put(i, db.get(i) + t);
        }
    }

    private static final float GELU_C = (float) Math.sqrt(2 / Math.PI), GELU_A = 0.044715f;

    /**
     * tanh as a rational function of degree 13/6 on [−7.9988, 7.9988] (clamped outside; the constants are
     * Eigen's fast float tanh), within 4e-7 of tanh everywhere. Only multiplications, additions, one
     * division and min/max, so that the JIT vectorizes the loops that call it: 0.6 ns per element here
     * against 9 ns through Math.exp.
     */
    public static float tanh(float x) {
        x = Math.max(-7.99881172180175781f, Math.min(7.99881172180175781f, x));
        float x2 = x * x;
        float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
        p = p * x2 + -8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        p = p * x;
        float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        return p / q;
    }

    /** Applies {@code body} to [0, n) in chunks of heap arrays: a = x[chunk], c = y[chunk] (y may be null). */
    private static void chunks(int n, long cost, FloatBuffer x, FloatBuffer y, FloatBuffer out, ChunkBody body) {
        int nChunks = (n + CHUNK - 1) / CHUNK;
        range(nChunks, CHUNK * cost, (lo, hi) -> {
            float[] a = scratch(0, CHUNK), c = scratch(1, CHUNK);
            for (int k = lo; k < hi; k++) {
                int o = k * CHUNK, m = Math.min(CHUNK, n - o);
                x.get(o, a, 0, m);
                if (y != null) y.get(o, c, 0, m);
                body.run(a, c, m);
                out.put(o, a, 0, m);
            }
        });
    }

    private interface ChunkBody {
        void run(float[] a, float[] c, int m);
    }

    /** y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    public static void gelu(FloatBuffer x, FloatBuffer y, int n) {
        chunks(n, 20, x, null, y, (a, c, m) -> {
            for (int i = 0; i < m; i++) {
                float v = a[i];
                a[i] = 0.5f * v * (1f + tanh(GELU_C * (v + GELU_A * v * v * v)));
            }
        });
    }

    /** dx = dy·gelu'(x), in place in dy. */
    public static void geluBackward(FloatBuffer x, FloatBuffer dy, int n) {
        chunks(n, 24, dy, x, dy, (a, c, m) -> {
            for (int i = 0; i < m; i++) {
                float v = c[i], v2 = v * v;
                float t = tanh(GELU_C * v * (1f + GELU_A * v2));
                float hv = 0.5f * v;
                a[i] = a[i] * (0.5f + 0.5f * t + (hv - hv * t * t) * (GELU_C + 3f * GELU_C * GELU_A * v2));
            }
        });
    }

    /** σ(x) = (1 + tanh(x/2))/2, through the vectorizable {@link #tanh}. */
    private static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }

    /**
     * SwiGLU: y = silu(gate)·up per row, where row r of {@code gu} (rows, 2h) holds gate in its first h
     * columns and up in the last h; y is (rows, h). silu(g) = g·σ(g).
     */
    public static void swiglu(FloatBuffer gu, FloatBuffer y, int rows, int h) {
        range(rows, 24L * h, (lo, hi) -> {
            float[] a = scratch(0, 2 * h), c = scratch(1, h);
            for (int r = lo; r < hi; r++) {
                gu.get(r * 2 * h, a, 0, 2 * h);
                for (int i = 0; i < h; i++) {
                    float g = a[i];
                    c[i] = g * sigmoid(g) * a[h + i];
                }
                y.put(r * h, c, 0, h);
            }
        });
    }

    /** Backward of {@link #swiglu}: from dy (rows, h) and gu, writes d(gate) and d(up) into dgu (rows, 2h). */
    public static void swigluBackward(FloatBuffer gu, FloatBuffer dy, FloatBuffer dgu, int rows, int h) {
        range(rows, 30L * h, (lo, hi) -> {
            float[] a = scratch(0, 2 * h), e = scratch(1, h), out = scratch(2, 2 * h);
            for (int r = lo; r < hi; r++) {
                gu.get(r * 2 * h, a, 0, 2 * h);
                dy.get(r * h, e, 0, h);
                for (int i = 0; i < h; i++) {
                    float g = a[i], u = a[h + i], sg = sigmoid(g), silu = g * sg;
                    out[h + i] = e[i] * silu;
                    out[i] = e[i] * u * sg * (1f + g * (1f - sg));
                }
                dgu.put(r * 2 * h, out, 0, 2 * h);
            }
        });
    }

    /**
     * Rotary position embedding, in place on the query and key columns [0, 2d) of each row of
     * {@code qkv} (rows, 3d), row r at position r % T. In each head, channel i &lt; hs/2 pairs with
     * i + hs/2 (the "rotate half" layout of GPT-NeoX and Hugging Face's Llama): (x₁, x₂) ↦ (x₁·cos − x₂·sin,
     * x₂·cos + x₁·sin) at angle t·θᵢ. {@code cos} and {@code sin} are (T, hs/2). With {@code inverse} the
     * transposed rotation, which is the backward pass (the rotation is linear and orthogonal).
     */
    public static void rope(FloatBuffer qkv, int rows, int T, int d, int hs, float[] cos, float[] sin, boolean inverse) {
        int half = hs / 2, ld = 3 * d;
        float sign = inverse ? -1f : 1f;
        range(rows, 8L * d, (lo, hi) -> {
            float[] a = scratch(0, 2 * d);
            for (int r = lo; r < hi; r++) {
                qkv.get(r * ld, a, 0, 2 * d);
                int t = (r % T) * half;
                for (int o = 0; o < 2 * d; o += hs) {
                    for (int i = 0; i < half; i++) {
                        float c = cos[t + i], s = sign * sin[t + i], x1 = a[o + i], x2 = a[o + half + i];
                        a[o + i] = x1 * c - x2 * s;
                        a[o + half + i] = x2 * c + x1 * s;
                    }
                }
                qkv.put(r * ld, a, 0, 2 * d);
            }
        });
    }

    /** out = x + y (·mask when mask is not null). */
    public static void residual(FloatBuffer x, FloatBuffer y, FloatBuffer mask, FloatBuffer out, int n) {
        if (mask == null) {
            chunks(n, 1, x, y, out, (a, c, m) -> {
                for (int i = 0; i < m; i++) a[i] += c[i];
            });
        } else {
            chunks(n, 2, y, mask, out, (a, c, m) -> {
                for (int i = 0; i < m; i++) a[i] *= c[i];
            });
            chunks(n, 1, out, x, out, (a, c, m) -> {
                for (int i = 0; i < m; i++) a[i] += c[i];
            });
        }
    }

    /** x ← s·x. */
    public static void scale(FloatBuffer x, float s, int n) {
        chunks(n, 1, x, null, x, (a, c, m) -> {
            for (int i = 0; i < m; i++) a[i] *= s;
        });
    }

    /** y = x. */
    public static void copy(FloatBuffer x, FloatBuffer y, int n) {
        chunks(n, 1, x, null, y, (a, c, m) -> {});
    }

    /** y = x·mask. */
    public static void mul(FloatBuffer x, FloatBuffer mask, FloatBuffer y, int n) {
        chunks(n, 1, x, mask, y, (a, c, m) -> {
            for (int i = 0; i < m; i++) a[i] *= c[i];
        });
    }

    // --- attention ----------------------------------------------------------------------------------

    /**
     * Causal softmax in place over a (T, T) block at {@code off}: row i over columns 0..i, the rest 0
     * (the graph's additive −1e9 mask gives exactly 0 there too).
     */
    public static void causalSoftmax(FloatBuffer s, int off, int T) {
        float[] a = scratch(0, T * T);
        s.get(off, a, 0, T * T);   // one copy in and one out: element access to a direct buffer is slow
        for (int i = 0; i < T; i++) {
            int o = i * T;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j <= i; j++) max = Math.max(max, a[o + j]);
            float sum = 0;
            for (int j = 0; j <= i; j++) {
                float e = (float) Math.exp(a[o + j] - max);
                a[o + j] = e;
                sum += e;
            }
            float inv = 1f / sum;
            for (int j = 0; j <= i; j++) a[o + j] *= inv;
            for (int j = i + 1; j < T; j++) a[o + j] = 0f;
        }
        s.put(off, a, 0, T * T);
    }

    /** dS = P ⊙ (dP − rowsum(dP ⊙ P))·scale, in place in dP, over (T, T) blocks at poff and dpoff. */
    public static void causalSoftmaxBackward(FloatBuffer p, int poff, FloatBuffer dp, int dpoff, int T, float scale) {
        float[] a = scratch(0, T * T), da = scratch(1, T * T);
        p.get(poff, a, 0, T * T);
        dp.get(dpoff, da, 0, T * T);
        for (int i = 0; i < T; i++) {
            int o = i * T;
            float dot = dot(da, o, a, o, i + 1);
            for (int j = 0; j <= i; j++) da[o + j] = a[o + j] * (da[o + j] - dot) * scale;
            for (int j = i + 1; j < T; j++) da[o + j] = 0f;
        }
        dp.put(dpoff, da, 0, T * T);
    }

    // --- loss ---------------------------------------------------------------------------------------

    /**
     * Mean cross-entropy of the rows of {@code logits} (rows, V) against {@code labels}; replaces the
     * logits by the gradient of the mean loss, (softmax − onehot)/rows. Returns the mean loss in nats.
     */
    public static double crossEntropy(FloatBuffer logits, int[] labels, int rows, int V) {
        double[] part = new double[THREADS];
        int parts = parts((long) rows * V * 8);
        float invRows = 1f / rows;
        parallel(parts, p -> {
            int lo = (int) ((long) rows * p / parts), hi = (int) ((long) rows * (p + 1) / parts);
            double acc = 0;
            for (int r = lo; r < hi; r++) {
                int o = r * V;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < V; j++) max = Math.max(max, logits.get(o + j));
                int y = labels[r];
                float zy = logits.get(o + y) - max;
                double sum = 0;
                for (int j = 0; j < V; j++) {
                    float e = (float) Math.exp(logits.get(o + j) - max);
                    logits.put(o + j, e);
                    sum += e;
                }
                acc += Math.log(sum) - zy;
                float inv = (float) (1 / sum) * invRows;
                for (int j = 0; j < V; j++) logits.put(o + j, logits.get(o + j) * inv);
                logits.put(o + y, logits.get(o + y) - invRows);
            }
            part[p] = acc;
        });
        double s = 0;
        for (int p = 0; p < parts; p++) s += part[p];
        return s / rows;
    }

    /**
     * Σ over rows of the cross-entropy of {@code logits} (rows, V) against {@code labels[lo …]}, without
     * touching the logits (evaluation).
     */
    public static double crossEntropySum(FloatBuffer logits, int[] labels, int lo, int rows, int V) {
        double[] part = new double[THREADS];
        int parts = parts((long) rows * V * 6);
        parallel(parts, p -> {
            int r0 = (int) ((long) rows * p / parts), r1 = (int) ((long) rows * (p + 1) / parts);
            float[] a = new float[V];
            double acc = 0;
            for (int r = r0; r < r1; r++) {
                logits.get(r * V, a, 0, V);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < V; j++) max = Math.max(max, a[j]);
                double sum = 0;
                for (int j = 0; j < V; j++) sum += (float) Math.exp(a[j] - max);
                acc += Math.log(sum) - (a[labels[lo + r]] - max);
            }
            part[p] = acc;
        });
        double s = 0;
        for (int p = 0; p < parts; p++) s += part[p];
        return s;
    }
}
