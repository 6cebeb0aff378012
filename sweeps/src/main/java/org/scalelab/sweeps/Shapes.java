package org.scalelab.sweeps;

import java.util.Locale;

/**
 * Shape families: integer (nLayer, dModel, nHead) for a target N ≈ 12·nLayer·dModel².
 * <ul>
 *   <li>{@code standard}: a fixed aspect ratio dModel/nLayer = {@code aspect} with heads of
 *       {@code headSize} channels, as in Kaplan et al.'s sweeps;</li>
 *   <li>{@code deepnarrow}: depth first (Tay et al. 2021): aspect/4, so about 2.5× the layers at
 *       0.63× the width of the standard shape of the same N.</li>
 * </ul>
 * nLayer = round((N / (12·a²))^(1/3)) ≥ 1; dModel = √(N / (12·nLayer)) rounded to a multiple of the head
 * size (at least one head).
 */
public final class Shapes {
    private Shapes() {}

    public record Shape(String family, int nLayer, int dModel, int nHead) {
        public long kaplanN() {
            return 12L * nLayer * dModel * dModel;
        }
    }

    public static Shape resolve(String family, double n, double aspect, int headSize) {
        double a = switch (family.toLowerCase(Locale.ROOT)) {
            case "standard" -> aspect;
            case "deepnarrow" -> aspect / 4;
            default -> throw new IllegalArgumentException("unknown shape family '" + family + "'; use standard or deepnarrow");
        };
        int layers = (int) Math.max(1, Math.round(Math.cbrt(n / (12 * a * a))));
        int d = (int) Math.max(headSize, Math.round(Math.sqrt(n / (12.0 * layers)) / headSize) * headSize);
        return new Shape(family.toLowerCase(Locale.ROOT), layers, d, d / headSize);
    }
}
