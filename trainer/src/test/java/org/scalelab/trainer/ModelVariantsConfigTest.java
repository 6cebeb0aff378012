package org.scalelab.trainer;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.run.*;
import org.junit.jupiter.api.Test;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.model.ParamLayout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The variants as a user writes them: config keys, errors, run ids, the tensors and N they give. */
class ModelVariantsConfigTest {

    @Test
    void variantsAreConfigKeysWithOneLineErrors() {
        RunConfig c = ConfigLoader.load(null, List.of("model.norm=rmsnorm", "model.mlp=swiglu", "model.position=rope"));
        assertEquals(ModelConfig.Norm.RMSNORM, c.model().norm());
        assertEquals(ModelConfig.Mlp.SWIGLU, c.model().mlp());
        assertEquals(ModelConfig.Position.ROPE, c.model().position());
        UserError e = assertThrows(UserError.class, () -> ConfigLoader.load(null, List.of("model.norm=batchnorm")));
        assertEquals("--set model.norm=batchnorm: model.norm: 'batchnorm' is not one of layernorm, rmsnorm", e.getMessage());
        UserError odd = assertThrows(UserError.class, () -> ConfigLoader.load(null,
                List.of("model.position=rope", "model.dModel=6", "model.nHead=2", "model.nVocab=10")).model().validate());
        assertTrue(odd.getMessage().contains("head size"), odd.getMessage());
    }

    @Test
    void defaultsKeepTheirRunIdAndVariantsChangeIt() {
        RunConfig base = ConfigLoader.load(null, List.of("data.corpus=synthetic"));
        RunConfig explicit = ConfigLoader.load(null, List.of("data.corpus=synthetic", "model.norm=layernorm", "model.mlp=gelu"));
        assertEquals(RunIds.of(base), RunIds.of(explicit));
        assertFalse(RunIds.hashedText(base).contains("norm"), "defaults are not hashed");
        assertNotEquals(RunIds.of(base), RunIds.of(ConfigLoader.load(null, List.of("data.corpus=synthetic", "model.norm=rmsnorm"))));
        RunConfig ones = ConfigLoader.load(null, List.of("data.corpus=synthetic", "model.attentionMultiplier=1", "model.outputMultiplier=1.0"));
        assertEquals(RunIds.of(base), RunIds.of(ones), "α_attn = α_out = 1 keeps the id");
        assertFalse(RunIds.hashedText(base).contains("Multiplier"), "default multipliers are not hashed");
        RunConfig tuned = ConfigLoader.load(null, List.of("data.corpus=synthetic", "model.outputMultiplier=2"));
        assertEquals(2, tuned.model().outputMultiplier(), 0);
        assertNotEquals(RunIds.of(base), RunIds.of(tuned));
    }

    /** Hand count of a Llama-style block: no norm biases, no position embedding, SwiGLU width round(8·64/3) = 171. */
    @Test
    void llamaStyleLayoutAndCount() {
        ModelConfig c = new ModelConfig(2, 64, 2, 0, 64, 65, 0.0, true, true,
                ModelConfig.Norm.RMSNORM, ModelConfig.Mlp.SWIGLU, ModelConfig.Position.ROPE);
        assertEquals(171, c.ff());
        ParamLayout layout = ParamLayout.of(c);
        assertFalse(layout.names().contains("wpe"));
        assertFalse(layout.names().contains("h0.ln1.b"));
        assertEquals(List.of(64L, 342L), java.util.Arrays.stream(layout.tensors().get(layout.names().indexOf("h0.mlp.fc.w")).shape()).boxed().toList());
        long perLayer = (64 * 192 + 192) + (64 * 64 + 64)      // qkv, proj
                + (64 * 342 + 342) + (171 * 64 + 64)              // gate|up, down
                + 2 * 64;                                         // two RMSNorm gains
        Accounting a = Accounting.of(c);
        assertEquals(2 * perLayer + 64, a.nonEmbedding());
        assertEquals(65 * 64, a.embedding());
        // the MLP's weights against the GELU MLP's 2·64·256 of the same config: within one column of three matrices
        long gelu = Accounting.of(new ModelConfig(2, 64, 2, 0, 64, 65, 0.0, true, false)).nonEmbedding() - 2 * (4L * 64 * 64) - 2 * 64L * 2 - 64;
        long swiglu = Accounting.of(new ModelConfig(2, 64, 2, 0, 64, 65, 0.0, true, false, ModelConfig.Norm.RMSNORM,
                ModelConfig.Mlp.SWIGLU, ModelConfig.Position.ROPE)).nonEmbedding() - 2 * (4L * 64 * 64) - 2 * 64L * 2 - 64;
        assertEquals(2 * 2 * 64 * 256, gelu);
        assertTrue(Math.abs(swiglu - gelu) <= 2 * 3 * 64, "SwiGLU " + swiglu + " vs GELU " + gelu + " MLP weights");
    }
}
