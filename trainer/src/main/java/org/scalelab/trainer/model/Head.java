package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;

/** The output projection to logits: x·wteᵀ when tied to the token embedding (GPT-2), else x·lm_head (d, V). */
final class Head {
    private final ParamLayout.Tensor w;
    private final boolean tied;
    private final int d, V;
    /** The factor on the logits (μP's 1/m; 1 in SP), folded into the products' α. */
    private final float mult;

    Head(ParamLayout layout, Embedding emb, boolean tied, int d, int V, double std, float mult) {
        this.tied = tied;
        this.mult = mult;
        this.d = d;
        this.V = V;
        this.w = tied ? emb.wte : layout.add("lm_head", ParamLayout.Init.NORMAL, std, ParamLayout.Role.OUTPUT, d, V);
    }

    /** logits (rows, V) of x's rows r0 … r0 + rows − 1. */
    void forward(Pass ps, Buf x, long r0, int rows, Buf logits) {
        if (tied) ps.blas.gemm(false, true, rows, V, d, mult, x, r0 * d, d, ps.p(w), 0, d, 0, logits, 0, V);
        else ps.blas.gemm(false, false, rows, V, d, mult, x, r0 * d, d, ps.p(w), 0, V, 0, logits, 0, V);
        ps.tick("f.gemm");
    }

    /** From dlogits (N, V): dx (N, d) overwritten, the weight's gradient added to. */
    void backward(Pass ps, Buf x, Buf dlogits, Buf dx) {
        int N = ps.N;
        if (tied) {
            ps.blas.gemm(false, false, N, d, V, mult, dlogits, 0, V, ps.p(w), 0, d, 0, dx, 0, d);
            ps.blas.gemm(true, false, V, d, N, mult, dlogits, 0, V, x, 0, d, 1, ps.g(w), 0, d);
        } else {
            ps.blas.gemm(false, true, N, d, V, mult, dlogits, 0, V, ps.p(w), 0, V, 0, dx, 0, d);
            ps.blas.gemm(true, false, d, V, N, mult, x, 0, d, dlogits, 0, V, 1, ps.g(w), 0, V);
        }
        ps.tick("b.gemm");
    }

    /** x (B·T, d) → logits (B·T, V). */
    SDVariable emit(Graph g, SDVariable x) {
        SDVariable logits = tied ? g.sd.mmul(x, g.var(w), false, true, false) : g.sd.mmul(x, g.var(w));
        return mult == 1 ? logits : logits.mul(mult);
    }
}
