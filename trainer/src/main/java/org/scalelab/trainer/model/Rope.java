package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/**
 * Rotary position embedding (Su et al. 2021) on queries and keys, base 10000: in each head, channel i and
 * channel i + hs/2 (i &lt; hs/2) are rotated by the angle t·10000^(−2i/hs) at position t, the "rotate half"
 * layout of GPT-NeoX and Hugging Face's Llama. No parameters.
 */
final class Rope {
    static final double BASE = 10000;
    private final int T, d, hs, half;
    private final float[] cos, sin;   // (T, hs/2)

    Rope(int T, int d, int hs) {
        this.T = T;
        this.d = d;
        this.hs = hs;
        this.half = hs / 2;
        cos = new float[T * half];
        sin = new float[T * half];
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < half; i++) {
                double a = t * Math.pow(BASE, -2.0 * i / hs);
                cos[t * half + i] = (float) Math.cos(a);
                sin[t * half + i] = (float) Math.sin(a);
            }
        }
    }

    /** Rotates the q and k columns of qkv (rows, 3d) in place. */
    void forward(Pass ps, Buf qkv, int rows) {
        Kernels.rope(qkv.b(), rows, T, d, hs, cos, sin, false);
        ps.tick("f.rope");
    }

    /** The gradient through the rotation: the inverse rotation of dq and dk, in place in dqkv. */
    void backward(Pass ps, Buf dqkv, int rows) {
        Kernels.rope(dqkv.b(), rows, T, d, hs, cos, sin, true);
        ps.tick("b.rope");
    }

    /** x (B, H, T, hs) → x⊙C + rotate_half(x)⊙S, with rotate_half(x) = x·R for a constant signed permutation R. */
    SDVariable emit(Graph g, SDVariable x, int H) {
        SDVariable c = g.constant("rope_cos", () -> table(cos, g));
        SDVariable s = g.constant("rope_sin", () -> table(sin, g));
        SDVariable r = g.constant("rope_rotate_half", () -> {
            INDArray m = Nd4j.zeros(g.dtype, hs, hs);
            for (int j = 0; j < half; j++) {
                m.putScalar(j + half, j, -1.0);   // out[j] = −x[j + hs/2]
                m.putScalar(j, j + half, 1.0);    // out[j + hs/2] = x[j]
            }
            return m;
        });
        SDVariable rotated = g.sd.mmul(x.reshape(-1, hs), r).reshape(-1, H, T, hs);
        return x.mul(c).add(rotated.mul(s));
    }

    /** (T, hs): the (T, hs/2) table repeated for both halves. */
    private INDArray table(float[] v, Graph g) {
        INDArray m = Nd4j.zeros(g.dtype, T, hs);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < half; i++) {
                m.putScalar(t, i, v[t * half + i]);
                m.putScalar(t, i + half, v[t * half + i]);
            }
        }
        return m;
    }
}
