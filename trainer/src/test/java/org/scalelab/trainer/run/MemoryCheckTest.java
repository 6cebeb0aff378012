package org.scalelab.trainer.run;

import org.junit.jupiter.api.Test;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;

import static org.junit.jupiter.api.Assertions.*;

/** A model that cannot fit is refused with its numbers before anything is allocated. */
class MemoryCheckTest {
    static final long MACHINE = 24L << 30;

    private static ModelConfig shape(int layers, int width, int vocab) {
        return new ModelConfig(layers, width, 8, 0, 128, vocab, 0, true, true);
    }

    @Test
    void aTensorLargerThanAnArrayIsRefusedByName() {
        UserError e = assertThrows(UserError.class, () -> MemoryCheck.check(shape(64, 65536, 256), 8, MACHINE));
        assertTrue(e.getMessage().startsWith("model: tensor h0.attn.qkv.w has 12,884,901,888 values"), e.getMessage());
    }

    @Test
    void aModelAboveTheMachinesMemoryIsRefusedWithTheNumbers() {
        // 64 layers of width 8192: 51.5e9 parameters, 824 GB for weights, gradients and moments alone
        UserError e = assertThrows(UserError.class, () -> MemoryCheck.check(shape(64, 8192, 256), 8, MACHINE));
        assertTrue(e.getMessage().contains("51,549,585,408 parameters") && e.getMessage().contains("this machine has 25.77 GB"), e.getMessage());
        assertTrue(MemoryCheck.lowerBoundBytes(shape(64, 8192, 256), 8) > 16 * 51.5e9);
    }

    @Test
    void modelsThatFitPass() {
        MemoryCheck.check(ModelConfig.DEFAULT.withVocab(65), 32, MACHINE);
        MemoryCheck.check(shape(8, 512, 50257), 8, MACHINE);
        // the bound grows with the micro-batch through the activations only
        long a = MemoryCheck.lowerBoundBytes(shape(4, 256, 256), 1), b = MemoryCheck.lowerBoundBytes(shape(4, 256, 256), 2);
        assertTrue(b > a && b < 2 * a, a + " " + b);
    }
}
