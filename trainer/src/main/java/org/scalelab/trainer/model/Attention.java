package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.kernels.Blas;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/**
 * Causal multi-head self-attention: proj(softmax(q kᵀ/√hs + mask) v) with a fused q, k, v projection and,
 * with {@link Rope}, rotated queries and keys.
 *
 * <p>Host passes: per (sequence, head), the (T, hs) blocks of qkv go straight to BLAS. With
 * {@link Blas#OWN_THREADS} each kernel thread takes whole (sequence, head) pairs (scores, softmax and value
 * products of one pair in a row, while its (T, T) block is in cache); otherwise the score products of every
 * head, then all softmaxes at once over the kernel threads, then the value products.
 */
final class Attention {
    final Linear qkv, proj;
    private final Rope rope;   // null: learned positions, added to the embedding instead
    private final int d, H, hs, T;
    private final float scale;

    /** What the forward pass keeps for the backward one. */
    static final class Acts {
        final Buf qkv, att, y;   // (N, 3d) after the rotation, (B·H·T·T) probabilities, (N, d) before proj

        Acts(int B, int T, int d, int H) {
            qkv = Buf.alloc((long) B * T * 3 * d);
            att = Buf.alloc((long) B * H * T * T);
            y = Buf.alloc((long) B * T * d);
        }
    }

    /** Backward scratch, shared by the blocks: dqkv (N, 3d) and dP then dS (B·H·T·T). */
    static final class Scratch {
        final Buf dqkv, datt;

        Scratch(int B, int T, int d, int H) {
            dqkv = Buf.alloc((long) B * T * 3 * d);
            datt = Buf.alloc((long) B * H * T * T);
        }
    }

    Attention(ParamLayout layout, String name, int d, int H, int T, boolean bias, double std, double residStd, float scale, Rope rope) {
        this.d = d;
        this.H = H;
        this.hs = d / H;
        this.T = T;
        this.scale = scale;   // 1/√hs (GPT-2), 1/hs (μP)
        this.rope = rope;
        this.qkv = new Linear(layout, name + ".qkv", d, 3 * d, bias, std, ParamLayout.Role.ATTN_QKV);
        this.proj = new Linear(layout, name + ".proj", d, d, bias, residStd, ParamLayout.Role.ATTN_OUT);
    }

    /** x (N, d), normalised → out (N, d), the branch added to the residual stream. */
    void forward(Pass ps, Buf x, Buf out, Acts a) {
        qkv.forward(ps, x, a.qkv, ps.N);                                             // (N, 3d)
        if (rope != null) rope.forward(ps, a.qkv, ps.N);
        int B = ps.B;
        if (Blas.OWN_THREADS) {
            Kernels.range(B * H, 1L << 20, (lo, hi) -> {
                for (int p = lo; p < hi; p++) {
                    scores(ps, a, p / H, p % H);
                    Kernels.causalSoftmax(a.att.b(), p * T * T, T);
                    values(ps, a, p / H, p % H);
                }
            });
            ps.tick("f.att");
        } else {
            for (int p = 0; p < B * H; p++) scores(ps, a, p / H, p % H);
            ps.tick("f.att.gemm");
            Kernels.range(B * H, (long) T * T, (lo, hi) -> {
                for (int p = lo; p < hi; p++) Kernels.causalSoftmax(a.att.b(), p * T * T, T);
            });
            ps.tick("f.att.softmax");
            for (int p = 0; p < B * H; p++) values(ps, a, p / H, p % H);
            ps.tick("f.att.gemm");
        }
        proj.forward(ps, a.y, out, ps.N);                                            // (N, d)
    }

    /** From dOut (N, d) writes dx (N, d; may be the same buffer as dOut); parameters' gradients added to. */
    void backward(Pass ps, Buf x, Buf dOut, Buf dx, Acts a, Scratch s) {
        proj.backward(ps, a.y, dOut, dx, ps.N);                                      // dx holds dy (N, d) for now
        Buf dy = dx;
        int B = ps.B;
        ps.tick(null);
        if (Blas.OWN_THREADS) {
            Kernels.range(B * H, 1L << 20, (lo, hi) -> {
                for (int p = lo; p < hi; p++) {
                    valuesBackward(ps, a, dy, s, p / H, p % H);
                    Kernels.causalSoftmaxBackward(a.att.b(), p * T * T, s.datt.b(), p * T * T, T, scale);
                    scoresBackward(ps, a, s, p / H, p % H);
                }
            });
            ps.tick("b.att");
        } else {
            for (int p = 0; p < B * H; p++) valuesBackward(ps, a, dy, s, p / H, p % H);
            ps.tick("b.att.gemm");
            Kernels.range(B * H, (long) T * T, (lo, hi) -> {   // dS (scaled), in place of dP
                for (int p = lo; p < hi; p++) Kernels.causalSoftmaxBackward(a.att.b(), p * T * T, s.datt.b(), p * T * T, T, scale);
            });
            ps.tick("b.att.softmax");
            for (int p = 0; p < B * H; p++) scoresBackward(ps, a, s, p / H, p % H);
            ps.tick("b.att.gemm");
        }
        if (rope != null) rope.backward(ps, s.dqkv, ps.N);
        qkv.backward(ps, x, s.dqkv, dx, ps.N);
    }

    private int blocks(Pass ps) {
        int r = ps.options.attentionBlockRows();
        return r > 0 && T > r && T % r == 0 ? T / r : 1;
    }

    /** Rows r·rb … of q kᵀ/√hs of sequence b, head h, each over the columns up to its row block's end. */
    private void scores(Pass ps, Acts a, int b, int h) {
        int ld = 3 * d, nb = blocks(ps), rb = T / nb;
        long q = (long) b * T * ld + h * hs, k = q + d, s = ((long) b * H + h) * T * T;
        for (int r = 0; r < nb; r++) {
            Blas.gemm1(false, true, rb, (r + 1) * rb, hs, scale, a.qkv, q + (long) r * rb * ld, ld, a.qkv, k, ld, 0, a.att, s + (long) r * rb * T, T);
        }
    }

    /** y rows = P rows · v of sequence b, head h, over the columns that are not masked. */
    private void values(Pass ps, Acts a, int b, int h) {
        int ld = 3 * d, nb = blocks(ps), rb = T / nb;
        long v = (long) b * T * ld + h * hs + 2 * d, s = ((long) b * H + h) * T * T, yo = (long) b * T * d + h * hs;
        for (int r = 0; r < nb; r++) {
            Blas.gemm1(false, false, rb, hs, (r + 1) * rb, 1, a.att, s + (long) r * rb * T, T, a.qkv, v, ld, 0, a.y, yo + (long) r * rb * d, d);
        }
    }

    /** dP = dy · vᵀ and dv = Pᵀ · dy of sequence b, head h, over the unmasked blocks. */
    private void valuesBackward(Pass ps, Acts a, Buf dy, Scratch sc, int b, int h) {
        int ld = 3 * d, nb = blocks(ps), rb = T / nb;
        long v = (long) b * T * ld + h * hs + 2 * d, s = ((long) b * H + h) * T * T, yo = (long) b * T * d + h * hs;
        for (int r = 0; r < nb; r++) {
            long rq = (long) r * rb;
            // dP rows = dy rows · vᵀ (columns up to the block's end)
            Blas.gemm1(false, true, rb, (r + 1) * rb, hs, 1, dy, yo + rq * d, d, a.qkv, v, ld, 0, sc.datt, s + rq * T, T);
            // dv rows of block r = (P rows r·rb … T−1, columns of block r)ᵀ · dy rows r·rb … T−1
            Blas.gemm1(true, false, rb, hs, T - r * rb, 1, a.att, s + rq * T + rq, T, dy, yo + rq * d, d, 0, sc.dqkv, v + rq * ld, ld);
        }
    }

    /** dq = dS · k and dk = dSᵀ · q of sequence b, head h, over the unmasked blocks. */
    private void scoresBackward(Pass ps, Acts a, Scratch sc, int b, int h) {
        int ld = 3 * d, nb = blocks(ps), rb = T / nb;
        long q = (long) b * T * ld + h * hs, k = q + d, s = ((long) b * H + h) * T * T;
        for (int r = 0; r < nb; r++) {
            long rq = (long) r * rb;
            // dq rows = dS rows · k (columns up to the block's end)
            Blas.gemm1(false, false, rb, hs, (r + 1) * rb, 1, sc.datt, s + rq * T, T, a.qkv, k, ld, 0, sc.dqkv, q + rq * ld, ld);
            // dk rows of block r = (dS rows r·rb … T−1, columns of block r)ᵀ · q rows r·rb … T−1
            Blas.gemm1(true, false, rb, hs, T - r * rb, 1, sc.datt, s + rq * T + rq, T, a.qkv, q + rq * ld, ld, 0, sc.dqkv, k + rq * ld, ld);
        }
    }

    /** x (B·T, d), normalised → (B·T, d). */
    SDVariable emit(Graph g, SDVariable x) {
        SDVariable t = qkv.emit(g, x);                                               // (B·T, 3d)
        t = t.reshape(-1, T, 3, H, hs).permute(2, 0, 3, 1, 4);                       // (3, B, H, T, hs)
        SDVariable[] s = g.sd.unstack(t, 0, 3);
        SDVariable q = s[0], k = s[1], v = s[2];                                     // (B, H, T, hs)
        if (rope != null) {
            q = rope.emit(g, q, H);
            k = rope.emit(g, k, H);
        }
        // Additive causal mask: 0 on and below the diagonal, -1e9 above. exp(-1e9 - max) is exactly 0
        // in float, so a future token contributes nothing, bit for bit.
        SDVariable mask = g.constant("causal_mask", () -> {
            INDArray m = Nd4j.zeros(g.dtype, T, T);
            for (int i = 0; i < T; i++) for (int j = i + 1; j < T; j++) m.putScalar(i, j, -1e9);
            return m;
        });                                                                          // (T, T)
        SDVariable att = g.sd.mmul(q, k, false, true, false).mul(scale).add(mask);  // (B, H, T, T)
        att = g.sd.nn.softmax(att, 3);
        SDVariable y = g.sd.mmul(att, v);                                           // (B, H, T, hs)
        y = y.permute(0, 2, 1, 3).reshape(-1, d);                                   // (B·T, d)
        return proj.emit(g, y);
    }
}
