package org.scalelab.scaling.fit;

/**
 * Limited-memory BFGS (Nocedal &amp; Wright, algorithm 7.4/7.5) with a backtracking Armijo line search.
 * Small, allocation-light and deterministic: it runs thousands of times per fit (every start of the
 * approach-3 grid, every bootstrap replicate). Hipparchus offers no quasi-Newton minimiser.
 */
public final class Lbfgs {
    /** f(x) and its gradient, written into {@code grad}; returns f. */
    @FunctionalInterface
    public interface Objective {
        double valueAndGradient(double[] x, double[] grad);
    }

    public record Result(double[] x, double value, int iterations, boolean converged) {}

    private final int memory, maxIterations;
    private final double gradTol, relTol;

    public Lbfgs(int memory, int maxIterations, double gradTol, double relTol) {
        this.memory = memory;
        this.maxIterations = maxIterations;
        this.gradTol = gradTol;
        this.relTol = relTol;
    }

    public static Lbfgs defaults() {
        return new Lbfgs(10, 500, 1e-10, 1e-13);
    }

    public Result minimize(Objective f, double[] start) {
        int n = start.length, m = memory;
        double[] x = start.clone(), g = new double[n], xNew = new double[n], gNew = new double[n], dir = new double[n];
        double[][] s = new double[m][n], y = new double[m][n];
        double[] rho = new double[m], alpha = new double[m];
        double fx = f.valueAndGradient(x, g);
        if (!Double.isFinite(fx)) return new Result(x, fx, 0, false);
        int stored = 0, head = 0;
        for (int it = 1; it <= maxIterations; it++) {
            if (norm(g) <= gradTol * Math.max(1, norm(x))) return new Result(x, fx, it - 1, true);
            // two-loop recursion: dir = −H·g
            System.arraycopy(g, 0, dir, 0, n);
            for (int k = 0; k < stored; k++) {
                int j = Math.floorMod(head - 1 - k, m);
                alpha[j] = rho[j] * dot(s[j], dir);
                axpy(-alpha[j], y[j], dir);
            }
            if (stored > 0) {
                int j = Math.floorMod(head - 1, m);
                scale(dir, dot(s[j], y[j]) / dot(y[j], y[j]));
            }
            for (int k = stored - 1; k >= 0; k--) {
                int j = Math.floorMod(head - 1 - k, m);
                double beta = rho[j] * dot(y[j], dir);
                axpy(alpha[j] - beta, s[j], dir);
            }
            scale(dir, -1);
            double slope = dot(g, dir);
            if (slope >= 0) { // not a descent direction: restart from steepest descent
                for (int i = 0; i < n; i++) dir[i] = -g[i];
                slope = dot(g, dir);
                stored = 0;
            }
            // backtracking line search with the Armijo condition
            double step = stored == 0 ? Math.min(1, 1 / Math.max(1e-12, norm(g))) : 1, fNew = Double.NaN;
            boolean ok = false;
            for (int ls = 0; ls < 60; ls++) {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
                fNew = f.valueAndGradient(xNew, gNew);
                if (Double.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) {
                    ok = true;
                    break;
                }
                step *= 0.5;
            }
            if (!ok) return new Result(x, fx, it, norm(g) <= 1e-6 * Math.max(1, Math.abs(fx)));
            int j = head;
            double sy = 0;
            for (int i = 0; i < n; i++) {
                s[j][i] = xNew[i] - x[i];
                y[j][i] = gNew[i] - g[i];
                sy += s[j][i] * y[j][i];
            }
            if (sy > 1e-300) {
                rho[j] = 1 / sy;
                head = (head + 1) % m;
                stored = Math.min(stored + 1, m);
            }
            double fOld = fx;
            System.arraycopy(xNew, 0, x, 0, n);
            System.arraycopy(gNew, 0, g, 0, n);
            fx = fNew;
            if (Math.abs(fOld - fx) <= relTol * Math.max(Math.abs(fx), 1e-300)) return new Result(x, fx, it, true);
        }
        return new Result(x, fx, maxIterations, false);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) y[i] += a * x[i];
    }

    static void scale(double[] x, double a) {
        for (int i = 0; i < x.length; i++) x[i] *= a;
    }
}
