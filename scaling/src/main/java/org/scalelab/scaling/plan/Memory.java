package org.scalelab.scaling.plan;

/**
 * Training memory per device for a decoder-only transformer, mixed precision with AdamW, no
 * sharding or activation recomputation:
 * <ul>
 *   <li>weights: 2 bytes (16-bit) + 4 bytes (fp32 master copy) per parameter;</li>
 *   <li>gradients: 2 bytes per parameter;</li>
 *   <li>Adam moments: 8 bytes per parameter (two fp32 tensors);</li>
 *   <li>activations: nLayer·s·b·d·(34 + 5·h·s/d) bytes (Korthikanti et al. 2022, 16-bit, no
 *       recomputation) plus 4·s·b·V bytes for the fp32 logits and their gradient.</li>
 * </ul>
 */
public record Memory(double weights, double gradients, double adam, double activations) {
    public double total() {
        return weights + gradients + adam + activations;
    }

    /**
     * @param params     all parameters (embeddings included)
     * @param microBatch sequences per device per forward pass
     */
    public static Memory estimate(double params, int nLayer, int dModel, int nHead, int nCtx, int nVocab, int microBatch) {
        double sbd = (double) nCtx * microBatch * dModel;
        double act = nLayer * sbd * (34 + 5.0 * nHead * nCtx / dModel) + 8.0 * nCtx * microBatch * nVocab;
        return new Memory(6 * params, 2 * params, 8 * params, act);
    }
}
