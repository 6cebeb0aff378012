package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reusing op outputs across steps changes nothing: the training step with its arenas and a plain
 * SameDiff loop over an identical graph give bit-identical losses and weights over several steps
 * (with dropout off and the same batches).
 */
class StepArenaTest {

    @Test
    void arenaStepsEqualPlainSteps() {
        ModelConfig cfg = new ModelConfig(2, 32, 2, 0, 16, 40, 0.0, true, true);
        Gpt a = Gpt.build(cfg, DataType.FLOAT, 3), b = Gpt.build(cfg, DataType.FLOAT, 3);
        AdamW adamA = new AdamW(TrainStep.sizes(a), 0.9, 0.95, 1e-8), adamB = new AdamW(TrainStep.sizes(b), 0.9, 0.95, 1e-8);
        TrainStep step = TrainStep.withGraph(a, adamA, new double[a.paramNames().size()], 0, 4);
        List<INDArray> pb = new ArrayList<>(b.paramArrays().values());
        Rng data = new Rng(5);
        for (int t = 1; t <= 6; t++) {
            int[] in = new int[4 * 16], out = new int[4 * 16];
            for (int i = 0; i < in.length; i++) {
                in[i] = (int) data.nextLong(40);
                out[i] = (int) data.nextLong(40);
            }
            double la = step.run(List.of(new Batch(in, out, 4, 16)), new Rng(0), 1e-2, t).loss();
            var og = b.sameDiff().calculateGradientsAndOutputs(Map.of(Gpt.TOKENS, Batch.oneHot(in, 40, DataType.FLOAT),
                    Gpt.LABELS, Batch.oneHot(out, 40, DataType.FLOAT)), List.of(Gpt.LOSS), b.paramNames());
            double lb = og.getOutputs().get(Gpt.LOSS).getDouble(0);
            for (int i = 0; i < pb.size(); i++) {
                adamB.update(i, TrainStep.floats(pb.get(i)), TrainStep.floats(og.getGradients().get(b.paramNames().get(i))), 1f, t, 1e-2, 0);
            }
            assertEquals(lb, la, 0.0, "step " + t);
        }
        List<INDArray> pa = new ArrayList<>(a.paramArrays().values());
        for (int i = 0; i < pa.size(); i++) {
            assertEquals(0.0, pa.get(i).sub(pb.get(i)).amaxNumber().doubleValue(), 0.0, a.paramNames().get(i));
        }
    }
}
