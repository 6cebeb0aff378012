package org.scalelab.trainer.optim;


import org.scalelab.trainer.kernels.Kernels;

import java.nio.FloatBuffer;

/**
 * AdamW (Loshchilov &amp; Hutter) with decoupled weight decay, written out so its state is explicit
 * and checkpointable (as in llm.c). Per parameter tensor, at step t (1-based):
 * <pre>
 *   m ← β1·m + (1−β1)·g            v ← β2·v + (1−β2)·g²
 *   m̂ = m/(1−β1^t)                 v̂ = v/(1−β2^t)
 *   p ← p·(1 − lr·wd)  (only for decayed tensors)
 *   p ← p − lr·m̂/(√v̂ + ε)
 * </pre>
 * the same update as PyTorch's {@code torch.optim.AdamW}, with lr multiplied per tensor by an optional
 * multiplier (a parameterization's, e.g. μP's 1/m for hidden matrices; as torch's per-group lr, it scales
 * the decay too). Moments are float arrays on the Java heap.
 */
public final class AdamW {
    private final double beta1, beta2, eps;
    private final double[] lrMult;   // null: 1 for every tensor
    /** The first and second moments per tensor, in layout order (checkpoints save and restore them). */
    public final float[][] m, v;

    public AdamW(int[] sizes, double beta1, double beta2, double eps) {
        this(sizes, beta1, beta2, eps, null);
    }

    /** @param lrMult per tensor, the factor on the learning rate (null: 1) */
    public AdamW(int[] sizes, double beta1, double beta2, double eps, double[] lrMult) {
        if (lrMult != null && lrMult.length != sizes.length) throw new IllegalArgumentException(lrMult.length + " multipliers for " + sizes.length + " tensors");
        this.lrMult = lrMult == null ? null : lrMult.clone();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        m = new float[sizes.length][];
        v = new float[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
            m[i] = new float[sizes[i]];
            v[i] = new float[sizes[i]];
        }
    }

    /**
     * Updates tensor {@code i} in place. {@code gradScale} multiplies the gradient first (clipping and
     * micro-batch averaging fold into it).
     */
    public void update(int i, FloatBuffer p, FloatBuffer g, float gradScale, int t, double baseLr, double wd) {
        double lr = lrMult == null ? baseLr : baseLr * lrMult[i];
        float[] mi = m[i], vi = v[i];
        float b1 = (float) beta1, b2 = (float) beta2;
        float c1 = (float) (1 - beta1), c2 = (float) (1 - beta2);
        float bc1 = (float) (1 - Math.pow(beta1, t)), bc2 = (float) (1 - Math.pow(beta2, t));
        float step = (float) (lr / bc1), bc2s = (float) Math.sqrt(bc2);
        float decay = (float) (1 - lr * wd), e = (float) eps;
        int n = mi.length;
        // Chunks of the direct buffers are copied to heap arrays (a memcpy) so that the JIT vectorizes the
        // update; ranges of the tensor go to separate threads (each element's update is independent).
        int chunk = 4096, chunks = (n + chunk - 1) / chunk;
        Kernels.range(chunks, 8L * chunk, (lo, hi) -> {
            float[] pc = new float[chunk], gc = new float[chunk];
            for (int c = lo; c < hi; c++) {
                int o = c * chunk, len = Math.min(chunk, n - o);
                p.get(o, pc, 0, len);
                g.get(o, gc, 0, len);
                for (int j = 0; j < len; j++) {
                    int k = o + j;
                    float gk = gc[j] * gradScale;
                    float mk = b1 * mi[k] + c1 * gk;
                    float vk = b2 * vi[k] + c2 * gk * gk;
                    mi[k] = mk;
                    vi[k] = vk;
                    // m̂/(√v̂+ε) = (m/bc1)/(√v/√bc2 + ε)
                    pc[j] = pc[j] * decay - step * mk / ((float) Math.sqrt(vk) / bc2s + e);
                }
                p.put(o, pc, 0, len);
            }
        });
    }
}
