package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.trainer.engine.GraphEngine;
import org.scalelab.trainer.model.Graph;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reusing op outputs across steps changes nothing: the graph engine's step with its arenas and a plain
 * SameDiff loop over an identical graph give bit-identical losses and weights over several steps
 * (with dropout off and the same batches).
 */
class StepArenaTest {

    @Test
    void arenaStepsEqualPlainSteps() {
        ModelConfig cfg = new ModelConfig(2, 32, 2, 0, 16, 40, 0.0, true, true);
        GraphEngine a = Models.graph(cfg, DataType.FLOAT, 3), b = Models.graph(cfg, DataType.FLOAT, 3);
        int[] sizes = a.layout().sizes();
        AdamW adamA = new AdamW(sizes, 0.9, 0.95, 1e-8), adamB = new AdamW(sizes, 0.9, 0.95, 1e-8);
        TrainStep step = new TrainStep(a, adamA, new double[sizes.length], 0);
        List<String> names = b.layout().names();
        Rng data = new Rng(5);
        for (int t = 1; t <= 6; t++) {
            int[] in = new int[4 * 16], out = new int[4 * 16];
            for (int i = 0; i < in.length; i++) {
                in[i] = (int) data.nextLong(40);
                out[i] = (int) data.nextLong(40);
            }
            double la = step.run(List.of(new Batch(in, out, 4, 16)), new Rng(0), 1e-2, t).loss();
            var og = b.sameDiff().calculateGradientsAndOutputs(Map.of(Graph.TOKENS, Models.oneHot(in, 40, DataType.FLOAT),
                    Graph.LABELS, Models.oneHot(out, 40, DataType.FLOAT)), List.of(Graph.LOSS), names);
            double lb = og.getOutputs().get(Graph.LOSS).getDouble(0);
            for (int i = 0; i < sizes.length; i++) {
                INDArray g = og.getGradients().get(names.get(i)).dup('c');
                adamB.update(i, b.param(i), g.data().asNioFloat(), 1f, t, 1e-2, 0);
            }
            assertEquals(lb, la, 0.0, "step " + t);
        }
        for (int i = 0; i < sizes.length; i++) {
            assertEquals(0.0, a.weights().get(i).sub(b.weights().get(i)).amaxNumber().doubleValue(), 0.0, names.get(i));
        }
    }
}
