package org.scalelab.trainer.model;

import org.scalelab.trainer.ModelConfig;


/**
 * Parameter and FLOP accounting in Kaplan et al. (2020)'s conventions (README.md, "Counting conventions"), counted from the
 * model's {@link ParamLayout}, so that every variant is counted exactly. N counts non-embedding
 * parameters: attention, MLP, norms and biases; not the token or position embeddings and not an untied
 * output matrix. Forward FLOPs per token C_fwd = 2N + 2·nLayer·nCtx·dAttn (dAttn = dModel); training
 * C = 6·N·D.
 */
public record Accounting(long nonEmbedding, long embedding, long total, long kaplanApprox,
                         double flopsPerTokenFwd, double unembedFlopsPerTokenFwd) {

    public static Accounting of(ModelConfig c) {
        ParamLayout layout = ParamLayout.of(c);
        long n = layout.count(true), all = layout.count(false);
        long d = c.dModel(), L = c.nLayer();
        double fwd = 2.0 * n + 2.0 * L * c.nCtx() * d;
        return new Accounting(n, all - n, all, 12L * L * d * d, fwd, 2.0 * d * c.nVocab());
    }

    /** Training FLOPs for D tokens, C = 6·N·D (Kaplan's convention, no attention or unembedding term). */
    public double trainingFlops(double tokens) {
        return 6.0 * nonEmbedding * tokens;
    }

    /** Training FLOPs with the attention term, C_attn = 3·C_fwd·D. */
    public double trainingFlopsWithAttention(double tokens) {
        return 3.0 * flopsPerTokenFwd * tokens;
    }

    /** The unembedding's training FLOPs, 6·dModel·nVocab·D, reported separately. */
    public double unembedFlops(double tokens) {
        return 3.0 * unembedFlopsPerTokenFwd * tokens;
    }

    public static final double PF_DAY = 8.64e19;
}
