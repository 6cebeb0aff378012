package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.trainer.engine.CpuEngine;
import org.scalelab.trainer.kernels.Sections;
import org.scalelab.trainer.model.Pass;

import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changing token t of a sequence changes no logit at positions before t, nor any logit of another sequence
 * of the batch, bit for bit, and does change position t: for the SameDiff graph, for the CPU engine's
 * training forward pass (attention in row blocks and not) and for its evaluation pass, for every variant
 * (rotary positions included).
 */
class CausalityTest {

    @Test
    void futureTokensDoNotLeakInTheGraph() {
        for (ModelConfig cfg : Models.variants(new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true))) {
            var g = Models.graph(cfg, DataType.FLOAT, 5);
            check(cfg, 2, tokens -> g.logits(tokens, 0, tokens.length));
        }
    }

    @Test
    void futureTokensDoNotLeakInTheCpuPasses() {
        for (ModelConfig cfg : Models.variants(new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, true, true))) {
            // T = 16: four row blocks, each seeing the columns up to its end; then one block
            CpuEngine blocks = Models.cpu(cfg, 5, new Pass.Options(4, 1L << 20, Sections.OFF));
            check(cfg, 2, tokens -> blocks.logits(tokens, true));
            CpuEngine one = Models.cpu(cfg, 5, new Pass.Options(0, 1L << 20, Sections.OFF));
            check(cfg, 2, tokens -> one.logits(tokens, true));
            check(cfg, 2, tokens -> one.logits(tokens, false));
        }
        ModelConfig untied = new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, false, false);
        CpuEngine e = Models.cpu(untied, 5);
        check(untied, 2, tokens -> e.logits(tokens, true));
    }

    /**
     * B sequences; token t of the first one is changed. Its logits before t must not change (bits), the
     * other sequences' must not change at any position, and position t must change.
     */
    private static void check(ModelConfig cfg, int B, Function<int[], float[]> logits) {
        int T = cfg.nCtx(), V = cfg.nVocab();
        Rng rng = new Rng(9);
        int[] base = new int[B * T];
        for (int i = 0; i < base.length; i++) base[i] = (int) rng.nextLong(V);
        float[] ref = logits.apply(base);
        for (int t = 0; t < T; t++) {
            int[] changed = base.clone();
            changed[t] = (base[t] + 1 + (int) rng.nextLong(V - 1)) % V;
            float[] out = logits.apply(changed);
            for (int n = 0; n < B * T; n++) {
                if (n >= t && n < T) continue;   // positions t… of the changed sequence may change
                for (int v = 0; v < V; v++) {
                    assertEquals(Float.floatToIntBits(ref[n * V + v]), Float.floatToIntBits(out[n * V + v]),
                            "token " + t + " of sequence 0 leaked into row " + n + " (" + cfg + ")");
                }
            }
            boolean seen = false;
            for (int v = 0; v < V; v++) seen |= ref[t * V + v] != out[t * V + v];
            assertTrue(seen, "position " + t + " must see its own token (" + cfg + ")");
        }
    }
}
