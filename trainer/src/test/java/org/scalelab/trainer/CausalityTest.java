package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Changing token t changes no logit at positions before t, bit for bit, and does change position t:
 * for the SameDiff graph (evaluation, generation) and for the written-out forward pass that the float
 * training step runs ({@link Backprop}), with its attention in row blocks and without.
 */
class CausalityTest {

    @Test
    void futureTokensDoNotLeak() {
        ModelConfig cfg = new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true);
        Gpt gpt = Gpt.build(cfg, DataType.FLOAT, 5);
        int T = cfg.nCtx(), V = cfg.nVocab();
        Rng rng = new Rng(9);
        int[] base = new int[T];
        for (int i = 0; i < T; i++) base[i] = (int) rng.nextLong(V);
        INDArray ref = logits(gpt, base);
        for (int t = 0; t < T; t++) {
            int[] changed = base.clone();
            changed[t] = (base[t] + 1 + (int) rng.nextLong(V - 1)) % V;
            INDArray out = logits(gpt, changed);
            for (int pos = 0; pos < t; pos++) {
                for (int v = 0; v < V; v++) {
                    assertEquals(Float.floatToIntBits(ref.getFloat(pos, v)), Float.floatToIntBits(out.getFloat(pos, v)),
                            "token " + t + " leaked into position " + pos);
                }
            }
            assertNotEquals(ref.getRow(t).sumNumber().doubleValue(), out.getRow(t).sumNumber().doubleValue(),
                    "position " + t + " must see its own token");
        }
    }

    @Test
    void futureTokensDoNotLeakInTheTrainingPasses() {
        int saved = Backprop.attentionBlockRows;
        try {
            Backprop.attentionBlockRows = 4;   // T = 16: four row blocks, each seeing the columns up to its end
            checkPasses(new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, true, true));
            Backprop.attentionBlockRows = 0;   // one block
            checkPasses(new ModelConfig(2, 16, 2, 0, 16, 11, 0.0, false, false));
        } finally {
            Backprop.attentionBlockRows = saved;
        }
    }

    /**
     * Two sequences per micro-batch; token t of the first one is changed. Its logits before t must not
     * change (bits), the second sequence's must not change at any position, and position t must change.
     */
    private static void checkPasses(ModelConfig cfg) {
        Gpt gpt = Gpt.build(cfg, DataType.FLOAT, 5);
        int T = cfg.nCtx(), V = cfg.nVocab(), B = 2;
        Backprop bp = new Backprop(gpt, B);
        Rng rng = new Rng(9);
        int[] base = new int[B * T];
        for (int i = 0; i < base.length; i++) base[i] = (int) rng.nextLong(V);
        float[] ref = bp.logits(base);
        for (int t = 0; t < T; t++) {
            int[] changed = base.clone();
            changed[t] = (base[t] + 1 + (int) rng.nextLong(V - 1)) % V;
            float[] out = bp.logits(changed);
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

    private static INDArray logits(Gpt gpt, int[] tokens) {
        Map<String, INDArray> ph = Map.of(
                Gpt.TOKENS, Batch.oneHot(tokens, gpt.config().nVocab(), DataType.FLOAT),
                Gpt.LABELS, Batch.oneHot(tokens, gpt.config().nVocab(), DataType.FLOAT));
        return gpt.sameDiff().output(ph, Gpt.LOGITS).get(Gpt.LOGITS).dup();
    }
}
