package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OverfitTest {

    @Test
    void initialLossIsLogVocabAndOneBatchIsMemorised() {
        ModelConfig cfg = new ModelConfig(2, 32, 2, 0, 16, 50, 0.0, true, true);
        Gpt gpt = Gpt.build(cfg, DataType.FLOAT, 1);
        Rng rng = new Rng(4);
        int B = 4, T = cfg.nCtx(), V = cfg.nVocab();
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        Map<String, INDArray> ph = Map.of(Gpt.TOKENS, Batch.oneHot(in, V, DataType.FLOAT),
                Gpt.LABELS, Batch.oneHot(out, V, DataType.FLOAT));
        double initial = gpt.sameDiff().output(ph, Gpt.LOSS).get(Gpt.LOSS).getDouble(0);
        assertEquals(Math.log(V), initial, 0.05, "initial loss vs ln(nVocab)");

        List<String> names = gpt.paramNames();
        List<INDArray> params = List.copyOf(gpt.paramArrays().values());
        AdamW adam = new AdamW(params.stream().mapToInt(a -> (int) a.length()).toArray(), 0.9, 0.99, 1e-8);
        double loss = initial;
        for (int t = 1; t <= 300 && loss >= 0.05; t++) {
            var og = gpt.sameDiff().calculateGradientsAndOutputs(ph, List.of(Gpt.LOSS), names);
            loss = og.getOutputs().get(Gpt.LOSS).getDouble(0);
            for (int i = 0; i < params.size(); i++) {
                adam.update(i, TrainStep.floats(params.get(i)), TrainStep.floats(og.getGradients().get(names.get(i))),
                        1f, t, 3e-3, 0);
            }
        }
        assertTrue(loss < 0.05, "loss after memorising one batch: " + loss);
    }
}
