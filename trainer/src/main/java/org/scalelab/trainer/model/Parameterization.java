package org.scalelab.trainer.model;

import org.scalelab.trainer.ModelConfig;

/**
 * The rules of a parameterization: initial standard deviations, per-tensor learning-rate and weight-decay
 * multipliers for AdamW, AdamW's ε, and three forward multipliers (attention scale, output logits,
 * residual branches), as functions of the width multiplier m = dModel/baseWidth and the depth multiplier
 * k = nLayer/baseDepth. docs/parameterization.md has the table with the equations each rule comes from.
 *
 * <ul>
 *   <li>{@code sp}: GPT-2's: hidden init 0.02, residual projections 0.02/√(2L), attention 1/√hs, every
 *       multiplier 1. Bit for bit what ScaleLab did before parameterizations existed.</li>
 *   <li>{@code mup} (Yang et al. 2022, Tensor Programs V, arXiv 2203.03466: the rules for Adam, in the form with
 *       an output multiplier):
 *       hidden matrices (q|k|v, attention out, MLP in and out) init 0.02/√m and learning rate lr/m;
 *       embeddings, norms and biases unchanged; logits multiplied by 1/m (the output layer keeps a constant
 *       init and learning rate, so a tied embedding is both input and output); attention q·kᵀ/hs.</li>
 *   <li>{@code completep} (Dey et al. 2025, arXiv 2505.01618, Table 1 with α = 1): μP plus residual branches multiplied by 1/k,
 *       AdamW's ε divided by m·k, and the hidden matrices' weight decay multiplied by m so that their
 *       decoupled decay lr·wd does not shrink with width; with α = 1 no learning rate moves with depth.</li>
 * </ul>
 * At the base shape (m = k = 1) μP and CompleteP differ from SP only in the attention scale (1/hs) and
 * the residual projections' init (0.02 instead of 0.02/√(2L)).
 */
public final class Parameterization {
    /** GPT-2's initial standard deviation of matrices and embeddings. */
    static final double STD = 0.02;

    private final ModelConfig.Parameterization kind;
    private final double m, k;
    private final int layers, headSize;
    private final double alphaAttn, alphaOut;

    private Parameterization(ModelConfig c) {
        kind = c.parameterization();
        m = kind == ModelConfig.Parameterization.SP || c.baseWidth() == 0 ? 1 : (double) c.dModel() / c.baseWidth();
        k = kind == ModelConfig.Parameterization.COMPLETEP && c.baseDepth() > 0 ? (double) c.nLayer() / c.baseDepth() : 1;
        layers = c.nLayer();
        headSize = c.headSize();
        alphaAttn = c.attentionMultiplier();
        alphaOut = c.outputMultiplier();
    }

    public static Parameterization of(ModelConfig c) {
        return new Parameterization(c);
    }

    public ModelConfig.Parameterization kind() { return kind; }

    /** dModel / baseWidth (1 in SP). */
    public double widthMultiplier() { return m; }

    /** nLayer / baseDepth (1 unless CompleteP). */
    public double depthMultiplier() { return k; }

    private boolean sp() { return kind == ModelConfig.Parameterization.SP; }

    /** Init std of q|k|v and the MLP's input matrix. */
    double hiddenStd() {
        return sp() ? STD : STD / Math.sqrt(m);
    }

    /** Init std of the attention and MLP output projections (GPT-2 scales them by depth; μP by width). */
    double residualStd() {
        return sp() ? STD / Math.sqrt(2.0 * layers) : STD / Math.sqrt(m);
    }

    /** The factor on q·kᵀ: α_attn/√hs in SP, α_attn/hs in μP and CompleteP. */
    public float attentionScale() {
        double base = sp() ? 1.0 / Math.sqrt(headSize) : 1.0 / headSize;
        return (float) (alphaAttn == 1 ? base : alphaAttn * base);
    }

    /** The factor on the logits: α_out/m. */
    public float outputMultiplier() {
        return (float) (alphaOut == 1 ? 1.0 / m : alphaOut / m);
    }

    /** The factor on each residual branch before it is added to the stream. */
    float residualMultiplier() {
        return (float) (1.0 / k);
    }

    private static boolean hidden(ParamLayout.Role r) {
        return r == ParamLayout.Role.ATTN_QKV || r == ParamLayout.Role.ATTN_OUT || r == ParamLayout.Role.MLP_IN || r == ParamLayout.Role.MLP_OUT;
    }

    /** Per tensor, in layout order: the factor on the learning rate. */
    public double[] learningRateMultipliers(ParamLayout layout) {
        double[] out = new double[layout.size()];
        for (ParamLayout.Tensor t : layout.tensors()) out[t.index()] = !sp() && hidden(t.role()) ? 1 / m : 1;
        return out;
    }

    /** Per tensor, in layout order: the factor on the weight decay. */
    public double[] weightDecayMultipliers(ParamLayout layout) {
        double[] out = new double[layout.size()];
        boolean complete = kind == ModelConfig.Parameterization.COMPLETEP;
        for (ParamLayout.Tensor t : layout.tensors()) out[t.index()] = complete && hidden(t.role()) ? m : 1;
        return out;
    }

    /** The factor on AdamW's ε. */
    public double adamEpsMultiplier() {
        return kind == ModelConfig.Parameterization.COMPLETEP ? 1 / (m * k) : 1;
    }
}
