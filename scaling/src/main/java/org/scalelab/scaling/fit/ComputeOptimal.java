package org.scalelab.scaling.fit;

import org.scalelab.scaling.report.SweepData;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compute-optimal allocation from learning curves and final losses (Hoffmann et al. 2022):
 * approach 1 (the lower envelope of all learning curves at log-spaced compute values → which N was
 * best at each C, kept only where a smaller and a larger model also reach that C → N_opt ∝ C^a,
 * D_opt ∝ C^b), approach 2 (IsoFLOP: at each budget a parabola of loss in
 * ln N, its minimum → power laws), and Kaplan's compute frontier L(C_min) = (C_c/C)^α_C fitted to the
 * envelope. Compute is C = 6·N·tokens throughout.
 */
public final class ComputeOptimal {
    private ComputeOptimal() {}

    /** A learning curve in compute: (C, L) pairs in increasing C. */
    record Curve(double n, double[] c, double[] loss) {
        /** Loss at compute c by linear interpolation in (ln C, L); NaN outside the curve. */
        double at(double x) {
            if (x < c[0] || x > c[c.length - 1]) return Double.NaN;
            for (int i = 1; i < c.length; i++) {
                if (x <= c[i]) {
                    double f = (Math.log(x) - Math.log(c[i - 1])) / (Math.log(c[i]) - Math.log(c[i - 1]));
                    return loss[i - 1] + f * (loss[i] - loss[i - 1]);
                }
            }
            return loss[loss.length - 1];
        }
    }

    static List<Curve> curves(SweepData data) {
        List<Curve> out = new ArrayList<>();
        for (SweepData.Run r : data.runs()) {
            if (r.num("N").isEmpty()) continue;
            double n = r.num("N").getAsDouble();
            List<SweepData.Point> pts = r.curve().stream().filter(p -> p.tokens() > 0).toList();
            if (pts.size() < 2) continue;
            out.add(new Curve(n, pts.stream().mapToDouble(p -> 6 * n * p.tokens()).toArray(),
                    pts.stream().mapToDouble(SweepData.Point::valLoss).toArray()));
        }
        return out;
    }

    /** Slope and intercept of y = a + b·x by least squares. */
    static double[] line(double[] x, double[] y) {
        double mx = 0, my = 0;
        for (int i = 0; i < x.length; i++) {
            mx += x[i] / x.length;
            my += y[i] / y.length;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < x.length; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double b = sxy / sxx;
        return new double[]{my - b * mx, b};
    }

    /** Approach 1; null when fewer than 3 compute values have a best run. */
    public static Map<String, Object> approach1(SweepData data, int gridPoints) {
        List<Curve> cs = curves(data);
        if (cs.size() < 2) return null;
        double lo = cs.stream().mapToDouble(c -> c.c()[0]).min().orElseThrow();
        double hi = cs.stream().mapToDouble(c -> c.c()[c.c().length - 1]).max().orElseThrow();
        List<double[]> best = new ArrayList<>();   // (C, N_opt, L)
        for (int k = 0; k < gridPoints; k++) {
            double c = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * k / (gridPoints - 1));
            Curve arg = null;
            double bl = Double.MAX_VALUE, smallest = Double.MAX_VALUE, largest = 0;
            for (Curve cv : cs) {
                double l = cv.at(c);
                if (Double.isNaN(l)) continue;
                smallest = Math.min(smallest, cv.n());
                largest = Math.max(largest, cv.n());
                if (l < bl) {
                    bl = l;
                    arg = cv;
                }
            }
            // Only a bracketed optimum counts: the best size must have a smaller and a larger size
            // reaching this compute too, else it is an edge of the sweep, not the optimum.
            if (arg != null && arg.n() > smallest && arg.n() < largest) best.add(new double[]{c, arg.n(), bl});
        }
        long distinctN = best.stream().mapToDouble(b -> b[1]).distinct().count();
        if (best.size() < 3 || distinctN < 2) return null;
        return allocationFit("approach 1 (envelope of learning curves)", best);
    }

    /** Approach 2: runs grouped by final compute (within 10% in ln C), a parabola per group with ≥ 3 sizes. */
    public static Map<String, Object> approach2(SweepData data) {
        TreeMap<Double, List<SweepData.Run>> groups = data.byCompute();
        List<double[]> minima = new ArrayList<>();
        List<Map<String, Object>> budgets = new ArrayList<>();
        for (var g : groups.entrySet()) {
            List<SweepData.Run> rs = g.getValue();
            if (rs.stream().mapToDouble(r -> r.num("N").getAsDouble()).distinct().count() < 3) continue;
            double[] x = rs.stream().mapToDouble(r -> Math.log(r.num("N").getAsDouble())).toArray();
            double[] y = rs.stream().mapToDouble(r -> r.loss().getAsDouble()).toArray();
            double[] p = parabola(x, y);
            if (!(p[2] > 0)) continue; // no interior minimum
            double lnN = -p[1] / (2 * p[2]);
            double minX = java.util.Arrays.stream(x).min().orElseThrow(), maxX = java.util.Arrays.stream(x).max().orElseThrow();
            if (lnN < minX - 0.5 || lnN > maxX + 0.5) continue; // far outside the sizes tried: not trustworthy
            double lmin = p[0] + p[1] * lnN + p[2] * lnN * lnN;
            minima.add(new double[]{g.getKey(), Math.exp(lnN), lmin});
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("C", g.getKey());
            b.put("runs", rs.size());
            b.put("N_opt", Math.exp(lnN));
            b.put("loss_at_min", lmin);
            budgets.add(b);
        }
        if (minima.size() < 2) return null;
        Map<String, Object> m = allocationFit("approach 2 (IsoFLOP parabolas)", minima);
        m.put("budgets", budgets);
        return m;
    }

    /** y = p0 + p1·x + p2·x² by least squares. */
    static double[] parabola(double[] x, double[] y) {
        double[][] a = new double[3][4];
        for (int i = 0; i < x.length; i++) {
            double[] v = {1, x[i], x[i] * x[i]};
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 3; c++) a[r][c] += v[r] * v[c];
                a[r][3] += v[r] * y[i];
            }
        }
        for (int col = 0; col < 3; col++) { // Gauss–Jordan with partial pivoting
            int piv = col;
            for (int r = col + 1; r < 3; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            for (int r = 0; r < 3; r++) {
                if (r == col) continue;
                double f = a[r][col] / a[col][col];
                for (int c = col; c < 4; c++) a[r][c] -= f * a[col][c];
            }
        }
        return new double[]{a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
    }

    /** Power laws N_opt = k_N·C^a and D_opt = C/(6·N_opt) = k_D·C^b through (C, N_opt) points. */
    static Map<String, Object> allocationFit(String method, List<double[]> pts) {
        double[] lc = pts.stream().mapToDouble(p -> Math.log(p[0])).toArray();
        double[] ln = pts.stream().mapToDouble(p -> Math.log(p[1])).toArray();
        double[] ld = pts.stream().mapToDouble(p -> Math.log(p[0] / (6 * p[1]))).toArray();
        double[] fn = line(lc, ln), fd = line(lc, ld);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("points", pts.size());
        m.put("N_opt", Map.of("coefficient", Math.exp(fn[0]), "exponent_a", fn[1], "published_a",
                Map.of("Hoffmann et al. 2022 (approaches 1/2)", List.of(0.50, 0.49), "Kaplan et al. 2020", 0.73)));
        m.put("D_opt", Map.of("coefficient", Math.exp(fd[0]), "exponent_b", fd[1], "published_b",
                Map.of("Hoffmann et al. 2022 (approaches 1/2)", List.of(0.50, 0.51), "Kaplan et al. 2020", 0.27)));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (double[] p : pts) rows.add(Map.of("C", p[0], "N_opt", p[1], "D_opt", p[0] / (6 * p[1]), "loss", p[2]));
        m.put("optimal_points", rows);
        return m;
    }

    /** The compute frontier (running minimum of all curves) sampled at log-spaced C, for an L(C) fit. */
    public static Fitter.Data frontier(SweepData data, int points) {
        List<double[]> all = new ArrayList<>();
        for (Curve cv : curves(data)) for (int i = 0; i < cv.c().length; i++) all.add(new double[]{cv.c()[i], cv.loss()[i]});
        if (all.size() < 4) return null;
        all.sort(Comparator.comparingDouble(p -> p[0]));
        double lo = all.get(0)[0], hi = all.get(all.size() - 1)[0];
        List<double[]> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        int j = 0;
        double best = Double.MAX_VALUE;
        for (int k = 0; k < points; k++) {
            double c = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * k / (points - 1));
            while (j < all.size() && all.get(j)[0] <= c * (1 + 1e-12)) best = Math.min(best, all.get(j++)[1]);
            if (best < Double.MAX_VALUE) {
                x.add(new double[]{c});
                y.add(best);
            }
        }
        return Fitter.Data.of(x.toArray(new double[0][]), y.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
