package org.scalelab.trainer.run;

import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.model.ParamLayout;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Refuses, before anything is allocated, a run that cannot fit: a tensor larger than one Java array holds,
 * or a lower bound of the training memory above the machine's physical memory. The bound counts float32
 * weights, gradients and both AdamW moments (16 bytes per parameter) and the activations the CPU engine
 * keeps for one micro-batch (per block the residual stream, both norms' outputs, q|k|v, the attention
 * probabilities and the MLP's input and activation; the logits), which is what training allocates at least.
 */
final class MemoryCheck {
    private MemoryCheck() {}

    /** Bytes training {@code c} allocates at least, with micro-batches of {@code micro} sequences. */
    static long lowerBoundBytes(ModelConfig c, int micro) {
        return lowerBoundBytes(c, ParamLayout.of(c), micro);
    }

    private static long lowerBoundBytes(ModelConfig c, ParamLayout layout, int micro) {
        double params = layout.count(false);
        double N = (double) micro * c.nCtx(), d = c.dModel(), L = c.nLayer();
        int mlpIn = c.mlp() == ModelConfig.Mlp.SWIGLU ? 2 * c.ff() : c.ff();
        double perBlock = N * (4 * d + 3 * d + d + mlpIn + c.ff()) + (double) micro * c.nHead() * c.nCtx() * c.nCtx();
        double acts = L * perBlock + N * d * 2 + N * c.nVocab();
        return (long) Math.min(Long.MAX_VALUE / 2.0, 4 * (4 * params + acts));
    }

    /** Throws a UserError naming the numbers and the settings to change when {@code c} cannot be trained here. */
    static void check(ModelConfig c, int micro, long physicalBytes) {
        ParamLayout layout = ParamLayout.of(c);
        for (ParamLayout.Tensor t : layout.tensors()) {
            if (t.size() > Integer.MAX_VALUE - 8) {
                throw new UserError(String.format(Locale.ROOT, "model: tensor %s has %,d values, more than one array holds (2^31 − 1); "
                        + "lower model.dModel, model.dFf or model.nVocab", t.name(), t.size()));
            }
        }
        long need = lowerBoundBytes(c, layout, micro);
        if (physicalBytes > 0 && need > physicalBytes) {
            throw new UserError(String.format(Locale.ROOT, "model: training needs at least %s (%,d parameters × 16 bytes for weights, "
                            + "gradients and AdamW's moments, plus activations of %d sequence(s) × nCtx %d), this machine has %s of memory; "
                            + "lower model.dModel or model.nLayer, or train.microBatch", gb(need), layout.count(false),
                    micro, c.nCtx(), gb(physicalBytes)));
        }
    }

    /** The machine's physical memory in bytes, or 0 when the JVM cannot tell. */
    static long physicalBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    private static String gb(long bytes) {
        return String.format(Locale.ROOT, bytes >= 1e12 ? "%.1f TB" : "%.2f GB", bytes >= 1e12 ? bytes / 1e12 : bytes / 1e9);
    }
}
