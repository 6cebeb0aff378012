package org.scalelab.trainer;

import org.scalelab.datasets.UserError;

/**
 * Shape of a decoder-only transformer (GPT-2 style, pre-LayerNorm).
 *
 * @param nLayer     transformer blocks; depth is what DeepNarrow spends parameters on
 * @param dModel     residual stream width; Kaplan's N ≈ 12·nLayer·dModel²
 * @param nHead      attention heads; dModel must divide evenly (head size = dModel / nHead)
 * @param dFf        MLP hidden width; 0 means 4·dModel, the GPT-2 ratio
 * @param nCtx       context length in tokens; also the number of learned positions
 * @param nVocab     vocabulary size; 0 means "take it from the tokenizer"
 * @param dropout    drop probability on embeddings and residual branches; 0 for scaling studies
 *                   (Kaplan trained without it at these sizes and it confounds L(N))
 * @param tiedOutput output projection shares the token embedding (GPT-2); false adds an nVocab×dModel matrix
 * @param bias       biases in the linear layers and layer norms (GPT-2 has them)
 */
public record ModelConfig(int nLayer, int dModel, int nHead, int dFf, int nCtx, int nVocab,
                          double dropout, boolean tiedOutput, boolean bias) {

    public static final ModelConfig DEFAULT = new ModelConfig(2, 64, 2, 0, 64, 0, 0.0, true, true);

    /** The MLP width in effect: dFf, or 4·dModel when dFf is 0. */
    public int ff() {
        return dFf > 0 ? dFf : 4 * dModel;
    }

    /** Head size in channels. */
    public int headSize() {
        return dModel / nHead;
    }

    public ModelConfig withVocab(int v) {
        return new ModelConfig(nLayer, dModel, nHead, dFf, nCtx, v, dropout, tiedOutput, bias);
    }

    /** Checks every field; the message names the field and the fix. */
    public ModelConfig validate() {
        positive("model.nLayer", nLayer);
        positive("model.dModel", dModel);
        positive("model.nHead", nHead);
        positive("model.nCtx", nCtx);
        positive("model.nVocab", nVocab);
        if (dFf < 0) throw new UserError("model.dFf must be ≥ 0 (0 means 4·dModel), got " + dFf);
        if (dModel % nHead != 0) {
            throw new UserError("model.dModel (" + dModel + ") must be divisible by model.nHead (" + nHead
                    + "); e.g. nHead=" + largestDivisorAtMost(dModel, nHead));
        }
        if (!(dropout >= 0 && dropout < 1)) throw new UserError("model.dropout must be in [0, 1), got " + dropout);
        return this;
    }

    private static void positive(String field, long v) {
        if (v <= 0) throw new UserError(field + " must be > 0, got " + v);
    }

    private static int largestDivisorAtMost(int n, int k) {
        for (int d = Math.min(n, k); d > 1; d--) if (n % d == 0) return d;
        return 1;
    }
}
