package org.scalelab.scaling.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * Compute-optimal allocation for a budget. Chinchilla's form L = E + A/N^α + B/D^β gives
 * N_opt = G·(C/6)^(β/(α+β)), D_opt = (C/6)^(α/(α+β))/G with G = (αA/(βB))^(1/(α+β)) (Hoffmann et al.
 * 2022, eq. 4); Kaplan's L(N, D) has the closed form of {@link KaplanND}; Kaplan et al. (2020, fig. 14)
 * give N_opt = 1.3e9·C_min^0.73 with C_min in PF-days and D = C/(6N). Batch size from Kaplan's critical batch B_crit(L) = B* · L^(−1/α_B), B* = 2e8 tokens,
 * α_B = 0.21, evaluated at the predicted loss.
 */
public final class Planner {
    /** A law in N and D with its compute-optimal allocation at C = 6·N·D. */
    public interface Law {
        String name();

        double loss(double n, double d);

        double nOpt(double c);

        default double dOpt(double c) {
            return c / (6 * nOpt(c));
        }

        /** The budget C for which {@code n} parameters are compute-optimal (N_opt inverted). */
        double computeFor(double n);
    }

    /** A law of Chinchilla's form L = E + A/N^α + B/D^β with its source. */
    public record Chinchilla(String name, double E, double A, double alpha, double B, double beta) implements Law {
        public double loss(double n, double d) {
            return E + A / Math.pow(n, alpha) + B / Math.pow(d, beta);
        }

        public double nOpt(double c) {
            return g() * Math.pow(c / 6, beta / (alpha + beta));
        }

        @Override
        public double dOpt(double c) {
            return Math.pow(c / 6, alpha / (alpha + beta)) / g();
        }

        public double computeFor(double n) {
            return 6 * Math.pow(n / g(), (alpha + beta) / beta);
        }

        private double g() {
            return Math.pow(alpha * A / (beta * B), 1 / (alpha + beta));
        }
    }

    /**
     * Kaplan's L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (Kaplan et al. 2020, eq. 1.5). At C = 6·N·D,
     * d/dN of (N_c/N)^r + 6·D_c·N/C = 0 with r = α_N/α_D gives N_opt = (r·N_c^r·C/(6·D_c))^(1/(1+r)).
     */
    public record KaplanND(String name, double nc, double dc, double alphaN, double alphaD) implements Law {
        public double loss(double n, double d) {
            return Math.pow(Math.pow(nc / n, alphaN / alphaD) + dc / d, alphaD);
        }

        public double nOpt(double c) {
            double r = alphaN / alphaD;
            return Math.pow(r * Math.pow(nc, r) * c / (6 * dc), 1 / (1 + r));
        }

        public double computeFor(double n) {
            double r = alphaN / alphaD;
            return 6 * dc * Math.pow(n, 1 + r) / (r * Math.pow(nc, r));
        }
    }

    public static final Chinchilla CHINCHILLA = of("Chinchilla (Hoffmann et al. 2022)", org.scalelab.scaling.Published.CHINCHILLA);
    public static final Chinchilla BESIROGLU = of("Chinchilla replication (Besiroglu et al. 2024)", org.scalelab.scaling.Published.BESIROGLU);
    public static final double PF_DAY = org.scalelab.scaling.Published.PF_DAY;

    /** A published Chinchilla-form fit from the catalogue. */
    static Chinchilla of(String name, org.scalelab.scaling.Published.Fit p) {
        var v = p.params();
        return new Chinchilla(name, v.get("E"), v.get("A"), v.get("alpha"), v.get("B"), v.get("beta"));
    }

    /** Kaplan's compute-efficient model size for C FLOPs. */
    public static double kaplanNOpt(double c) {
        return 1.3e9 * Math.pow(c / PF_DAY, 0.73);
    }

    /** The budget for which Kaplan's rule makes {@code n} parameters compute-efficient. */
    public static double kaplanComputeFor(double n) {
        return PF_DAY * Math.pow(n / 1.3e9, 1 / 0.73);
    }

    /** Kaplan's joint L(N, D) = [(Nc/N)^(αN/αD) + Dc/D]^αD with the joint-fit constants. */
    public static double kaplanLoss(double n, double d) {
        double aN = 0.076, aD = 0.103, nc = 6.4e13, dc = 1.8e13;
        return Math.pow(Math.pow(nc / n, aN / aD) + dc / d, aD);
    }

    /** Critical batch size in tokens at loss L (Kaplan eq. 5.3). */
    public static double criticalBatch(double loss) {
        return org.scalelab.scaling.Published.kaplanCriticalBatch(loss);
    }

    /** The overfitting rule D ≥ 5e3·N^0.74 (Kaplan eq. 4.4). */
    public static double minTokens(double n) {
        return 5e3 * Math.pow(n, 0.74);
    }

    /** A transformer shape: nLayer blocks of width dModel with heads of 64 channels. */
    public record Shape(String family, int nLayer, int dModel, int nHead) {
        public double params() {
            return 12.0 * nLayer * (double) dModel * dModel;
        }
    }

    /**
     * Integer shapes with 12·nLayer·dModel² ≈ N: {@code standard} keeps dModel/nLayer = 64 (GPT-3's
     * family sits near it), {@code deepnarrow} spends parameters on depth first (dModel/nLayer = 16,
     * about 2.5× the depth at 0.63× the width; Tay et al. 2021 saw its gains level off around 32–36
     * layers). dModel is a multiple of 64.
     */
    public static List<Shape> shapes(double n) {
        List<Shape> out = new ArrayList<>();
        out.add(shape("standard", n, 64));
        out.add(shape("deepnarrow", n, 16));
        return out;
    }

    static Shape shape(String family, double n, double aspect) {
        int layers = (int) Math.max(1, Math.round(Math.cbrt(n / (12 * aspect * aspect))));
        int d = (int) Math.max(64, Math.round(Math.sqrt(n / (12.0 * layers)) / 64) * 64);
        return new Shape(family, layers, d, d / 64);
    }
}
