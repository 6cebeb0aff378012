package org.scalelab.trainer;

import org.scalelab.trainer.model.Accounting;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import static org.junit.jupiter.api.Assertions.assertEquals;

class AccountingTest {

    @Test
    void graphParameterCountEqualsFormula() {
        for (ModelConfig c : new ModelConfig[]{
                new ModelConfig(2, 16, 2, 0, 8, 11, 0.0, true, true),
                new ModelConfig(3, 24, 3, 40, 5, 7, 0.0, false, true),
                new ModelConfig(1, 8, 1, 0, 4, 5, 0.0, false, false)}) {
            for (ModelConfig v : Models.variants(c)) {
                // the graph's variables, counted by SameDiff, against the accounting's N and N_total
                var g = Models.graph(v, DataType.FLOAT, 1);
                long all = 0, emb = 0;
                for (var t : g.layout().tensors()) {
                    long n = g.sameDiff().getVariable(t.name()).getArr().length();
                    all += n;
                    if (t.name().equals("wte") || t.name().equals("wpe") || t.name().equals("lm_head")) emb += n;
                }
                Accounting a = Accounting.of(v);
                assertEquals(a.nonEmbedding(), all - emb, v.toString());
                assertEquals(a.total(), all, v.toString());
                assertEquals(all, g.sameDiff().variables().stream().filter(x -> x.getVariableType()
                        == org.nd4j.autodiff.samediff.VariableType.VARIABLE).mapToLong(x -> x.getArr().length()).sum(), v.toString());
            }
        }
    }

    @Test
    void handCountForOneShape() {
        // nLayer 2, dModel 64, dFf 256, nCtx 64, vocab 65, biases, tied.
        ModelConfig c = new ModelConfig(2, 64, 2, 0, 64, 65, 0.0, true, true);
        Accounting a = Accounting.of(c);
        long perLayer = (64 * 192 + 192) + (64 * 64 + 64)   // qkv, proj
                + (64 * 256 + 256) + (256 * 64 + 64)          // fc, proj
                + 2 * (64 + 64);                              // two layer norms
        long n = 2 * perLayer + 128;                          // + final layer norm
        assertEquals(n, a.nonEmbedding());
        assertEquals(65 * 64 + 64 * 64, a.embedding());
        assertEquals(12L * 2 * 64 * 64, a.kaplanApprox());
        // C_fwd = 2N + 2·nLayer·nCtx·dModel
        assertEquals(2.0 * n + 2.0 * 2 * 64 * 64, a.flopsPerTokenFwd(), 0);
        assertEquals(6.0 * n * 1e6, a.trainingFlops(1e6), 0);
        assertEquals(3.0 * (2.0 * n + 2.0 * 2 * 64 * 64) * 1e6, a.trainingFlopsWithAttention(1e6), 1e-3);
        assertEquals(6.0 * 64 * 65 * 1e6, a.unembedFlops(1e6), 1e-3);
    }
}
