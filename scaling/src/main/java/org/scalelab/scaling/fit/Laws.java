package org.scalelab.scaling.fit;

import org.scalelab.scaling.ScalingError;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The laws ScaleLab fits. All are fitted on log L, so a relative error weighs the same at every scale.
 * Inputs: N non-embedding parameters, D training tokens, C = 6·N·D training FLOP, S_min the steps at
 * a critical batch; losses in nats per token.
 */
public final class Laws {
    private Laws() {}

    /** Every {@code --laws} key, in the order fits are reported. */
    public static final List<String> KEYS = List.of("n", "n+e", "d", "d+e", "c", "c+e", "nd", "ns", "chinchilla");

    /** The law for a {@code --laws} key. */
    public static Law byKey(String key) {
        return switch (key.trim().toLowerCase(Locale.ROOT)) {
            case "n" -> power("N");
            case "n+e" -> powerWithFloor("N");
            case "d" -> power("D");
            case "d+e" -> powerWithFloor("D");
            case "c" -> power("C");
            case "c+e" -> powerWithFloor("C");
            case "nd" -> kaplanND();
            case "ns" -> kaplanNS();
            case "chinchilla" -> chinchilla();
            default -> throw new ScalingError("--laws: unknown law '" + key + "'; use any of " + String.join(",", KEYS));
        };
    }

    /** The law with a fits.json id such as {@code L(N)+E} or {@code chinchilla}. */
    public static Law byId(String id) {
        for (String k : KEYS) if (byKey(k).id().equals(id)) return byKey(k);
        throw new IllegalArgumentException("no law with id " + id);
    }

    /** Shared bookkeeping; subclasses hold only the formula. */
    private abstract static class Base implements Law {
        private final String id, key, formula;
        private final List<String> names, inputs;

        Base(String id, String key, String formula, List<String> names, List<String> inputs) {
            this.id = id;
            this.key = key;
            this.formula = formula;
            this.names = names;
            this.inputs = inputs;
        }

        public String id() { return id; }
        public String key() { return key; }
        public String formula() { return formula; }
        public List<String> paramNames() { return names; }
        public List<String> inputs() { return inputs; }
        public int size() { return names.size(); }
        @Override public String toString() { return id; }
    }

    /** Every combination of the given axes, in order. */
    static List<double[]> grid(double[]... axes) {
        List<double[]> out = new ArrayList<>();
        int[] k = new int[axes.length];
        while (true) {
            double[] p = new double[axes.length];
            for (int i = 0; i < p.length; i++) p[i] = axes[i][k[i]];
            out.add(p);
            int i = axes.length - 1;
            while (i >= 0 && ++k[i] == axes[i].length) k[i--] = 0;
            if (i < 0) return out;
        }
    }

    static double[] range(double from, double to, double step) {
        int n = (int) Math.round((to - from) / step) + 1;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = from + i * step;
        return v;
    }

    /** log(e^u + e^v) without overflow; {@code w} receives the two softmax weights. */
    static double lse2(double u, double v, double[] w) {
        double m = Math.max(u, v), eu = Math.exp(u - m), ev = Math.exp(v - m), s = eu + ev;
        w[0] = eu / s;
        w[1] = ev / s;
        return m + Math.log(s);
    }

    /** L(x) = (x_c/x)^α (Kaplan et al. 2020, eqs. 1.1–1.3); θ = (α, ln x_c). */
    public static Law power(String x) {
        return new Base("L(" + x + ")", x.toLowerCase(Locale.ROOT), "L = (" + x + "_c/" + x + ")^alpha_" + x,
                List.of(x + "_c", "alpha_" + x), List.of(x)) {
            public double logLoss(double[] t, double[] lx, double[] g) {
                double d = t[1] - lx[0];
                if (g != null) {
                    g[0] = d;
                    g[1] = t[0];
                }
                return t[0] * d;
            }
            public List<double[]> starts() {
                return grid(new double[]{0.02, 0.05, 0.1, 0.3, 1}, new double[]{5, 15, 30, 60});
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[1]), t[0]}; }
            public double[] theta(double[] p) { return new double[]{p[1], Math.log(p[0])}; }
        };
    }

    /** L(x) = E + A·x^(−α); log L̂ = LSE(a − α·ln x, e); θ = (a, α, e) with A, E = exp(a, e). */
    public static Law powerWithFloor(String x) {
        return new Base("L(" + x + ")+E", x.toLowerCase(Locale.ROOT) + "+e", "L = E + A*" + x + "^(-alpha_" + x + ")",
                List.of("E", "A", "alpha_" + x), List.of(x)) {
            public double logLoss(double[] t, double[] lx, double[] g) {
                double u = t[0] - t[1] * lx[0], m = Math.max(u, t[2]);
                double eu = Math.exp(u - m), ee = Math.exp(t[2] - m), s = eu + ee;
                if (g != null) {
                    g[0] = eu / s;
                    g[1] = -g[0] * lx[0];
                    g[2] = ee / s;
                }
                return m + Math.log(s);
            }
            public List<double[]> starts() {
                // the approach-3 grid restricted to one term: a ∈ {0,…,25}, α ∈ {0,…,2}, e ∈ {−1,…,1}
                return grid(range(0, 25, 5), range(0, 2, 0.5), range(-1, 1, 0.5));
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[0]), t[1]}; }
            public double[] theta(double[] p) { return new double[]{Math.log(p[1]), p[2], Math.log(p[0])}; }
        };
    }

    /** Kaplan's L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (eq. 1.5); θ = (α_N, α_D, ln N_c, ln D_c). */
    public static Law kaplanND() {
        return new Base("L(N,D)", "nd", "L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D",
                List.of("N_c", "D_c", "alpha_N", "alpha_D"), List.of("N", "D")) {
            public double logLoss(double[] t, double[] lx, double[] g) {
                double aN = t[0], aD = t[1], dn = t[2] - lx[0], dd = t[3] - lx[1];
                double u = aN / aD * dn;
                double[] w = new double[2];
                double s = lse2(u, dd, w);
                if (g != null) {
                    g[0] = w[0] * dn;
                    g[1] = s - w[0] * u;
                    g[2] = w[0] * aN;
                    g[3] = aD * w[1];
                }
                return aD * s;
            }
            public List<double[]> starts() {
                return grid(new double[]{0.05, 0.1, 0.3}, new double[]{0.05, 0.1, 0.3}, new double[]{10, 20, 32}, new double[]{10, 20, 32});
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[3]), t[0], t[1]}; }
            public double[] theta(double[] p) { return new double[]{p[2], p[3], Math.log(p[0]), Math.log(p[1])}; }
        };
    }

    /**
     * Kaplan's L(N, S_min) = (N_c/N)^α_N + (S_c/S_min)^α_S (eq. 1.6), S_min the steps the run would need
     * at a batch far above critical; θ = (α_N, α_S, ln N_c, ln S_c).
     */
    public static Law kaplanNS() {
        return new Base("L(N,S)", "ns", "L = (N_c/N)^alpha_N + (S_c/S_min)^alpha_S",
                List.of("N_c", "S_c", "alpha_N", "alpha_S"), List.of("N", "S_min")) {
            public double logLoss(double[] t, double[] lx, double[] g) {
                double dn = t[2] - lx[0], ds = t[3] - lx[1];
                double[] w = new double[2];
                double r = lse2(t[0] * dn, t[1] * ds, w);
                if (g != null) {
                    g[0] = w[0] * dn;
                    g[1] = w[1] * ds;
                    g[2] = w[0] * t[0];
                    g[3] = w[1] * t[1];
                }
                return r;
            }
            public List<double[]> starts() {
                return grid(new double[]{0.05, 0.1, 0.3}, new double[]{0.1, 0.5, 1}, new double[]{10, 20, 32}, new double[]{2, 6, 12});
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[3]), t[0], t[1]}; }
            public double[] theta(double[] p) { return new double[]{p[2], p[3], Math.log(p[0]), Math.log(p[1])}; }
        };
    }

    /**
     * Chinchilla's L(N, D) = E + A/N^α + B/D^β as in Hoffmann et al. (2022) approach 3:
     * log L̂ = LSE(a − α·ln N, b − β·ln D, e) with A, B, E = exp(a, b, e); θ = (a, b, e, α, β).
     * Starts: the paper's grid a, b ∈ {0, 5, …, 25}, e ∈ {−1, −0.5, …, 1}, α, β ∈ {0, 0.5, …, 2}: 4500 points.
     */
    public static Law chinchilla() {
        return new Base("chinchilla", "chinchilla", "L = E + A/N^alpha + B/D^beta",
                List.of("E", "A", "B", "alpha", "beta"), List.of("N", "D")) {
            public double logLoss(double[] t, double[] lx, double[] g) {
                double u1 = t[0] - t[3] * lx[0], u2 = t[1] - t[4] * lx[1], u3 = t[2];
                double m = Math.max(u1, Math.max(u2, u3));
                // the largest term is exp(0) = 1: two exp calls instead of three (this runs ~1e8 times per fit)
                double e1 = u1 == m ? 1 : Math.exp(u1 - m), e2 = u2 == m ? 1 : Math.exp(u2 - m), e3 = u3 == m ? 1 : Math.exp(u3 - m);
                double s = e1 + e2 + e3;
                if (g != null) {
                    double inv = 1 / s;
                    g[0] = e1 * inv;
                    g[1] = e2 * inv;
                    g[2] = e3 * inv;
                    g[3] = -g[0] * lx[0];
                    g[4] = -g[1] * lx[1];
                }
                return m + Math.log(s);
            }
            public List<double[]> starts() {
                return grid(range(0, 25, 5), range(0, 25, 5), range(-1, 1, 0.5), range(0, 2, 0.5), range(0, 2, 0.5));
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[0]), Math.exp(t[1]), t[3], t[4]}; }
            public double[] theta(double[] p) { return new double[]{Math.log(p[1]), Math.log(p[2]), Math.log(p[0]), p[3], p[4]}; }
        };
    }
}
