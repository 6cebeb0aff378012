package org.scalelab.sweeps;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.ModelConfig;

import java.util.Locale;

/**
 * Shape families: integer (nLayer, dModel, nHead) for a target N, so that a sweep over N keeps one
 * shape rule.
 * <ul>
 *   <li>{@code standard}: a fixed aspect ratio dModel/nLayer = {@code aspect} with heads of
 *       {@code headSize} channels, as in Kaplan et al. (2020)'s sweeps;</li>
 *   <li>{@code deepnarrow}: depth first (Tay et al. 2021): the aspect ratio {@code deepAspect}
 *       (default aspect/4), about 2.5× the layers at 0.63× the width of the standard shape of equal N.</li>
 * </ul>
 * With N ≈ 12·nLayer·dModel² and dModel = a·nLayer: nLayer₀ = (N / (12·a²))^(1/3). The shape is the
 * one among nLayer ∈ {nLayer₀ − 1, nLayer₀, nLayer₀ + 1} (rounded, ≥ 1) and dModel a multiple of the head
 * size that minimises |ln(N_exact / N)| + ¼·|ln((dModel/nLayer) / a)|, where N_exact is the counted
 * non-embedding N of the base model with that shape (biases, norms and the base's dFf included). So N is
 * hit as closely as head-size steps allow, and the aspect ratio breaks ties.
 */
public final class Shapes {
    private Shapes() {}

    /** A resolved shape and its exact non-embedding N. */
    public record Shape(String family, int nLayer, int dModel, int nHead, long n) {
        public long kaplanN() {
            return 12L * nLayer * dModel * dModel;
        }
    }

    /** The aspect ratio a family uses. */
    static double aspectOf(String family, double aspect, double deepAspect) {
        return switch (family.toLowerCase(Locale.ROOT)) {
            case "standard" -> aspect;
            case "deepnarrow" -> deepAspect;
            default -> throw new IllegalArgumentException("unknown shape family '" + family + "'; use standard or deepnarrow");
        };
    }

    /** With the default deepAspect = aspect / 4 and GPT-2 blocks (dFf = 4·dModel, biases). */
    public static Shape resolve(String family, double n, double aspect, int headSize) {
        return resolve(family, n, aspect, aspect / 4, headSize, ModelConfig.DEFAULT);
    }

    /** {@code base} supplies everything but the shape (dFf, bias) for the exact parameter count. */
    public static Shape resolve(String family, double n, double aspect, double deepAspect, int headSize, ModelConfig base) {
        double a = aspectOf(family, aspect, deepAspect);
        long l0 = Math.max(1, Math.round(Math.cbrt(n / (12 * a * a))));
        Shape best = null;
        double bestScore = Double.MAX_VALUE;
        for (long layers = Math.max(1, l0 - 1); layers <= l0 + 1; layers++) {
            double dIdeal = Math.sqrt(n / (12.0 * layers));
            long k0 = Math.max(1, (long) Math.floor(dIdeal / headSize));
            for (long k = Math.max(1, k0 - 1); k <= k0 + 2; k++) {
                int d = (int) (k * headSize);
                long exact = exactN(base, (int) layers, d, (int) k);
                double score = Math.abs(Math.log(exact / n)) + 0.25 * Math.abs(Math.log(d / (double) layers / a));
                if (score < bestScore) {
                    bestScore = score;
                    best = new Shape(family.toLowerCase(Locale.ROOT), (int) layers, d, (int) k, exact);
                }
            }
        }
        return best;
    }

    static long exactN(ModelConfig base, int layers, int d, int heads) {
        // dFf: keep the base's rule (0 = the MLP's default width); an explicit width stays as given; variants kept
        ModelConfig m = base.withShape(layers, d, heads).withVocab(Math.max(1, base.nVocab()));
        return Accounting.of(m).nonEmbedding();
    }
}
