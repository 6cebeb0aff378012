package org.scalelab.trainer;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.scalelab.datasets.UserError;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Shape of a decoder-only transformer (pre-norm): GPT-2's by default, with the variants a modern model
 * ladder uses (RMSNorm, SwiGLU, rotary positions) one setting away. The tensors a shape has are listed by
 * {@link org.scalelab.trainer.model.ParamLayout}.
 *
 * @param nLayer     transformer blocks; depth is what DeepNarrow spends parameters on
 * @param dModel     residual stream width; Kaplan's N ≈ 12·nLayer·dModel²
 * @param nHead      attention heads; dModel must divide evenly (head size = dModel / nHead)
 * @param dFf        MLP hidden width; 0 means the default of the MLP kind ({@link #ff()})
 * @param nCtx       context length in tokens; also the number of learned positions
 * @param nVocab     vocabulary size; 0 means "take it from the tokenizer"
 * @param dropout    drop probability on embeddings and residual branches; 0 for scaling studies
 *                   (Kaplan trained without it at these sizes and it confounds L(N))
 * @param tiedOutput output projection shares the token embedding (GPT-2); false adds an nVocab×dModel matrix
 * @param bias       biases in the linear layers and layer norms (GPT-2 has them; RMSNorm has none)
 * @param norm       {@code layernorm} (GPT-2) or {@code rmsnorm} (Llama: no mean, no shift)
 * @param mlp        {@code gelu} (GPT-2, tanh approximation) or {@code swiglu} (Llama: silu(x·Wg) ⊙ (x·Wu), then Wd)
 * @param position   {@code learned} (an nCtx×dModel embedding) or {@code rope} (rotary on q and k, base 10000)
 * @param parameterization {@code sp} (standard, GPT-2's), {@code mup} (Yang et al. 2022: the best learning rate
 *                   does not move with width) or {@code completep} (Dey et al. 2025: nor with depth);
 *                   docs/parameterization.md has every rule ({@link org.scalelab.trainer.model.Parameterization})
 * @param baseWidth  μP and CompleteP: the dModel the hyperparameters were tuned at (required for them)
 * @param baseDepth  CompleteP: the nLayer the hyperparameters were tuned at (required for it)
 * @param attentionMultiplier α_attn, a tunable factor on q·kᵀ on top of the parameterization's 1/√hs (SP) or
 *                   1/hs (μP, CompleteP); 0 (as in files from before it existed) means 1
 * @param outputMultiplier α_out, a tunable factor on the logits on top of the parameterization's 1/m; 0 means 1.
 *                   μP transfers both from the base shape like the learning rate (Yang et al. 2022, section 6)
 */
public record ModelConfig(int nLayer, int dModel, int nHead, int dFf, int nCtx, int nVocab,
                          double dropout, boolean tiedOutput, boolean bias, Norm norm, Mlp mlp, Position position,
                          Parameterization parameterization, int baseWidth, int baseDepth,
                          double attentionMultiplier, double outputMultiplier) {

    public static final ModelConfig DEFAULT = new ModelConfig(2, 64, 2, 0, 64, 0, 0.0, true, true);

    /** Normalisation layers: before attention, before the MLP, and after the last block. */
    public enum Norm {
        LAYERNORM, RMSNORM;

        @JsonValue public String id() { return name().toLowerCase(Locale.ROOT); }

        @JsonCreator public static Norm of(String s) { return parse(Norm.class, "model.norm", s); }
    }

    /** The feed-forward block. */
    public enum Mlp {
        GELU, SWIGLU;

        @JsonValue public String id() { return name().toLowerCase(Locale.ROOT); }

        @JsonCreator public static Mlp of(String s) { return parse(Mlp.class, "model.mlp", s); }
    }

    /** How positions enter: a learned embedding added to the tokens', or rotations of queries and keys. */
    public enum Position {
        LEARNED, ROPE;

        @JsonValue public String id() { return name().toLowerCase(Locale.ROOT); }

        @JsonCreator public static Position of(String s) { return parse(Position.class, "model.position", s); }
    }

    /** How initialisation, learning rates and three forward multipliers scale with width and depth. */
    public enum Parameterization {
        SP, MUP, COMPLETEP;

        @JsonValue public String id() { return name().toLowerCase(Locale.ROOT); }

        @JsonCreator public static Parameterization of(String s) { return parse(Parameterization.class, "model.parameterization", s); }
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String field, String s) {
        for (E e : type.getEnumConstants()) if (e.name().equalsIgnoreCase(s == null ? "" : s.trim())) return e;
        throw new UserError(field + ": '" + s + "' is not one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", ")));
    }

    /** Variants left out (an older spec.json) are GPT-2's, in standard parameterization. */
    public ModelConfig {
        if (norm == null) norm = Norm.LAYERNORM;
        if (mlp == null) mlp = Mlp.GELU;
        if (position == null) position = Position.LEARNED;
        if (parameterization == null) parameterization = Parameterization.SP;
        if (attentionMultiplier == 0) attentionMultiplier = 1;
        if (outputMultiplier == 0) outputMultiplier = 1;
    }

    /** A model with the parameterization's own multipliers (α_attn = α_out = 1). */
    public ModelConfig(int nLayer, int dModel, int nHead, int dFf, int nCtx, int nVocab,
                       double dropout, boolean tiedOutput, boolean bias, Norm norm, Mlp mlp, Position position,
                       Parameterization parameterization, int baseWidth, int baseDepth) {
        this(nLayer, dModel, nHead, dFf, nCtx, nVocab, dropout, tiedOutput, bias, norm, mlp, position, parameterization,
                baseWidth, baseDepth, 1, 1);
    }

    /** GPT-2's architecture: LayerNorm, GELU MLP, learned positions. */
    public ModelConfig(int nLayer, int dModel, int nHead, int dFf, int nCtx, int nVocab,
                       double dropout, boolean tiedOutput, boolean bias) {
        this(nLayer, dModel, nHead, dFf, nCtx, nVocab, dropout, tiedOutput, bias, Norm.LAYERNORM, Mlp.GELU, Position.LEARNED);
    }

    /** A model in standard parameterization. */
    public ModelConfig(int nLayer, int dModel, int nHead, int dFf, int nCtx, int nVocab,
                       double dropout, boolean tiedOutput, boolean bias, Norm norm, Mlp mlp, Position position) {
        this(nLayer, dModel, nHead, dFf, nCtx, nVocab, dropout, tiedOutput, bias, norm, mlp, position, Parameterization.SP, 0, 0);
    }

    /** This config in another parameterization, with its base shape. */
    public ModelConfig withParameterization(Parameterization p, int width, int depth) {
        return new ModelConfig(nLayer, dModel, nHead, dFf, nCtx, nVocab, dropout, tiedOutput, bias, norm, mlp, position, p, width, depth,
                attentionMultiplier, outputMultiplier);
    }

    /** This config with other tunable multipliers α_attn and α_out. */
    public ModelConfig withMultipliers(double attention, double output) {
        return new ModelConfig(nLayer, dModel, nHead, dFf, nCtx, nVocab, dropout, tiedOutput, bias, norm, mlp, position,
                parameterization, baseWidth, baseDepth, attention, output);
    }

    /**
     * The MLP width in effect: dFf, or by default 4·dModel for GELU and, for SwiGLU (three matrices instead
     * of two), 8·dModel/3 rounded to the nearest integer, which keeps the MLP's weight count that of the
     * GELU MLP (exactly when dModel is a multiple of 3), as Llama does.
     */
    public int ff() {
        if (dFf > 0) return dFf;
        return mlp == Mlp.SWIGLU ? (int) Math.round(8.0 * dModel / 3) : 4 * dModel;
    }

    /** Head size in channels. */
    public int headSize() {
        return dModel / nHead;
    }

    public ModelConfig withVocab(int v) {
        return new ModelConfig(nLayer, dModel, nHead, dFf, nCtx, v, dropout, tiedOutput, bias, norm, mlp, position,
                parameterization, baseWidth, baseDepth, attentionMultiplier, outputMultiplier);
    }

    /**
     * This config with another depth, width and head count (everything else, variants and the
     * parameterization's base shape included, kept).
     */
    public ModelConfig withShape(int layers, int width, int heads) {
        return new ModelConfig(layers, width, heads, dFf, nCtx, nVocab, dropout, tiedOutput, bias, norm, mlp, position,
                parameterization, baseWidth, baseDepth, attentionMultiplier, outputMultiplier);
    }

    /**
     * What the weights mean: this config without dropout (which changes no tensor) and with the MLP width
     * resolved. Two runs with equal architectures can load each other's weights.
     */
    public ModelConfig architecture() {
        return new ModelConfig(nLayer, dModel, nHead, ff(), nCtx, nVocab, 0, tiedOutput, bias, norm, mlp, position,
                parameterization, parameterization == Parameterization.SP ? 0 : baseWidth,
                parameterization == Parameterization.COMPLETEP ? baseDepth : 0, attentionMultiplier, outputMultiplier);
    }

    /** The variants in a word each, e.g. "layernorm+gelu+learned". */
    public String variants() {
        return norm.id() + "+" + mlp.id() + "+" + position.id();
    }

    /** Checks every field; the message names the field and the fix. */
    public ModelConfig validate() {
        positive("model.nLayer", nLayer);
        positive("model.dModel", dModel);
        positive("model.nHead", nHead);
        positive("model.nCtx", nCtx);
        positive("model.nVocab", nVocab);
        if (dFf < 0) throw new UserError("model.dFf must be ≥ 0 (0 means the MLP's default width), got " + dFf);
        if (dModel % nHead != 0) {
            throw new UserError("model.dModel (" + dModel + ") must be divisible by model.nHead (" + nHead
                    + "); e.g. nHead=" + largestDivisorAtMost(dModel, nHead));
        }
        if (position == Position.ROPE && headSize() % 2 != 0) {
            throw new UserError("model.position=rope rotates pairs of channels, so the head size dModel/nHead must be even, got "
                    + dModel + "/" + nHead + " = " + headSize() + "; change model.nHead or model.dModel");
        }
        if (!(dropout >= 0 && dropout < 1)) throw new UserError("model.dropout must be in [0, 1), got " + dropout);
        if (baseWidth < 0) throw new UserError("model.baseWidth must be ≥ 0, got " + baseWidth);
        if (baseDepth < 0) throw new UserError("model.baseDepth must be ≥ 0, got " + baseDepth);
        if (!(attentionMultiplier > 0 && Double.isFinite(attentionMultiplier))) {
            throw new UserError("model.attentionMultiplier must be a positive number (1: the parameterization's own scale), got " + attentionMultiplier);
        }
        if (!(outputMultiplier > 0 && Double.isFinite(outputMultiplier))) {
            throw new UserError("model.outputMultiplier must be a positive number (1: the parameterization's own scale), got " + outputMultiplier);
        }
        if (parameterization != Parameterization.SP && baseWidth == 0) {
            throw new UserError("model.parameterization=" + parameterization.id() + " needs model.baseWidth, the dModel the learning rate "
                    + "was tuned at (the same for every model of a sweep), e.g. model.baseWidth=" + dModel);
        }
        if (parameterization == Parameterization.COMPLETEP && baseDepth == 0) {
            throw new UserError("model.parameterization=completep needs model.baseDepth, the nLayer the learning rate was tuned at "
                    + "(the same for every model of a sweep), e.g. model.baseDepth=" + nLayer);
        }
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
