package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.List;

/** The laws ScaleLab fits. All are fitted on log L, so relative errors weigh equally at every scale. */
public final class Laws {
    private Laws() {}

    /** log(e^u + e^v) without overflow; {@code w} receives the two softmax weights. */
    static double lse2(double u, double v, double[] w) {
        double m = Math.max(u, v), eu = Math.exp(u - m), ev = Math.exp(v - m), s = eu + ev;
        w[0] = eu / s;
        w[1] = ev / s;
        return m + Math.log(s);
    }

    /** L(x) = (x_c/x)^α (Kaplan); θ = (α, ln x_c). */
    public static Law power(String x) {
        return new Law() {
            public String id() { return "L(" + x + ")"; }
            public String formula() { return "L = (" + x + "_c/" + x + ")^alpha_" + x; }
            public List<String> paramNames() { return List.of(x + "_c", "alpha_" + x); }
            public List<String> inputs() { return List.of(x); }
            public int size() { return 2; }
            public double logPredict(double[] t, double[] v) { return t[0] * (t[1] - Math.log(v[0])); }
            public double gradient(double[] t, double[] v, double[] g) {
                double lx = Math.log(v[0]);
                g[0] = t[1] - lx;
                g[1] = t[0];
                return t[0] * (t[1] - lx);
            }
            public List<double[]> starts() {
                List<double[]> s = new ArrayList<>();
                for (double a : new double[]{0.02, 0.05, 0.1, 0.3, 1}) for (double c : new double[]{5, 15, 30, 60}) s.add(new double[]{a, c});
                return s;
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[1]), t[0]}; }
        };
    }

    /** L(x) = E + A·x^(−α); θ = (ln A, α, ln E). */
    public static Law powerWithFloor(String x) {
        return new Law() {
            public String id() { return "L(" + x + ")+E"; }
            public String formula() { return "L = E + A*" + x + "^(-alpha_" + x + ")"; }
            public List<String> paramNames() { return List.of("E", "A", "alpha_" + x); }
            public List<String> inputs() { return List.of(x); }
            public int size() { return 3; }
            public double logPredict(double[] t, double[] v) { return lse2(t[0] - t[1] * Math.log(v[0]), t[2], new double[2]); }
            public double gradient(double[] t, double[] v, double[] g) {
                double lx = Math.log(v[0]);
                double[] w = new double[2];
                double r = lse2(t[0] - t[1] * lx, t[2], w);
                g[0] = w[0];
                g[1] = -w[0] * lx;
                g[2] = w[1];
                return r;
            }
            public List<double[]> starts() {
                List<double[]> s = new ArrayList<>();
                for (double a = 0; a <= 25; a += 5) for (double al = 0; al <= 2; al += 0.5) for (double e = -1; e <= 1; e += 0.5)
                    s.add(new double[]{a, al, e});
                return s;
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[0]), t[1]}; }
        };
    }

    /** Kaplan's L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D; θ = (α_N, α_D, ln N_c, ln D_c). */
    public static Law kaplanND() {
        return new Law() {
            public String id() { return "L(N,D)"; }
            public String formula() { return "L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D"; }
            public List<String> paramNames() { return List.of("N_c", "D_c", "alpha_N", "alpha_D"); }
            public List<String> inputs() { return List.of("N", "D"); }
            public int size() { return 4; }
            public double logPredict(double[] t, double[] v) { return gradient(t, v, new double[4]); }
            public double gradient(double[] t, double[] v, double[] g) {
                double aN = t[0], aD = t[1], dn = t[2] - Math.log(v[0]), dd = t[3] - Math.log(v[1]);
                double u = aN / aD * dn;
                double[] w = new double[2];
                double s = lse2(u, dd, w);
                g[0] = w[0] * dn;
                g[1] = s - w[0] * u;
                g[2] = w[0] * aN;
                g[3] = aD * w[1];
                return aD * s;
            }
            public List<double[]> starts() {
                List<double[]> s = new ArrayList<>();
                for (double aN : new double[]{0.05, 0.1, 0.3}) for (double aD : new double[]{0.05, 0.1, 0.3})
                    for (double nc : new double[]{10, 20, 32}) for (double dc : new double[]{10, 20, 32}) s.add(new double[]{aN, aD, nc, dc});
                return s;
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[3]), t[0], t[1]}; }
        };
    }

    /** Kaplan's L(N, S_min) = (N_c/N)^α_N + (S_c/S_min)^α_S; θ = (α_N, α_S, ln N_c, ln S_c). */
    public static Law kaplanNS() {
        return new Law() {
            public String id() { return "L(N,S)"; }
            public String formula() { return "L = (N_c/N)^alpha_N + (S_c/S_min)^alpha_S"; }
            public List<String> paramNames() { return List.of("N_c", "S_c", "alpha_N", "alpha_S"); }
            public List<String> inputs() { return List.of("N", "S_min"); }
            public int size() { return 4; }
            public double logPredict(double[] t, double[] v) { return gradient(t, v, new double[4]); }
            public double gradient(double[] t, double[] v, double[] g) {
                double dn = t[2] - Math.log(v[0]), ds = t[3] - Math.log(v[1]);
                double[] w = new double[2];
                double r = lse2(t[0] * dn, t[1] * ds, w);
                g[0] = w[0] * dn;
                g[1] = w[1] * ds;
                g[2] = w[0] * t[0];
                g[3] = w[1] * t[1];
                return r;
            }
            public List<double[]> starts() {
                List<double[]> s = new ArrayList<>();
                for (double aN : new double[]{0.05, 0.1, 0.3}) for (double aS : new double[]{0.1, 0.5, 1})
                    for (double nc : new double[]{10, 20, 32}) for (double sc : new double[]{2, 6, 12}) s.add(new double[]{aN, aS, nc, sc});
                return s;
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[3]), t[0], t[1]}; }
        };
    }

    /**
     * Chinchilla's L(N, D) = E + A/N^α + B/D^β as in Hoffmann et al. (2022) approach 3:
     * log L̂ = LSE(a − α·ln N, b − β·ln D, e) with A, B, E = exp(a, b, e); θ = (a, b, e, α, β).
     * Starts: the paper's grid α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1}, a, b ∈ {0, 5, …, 25} (4500 points).
     */
    public static Law chinchilla() {
        return new Law() {
            public String id() { return "chinchilla"; }
            public String formula() { return "L = E + A/N^alpha + B/D^beta"; }
            public List<String> paramNames() { return List.of("E", "A", "B", "alpha", "beta"); }
            public List<String> inputs() { return List.of("N", "D"); }
            public int size() { return 5; }
            public double logPredict(double[] t, double[] v) { return gradient(t, v, new double[5]); }
            public double gradient(double[] t, double[] v, double[] g) {
                double ln = Math.log(v[0]), ld = Math.log(v[1]);
                double u1 = t[0] - t[3] * ln, u2 = t[1] - t[4] * ld, u3 = t[2];
                double m = Math.max(u1, Math.max(u2, u3));
                double e1 = Math.exp(u1 - m), e2 = Math.exp(u2 - m), e3 = Math.exp(u3 - m), s = e1 + e2 + e3;
                double w1 = e1 / s, w2 = e2 / s, w3 = e3 / s;
                g[0] = w1;
                g[1] = w2;
                g[2] = w3;
                g[3] = -w1 * ln;
                g[4] = -w2 * ld;
                return m + Math.log(s);
            }
            public List<double[]> starts() {
                List<double[]> s = new ArrayList<>(4500);
                for (double a = 0; a <= 25; a += 5) for (double b = 0; b <= 25; b += 5) for (double e = -1; e <= 1.0001; e += 0.5)
                    for (double al = 0; al <= 2.0001; al += 0.5) for (double be = 0; be <= 2.0001; be += 0.5)
                        s.add(new double[]{a, b, e, al, be});
                return s;
            }
            public double[] report(double[] t) { return new double[]{Math.exp(t[2]), Math.exp(t[0]), Math.exp(t[1]), t[3], t[4]}; }
        };
    }
}
