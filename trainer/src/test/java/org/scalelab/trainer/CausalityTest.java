package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** Changing token t changes no logit at positions before t, bit for bit, and does change position t. */
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

    private static INDArray logits(Gpt gpt, int[] tokens) {
        Map<String, INDArray> ph = Map.of(
                Gpt.TOKENS, Batch.oneHot(tokens, gpt.config().nVocab(), DataType.FLOAT),
                Gpt.LABELS, Batch.oneHot(tokens, gpt.config().nVocab(), DataType.FLOAT));
        return gpt.sameDiff().output(ph, Gpt.LOGITS).get(Gpt.LOGITS).dup();
    }
}
