package org.scalelab.scaling.plan;

import org.scalelab.scaling.ScalingError;

import java.util.Arrays;
import java.util.Locale;

/** Accelerators the planner knows: dense 16-bit tensor peak and memory (vendor data sheets). */
public enum Gpu {
    H200(989e12, 141), H100(989e12, 80), A100_80(312e12, 80), A100(312e12, 40), L40S(362e12, 48),
    L4(121e12, 24), RTX4090(165e12, 24), V100(125e12, 32), T4(65e12, 16);

    /** Dense bf16/fp16 peak, FLOP/s. */
    public final double peakFlops;
    /** Device memory, GB (1e9 bytes). */
    public final double memoryGb;

    Gpu(double peakFlops, double memoryGb) {
        this.peakFlops = peakFlops;
        this.memoryGb = memoryGb;
    }

    public static Gpu parse(String s) {
        String k = s.toUpperCase(Locale.ROOT).replace('-', '_');
        for (Gpu g : values()) if (g.name().equals(k)) return g;
        throw new ScalingError("--gpu '" + s + "' is not known; use one of "
                + Arrays.toString(values()).toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
