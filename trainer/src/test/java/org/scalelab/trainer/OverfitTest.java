package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import org.junit.jupiter.api.Test;
import org.scalelab.trainer.engine.Engine;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** For every variant: the initial loss is ln V (within 0.05), and 300 AdamW steps memorise one batch (loss < 0.05). */
class OverfitTest {

    @Test
    void initialLossIsLogVocabAndOneBatchIsMemorised() {
        for (ModelConfig cfg : Models.variants(new ModelConfig(2, 32, 2, 0, 16, 50, 0.0, true, true))) {
            Engine engine = Models.cpu(cfg, 1);
            Rng rng = new Rng(4);
            int B = 4, T = cfg.nCtx(), V = cfg.nVocab();
            int[] in = new int[B * T], out = new int[B * T];
            for (int i = 0; i < in.length; i++) {
                in[i] = (int) rng.nextLong(V);
                out[i] = (int) rng.nextLong(V);
            }
            double initial = engine.loss(in, out);
            assertEquals(Math.log(V), initial, 0.05, cfg.variants() + ": initial loss vs ln(nVocab)");
            AdamW adam = new AdamW(engine.weights().layout().sizes(), 0.9, 0.99, 1e-8);
            TrainStep step = new TrainStep(engine, adam, new double[engine.weights().layout().size()], 0);
            Batch batch = new Batch(in, out, B, T);
            double loss = initial;
            for (int t = 1; t <= 300 && loss >= 0.05; t++) loss = step.run(List.of(batch), new Rng(0), 3e-3, t).loss();
            assertTrue(loss < 0.05, cfg.variants() + ": loss after memorising one batch: " + loss);
        }
    }
}
