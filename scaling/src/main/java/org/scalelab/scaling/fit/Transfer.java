package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Effective data transferred (Hernandez et al. 2021). For each model (a size, and where a sweep has them
 * a shape family and a seed) the losses of runs trained from scratch on D_F tokens of the fine-tuning
 * corpus give L(D) = (D_c/D)^α_D, fitted in log-log space; the loss of the run fine-tuned from the
 * pre-trained weights on the same D_F tokens, put into the inverse D_E = D_c·L^(−1/α_D), is the amount of
 * from-scratch data it is worth. D_T = D_E − D_F is the data the pre-training transferred, and across
 * models D_T = k·D_F^α·N^β is fitted by least squares on log D_T, with percentile bootstrap intervals
 * over the points.
 */
public final class Transfer {
    private Transfer() {}

    /** One model's run on D_F fine-tuning tokens: from scratch or fine-tuned. */
    public record Run(String model, double n, double dF, double loss, boolean finetuned) {}

    /** A model's from-scratch L(D) = (D_c/D)^α_D, or why there is none. */
    public record ScratchFit(String model, double n, double alphaD, double dC, int points, double rmseLog, String problem) {
        public boolean ok() { return problem == null; }

        /** D such that L(D) = loss. */
        public double effectiveData(double loss) {
            return Math.exp(Math.log(dC) - Math.log(loss) / alphaD);
        }
    }

    /** One fine-tuned run: its loss, the from-scratch loss at the same D_F, D_E, D_T and D_T/D_E. */
    public record Point(String model, double n, double dF, double lossFinetuned, double lossScratch, double dE, double dT,
                        double fraction, boolean extrapolated) {}

    /** A fitted value and its 95% interval (NaN where undetermined). */
    public record Param(double value, double lo, double hi) {}

    /** D_T = k·D_F^α·N^β; beta is NaN when the points have one N only. */
    public record Fit(Param k, Param alpha, Param beta, int points, double rmseLog, int bootstraps) {}

    public record Result(List<ScratchFit> scratch, List<Point> points, Fit fit, double meanFraction, List<String> notes) {}

    public static Result analyse(List<Run> runs, int bootstraps, long seed) {
        Map<String, List<Run>> byModel = new LinkedHashMap<>();
        for (Run r : runs) byModel.computeIfAbsent(r.model(), k -> new ArrayList<>()).add(r);
        List<ScratchFit> fits = new ArrayList<>();
        List<Point> pts = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (var e : byModel.entrySet()) {
            List<Run> scratch = e.getValue().stream().filter(r -> !r.finetuned()).toList();
            ScratchFit sf = scratchFit(e.getKey(), e.getValue().get(0).n(), scratch);
            fits.add(sf);
            if (!sf.ok()) {
                notes.add(e.getKey() + ": " + sf.problem());
                continue;
            }
            double dMin = scratch.stream().mapToDouble(Run::dF).min().orElse(0), dMax = scratch.stream().mapToDouble(Run::dF).max().orElse(0);
            for (Run f : e.getValue()) {
                if (!f.finetuned()) continue;
                double dE = sf.effectiveData(f.loss());
                double ls = scratch.stream().filter(s -> s.dF() == f.dF()).mapToDouble(Run::loss).average()
                        .orElse(Math.pow(sf.dC() / f.dF(), sf.alphaD()));
                pts.add(new Point(e.getKey(), f.n(), f.dF(), f.loss(), ls, dE, dE - f.dF(), (dE - f.dF()) / dE,
                        dE > 2 * dMax || dE < dMin / 2));
            }
        }
        List<Point> usable = pts.stream().filter(p -> p.dT() > 0 && Double.isFinite(p.dT())).toList();
        if (usable.size() < pts.size()) {
            notes.add((pts.size() - usable.size()) + " of " + pts.size() + " fine-tuned runs were no better than training from "
                    + "scratch (D_T ≤ 0) and are left out of the D_T fit");
        }
        Fit fit = fitDt(usable, bootstraps, seed);
        if (fit == null && !usable.isEmpty()) notes.add("the D_T fit needs at least 3 points with D_T > 0 at two or more D_F");
        double mean = pts.stream().mapToDouble(Point::fraction).filter(Double::isFinite).average().orElse(Double.NaN);
        return new Result(fits, pts, fit, mean, notes);
    }

    static ScratchFit scratchFit(String model, double n, List<Run> scratch) {
        long distinct = scratch.stream().mapToDouble(Run::dF).distinct().count();
        if (distinct < 2) return new ScratchFit(model, n, Double.NaN, Double.NaN, scratch.size(), Double.NaN,
                "needs from-scratch runs at two or more D_F to fit L(D)");
        int m = scratch.size();
        double[] x = new double[m], y = new double[m];
        for (int i = 0; i < m; i++) {
            x[i] = Math.log(scratch.get(i).dF());
            y[i] = Math.log(scratch.get(i).loss());
        }
        double[] ab = line(x, y);   // log L = a + b·log D, b = −α_D, a = α_D·log D_c
        double alpha = -ab[1];
        double rmse = 0;
        for (int i = 0; i < m; i++) rmse += Math.pow(y[i] - ab[0] - ab[1] * x[i], 2);
        rmse = Math.sqrt(rmse / m);
        if (!(alpha > 1e-6)) {
            return new ScratchFit(model, n, alpha, Double.NaN, m, rmse, String.format(Locale.ROOT,
                    "from-scratch loss does not fall with D_F (alpha_D = %.3g); D_E cannot be read off it", alpha));
        }
        return new ScratchFit(model, n, alpha, Math.exp(ab[0] / alpha), m, rmse, null);
    }

    /** Least squares y = a + b·x. */
    static double[] line(double[] x, double[] y) {
        int m = x.length;
        double mx = 0, my = 0;
        for (int i = 0; i < m; i++) {
            mx += x[i] / m;
            my += y[i] / m;
        }
        double sxy = 0, sxx = 0;
        for (int i = 0; i < m; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }
        double b = sxx > 0 ? sxy / sxx : 0;
        return new double[]{my - b * mx, b};
    }

    /** log D_T = log k + α·log D_F (+ β·log N), by least squares; null when underdetermined. */
    static double[] solve(List<Point> p, boolean withN) {
        int q = withN ? 3 : 2;
        double[][] a = new double[q][q + 1];
        for (Point x : p) {
            double[] row = withN ? new double[]{1, Math.log(x.dF()), Math.log(x.n())} : new double[]{1, Math.log(x.dF())};
            double y = Math.log(x.dT());
            for (int i = 0; i < q; i++) {
                for (int j = 0; j < q; j++) a[i][j] += row[i] * row[j];
                a[i][q] += row[i] * y;
            }
        }
        // Gaussian elimination with partial pivoting
        for (int c = 0; c < q; c++) {
            int piv = c;
            for (int r = c + 1; r < q; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
            double[] t = a[c];
            a[c] = a[piv];
            a[piv] = t;
            if (Math.abs(a[c][c]) < 1e-10 * Math.max(1, Math.abs(a[0][0]))) return null;
            for (int r = 0; r < q; r++) {
                if (r == c) continue;
                double f = a[r][c] / a[c][c];
                for (int k = c; k <= q; k++) a[r][k] -= f * a[c][k];
            }
        }
        double[] s = new double[q];
        for (int i = 0; i < q; i++) s[i] = a[i][q] / a[i][i];
        return s;
    }

    static Fit fitDt(List<Point> p, int bootstraps, long seed) {
        if (p.size() < 3 || p.stream().mapToDouble(Point::dF).distinct().count() < 2) return null;
        boolean withN = p.stream().mapToDouble(Point::n).distinct().count() >= 2 && p.size() >= 4;
        double[] s = solve(p, withN);
        if (s == null) return null;
        double rmse = 0;
        for (Point x : p) {
            double pred = s[0] + s[1] * Math.log(x.dF()) + (withN ? s[2] * Math.log(x.n()) : 0);
            rmse += Math.pow(Math.log(x.dT()) - pred, 2);
        }
        rmse = Math.sqrt(rmse / p.size());
        SplittableRandom rng = new SplittableRandom(seed);
        List<double[]> reps = new ArrayList<>();
        for (int b = 0; b < bootstraps; b++) {
            List<Point> r = new ArrayList<>(p.size());
            for (int i = 0; i < p.size(); i++) r.add(p.get(rng.nextInt(p.size())));
            double[] sb = solve(r, withN);
            if (sb != null) reps.add(sb);
        }
        return new Fit(param(s[0], reps, 0, true), param(s[1], reps, 1, false),
                withN ? param(s[2], reps, 2, false) : new Param(Double.NaN, Double.NaN, Double.NaN), p.size(), rmse, reps.size());
    }

    private static Param param(double v, List<double[]> reps, int i, boolean exp) {
        double lo = Double.NaN, hi = Double.NaN;
        if (reps.size() >= 20) {
            double[] x = reps.stream().mapToDouble(r -> r[i]).sorted().toArray();
            lo = x[(int) Math.floor(0.025 * (x.length - 1))];
            hi = x[(int) Math.ceil(0.975 * (x.length - 1))];
        }
        return exp ? new Param(Math.exp(v), Math.exp(lo), Math.exp(hi)) : new Param(v, lo, hi);
    }
}
