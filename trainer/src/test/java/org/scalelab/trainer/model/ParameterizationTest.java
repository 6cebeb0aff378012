package org.scalelab.trainer.model;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;

import static org.junit.jupiter.api.Assertions.*;

/** The rules of docs/parameterization.md, tensor by tensor, and SP's being GPT-2's. */
class ParameterizationTest {
    static final ModelConfig BASE = new ModelConfig(4, 256, 4, 0, 16, 50, 0, true, true);

    private static double sampleStd(Weights w, String name) {
        float[] v = w.byName().get(name).data().asFloat();
        double s = 0;
        for (float x : v) s += x * x;
        return Math.sqrt(s / v.length);
    }

    @Test
    void spIsGpt2() {
        Parameterization p = Parameterization.of(BASE);
        assertEquals(0.02, p.hiddenStd(), 0);
        assertEquals(0.02 / Math.sqrt(8), p.residualStd(), 0);
        assertEquals((float) (1 / Math.sqrt(64)), p.attentionScale(), 0);
        assertEquals(1f, p.outputMultiplier(), 0);
        assertEquals(1f, p.residualMultiplier(), 0);
        assertEquals(1, p.adamEpsMultiplier(), 0);
        ParamLayout layout = ParamLayout.of(BASE);
        for (double m : p.learningRateMultipliers(layout)) assertEquals(1, m, 0);
        for (double m : p.weightDecayMultipliers(layout)) assertEquals(1, m, 0);
    }

    @Test
    void muPScalesHiddenMatricesByWidth() {
        ModelConfig c = BASE.withParameterization(ModelConfig.Parameterization.MUP, 64, 0);   // m = 4
        Parameterization p = Parameterization.of(c);
        assertEquals(4, p.widthMultiplier(), 0);
        assertEquals((float) (1.0 / 64), p.attentionScale(), 0, "1/hs");
        assertEquals(0.25f, p.outputMultiplier(), 0);
        assertEquals(1f, p.residualMultiplier(), 0);
        ParamLayout layout = ParamLayout.of(c);
        double[] lr = p.learningRateMultipliers(layout);
        for (ParamLayout.Tensor t : layout.tensors()) {
            boolean hidden = t.name().matches("h\\d+\\.(attn\\.(qkv|proj)|mlp\\.(fc|proj))\\.w");
            assertEquals(hidden ? 0.25 : 1, lr[t.index()], 0, t.name());
        }
        Weights w = Weights.init(layout, DataType.FLOAT, 3);
        assertEquals(0.01, sampleStd(w, "h0.attn.qkv.w"), 0.0005, "0.02/√m");
        assertEquals(0.01, sampleStd(w, "h3.mlp.proj.w"), 0.0005, "0.02/√m, no depth factor");
        assertEquals(0.02, sampleStd(w, "wte"), 0.0005, "embeddings unchanged");
    }

    @Test
    void completePAddsTheDepthRules() {
        ModelConfig c = BASE.withParameterization(ModelConfig.Parameterization.COMPLETEP, 128, 2);   // m = 2, k = 2
        Parameterization p = Parameterization.of(c);
        assertEquals(0.5f, p.residualMultiplier(), 0);
        assertEquals(0.25, p.adamEpsMultiplier(), 1e-15, "ε/(m·k)");
        ParamLayout layout = ParamLayout.of(c);
        double[] wd = p.weightDecayMultipliers(layout), lr = p.learningRateMultipliers(layout);
        int qkv = layout.names().indexOf("h1.attn.qkv.w"), gain = layout.names().indexOf("h1.ln1.g");
        assertEquals(2, wd[qkv], 0);
        assertEquals(0.5, lr[qkv], 0);
        assertEquals(1, wd[gain], 0);
        assertEquals(1, lr[gain], 0, "α = 1: nothing moves with depth");
    }

    /** α_attn and α_out multiply the parameterization's own scales, in SP and in μP; 1 changes nothing. */
    @Test
    void tunableMultipliersScaleAttentionAndLogits() {
        ModelConfig mup = BASE.withParameterization(ModelConfig.Parameterization.MUP, 64, 0);   // m = 4, hs = 64
        Parameterization p = Parameterization.of(mup.withMultipliers(8, 2));
        assertEquals((float) (8.0 / 64), p.attentionScale(), 0, "α_attn/hs");
        assertEquals(0.5f, p.outputMultiplier(), 0, "α_out/m");
        Parameterization sp = Parameterization.of(BASE.withMultipliers(2, 3));
        assertEquals((float) (2 / Math.sqrt(64)), sp.attentionScale(), 0, "α_attn/√hs");
        assertEquals(3f, sp.outputMultiplier(), 0);
        Parameterization same = Parameterization.of(mup.withMultipliers(1, 1));
        assertEquals(Parameterization.of(mup).attentionScale(), same.attentionScale(), 0);
        assertEquals(Parameterization.of(mup).outputMultiplier(), same.outputMultiplier(), 0);
        assertEquals(mup, new ModelConfig(4, 256, 4, 0, 16, 50, 0, true, true, ModelConfig.Norm.LAYERNORM, ModelConfig.Mlp.GELU,
                ModelConfig.Position.LEARNED, ModelConfig.Parameterization.MUP, 64, 0, 0, 0), "0 (a file from before the multipliers) reads as 1");
        UserError e = assertThrows(UserError.class, () -> BASE.withMultipliers(-1, 1).validate());
        assertTrue(e.getMessage().contains("model.attentionMultiplier must be a positive number"), e.getMessage());
        e = assertThrows(UserError.class, () -> BASE.withMultipliers(1, Double.NaN).validate());
        assertTrue(e.getMessage().contains("model.outputMultiplier"), e.getMessage());
    }

    @Test
    void aBaseShapeIsRequired() {
        UserError e = assertThrows(UserError.class, () -> BASE.withParameterization(ModelConfig.Parameterization.MUP, 0, 0).validate());
        assertTrue(e.getMessage().contains("needs model.baseWidth"), e.getMessage());
        e = assertThrows(UserError.class, () -> BASE.withParameterization(ModelConfig.Parameterization.COMPLETEP, 64, 0).validate());
        assertTrue(e.getMessage().contains("needs model.baseDepth"), e.getMessage());
    }
}
