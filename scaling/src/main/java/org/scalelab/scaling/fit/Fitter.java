package org.scalelab.scaling.fit;

import org.scalelab.scaling.ScalingError;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Fits a {@link Law} to points (x_i, L_i) by minimising Σ w_i·ρ(log L̂(θ, x_i) − log L_i), with ρ the
 * squared error or Huber's loss, by L-BFGS from every start of the law's grid (in parallel); the best
 * end point wins. Intervals come from a bootstrap over points: each replicate resamples the points
 * with replacement and refits from the full fit's optimum and the next-best distinct end points.
 */
public final class Fitter {

    /**
     * @param huberDelta  Huber's δ on log-loss residuals; 0 for plain least squares (½r²)
     * @param bootstrap   replicates for the intervals; 0 for none
     * @param level       interval coverage, e.g. 0.95
     * @param replicateStarts starts per replicate (the best end points of the full fit)
     */
    public record Options(double huberDelta, int bootstrap, double level, int replicateStarts, long seed) {
        public static Options defaults() {
            return new Options(0, 1000, 0.95, 8, 1);
        }

        public Options withHuber(double d) {
            return new Options(d, bootstrap, level, replicateStarts, seed);
        }

        public Options withBootstrap(int b) {
            return new Options(huberDelta, b, level, replicateStarts, seed);
        }
    }

    /** Points to fit: x[i] holds the law's inputs (e.g. N, D), loss[i] > 0, weight[i] ≥ 0. */
    public record Data(double[][] x, double[] loss, double[] weight) {
        public int n() {
            return loss.length;
        }

        public Data subset(int[] idx) {
            double[][] xs = new double[idx.length][];
            double[] l = new double[idx.length], w = new double[idx.length];
            for (int i = 0; i < idx.length; i++) {
                xs[i] = x[idx[i]];
                l[i] = loss[idx[i]];
                w[i] = weight[idx[i]];
            }
            return new Data(xs, l, w);
        }

        public static Data of(double[][] x, double[] loss) {
            double[] w = new double[loss.length];
            Arrays.fill(w, 1);
            return new Data(x, loss, w);
        }
    }

    /** A fitted law: reported parameters, their intervals, and goodness of fit. */
    public record Fit(Law law, double[] theta, double[] params, double[] low, double[] high, double objective,
                      double rmseLog, double r2Log, int n, int starts, int bootstrap, double seconds,
                      List<double[]> replicates, Data data) {
        /** Pointwise interval of L̂(x) over the bootstrap replicates: {low, high}, or NaNs without them. */
        public double[] band(double[] x, double level) {
            double[] v = replicates.stream().mapToDouble(t -> Math.exp(law.logPredict(t, x))).sorted().toArray();
            if (v.length == 0) return new double[]{Double.NaN, Double.NaN};
            double q = (1 - level) / 2;
            return new double[]{quantile(v, q), quantile(v, 1 - q)};
        }
    }

    private Fitter() {}

    /** Checks that a law can be fitted to the data; the message says what is missing. */
    public static void validate(Law law, Data d, String what) {
        if (d.n() < law.size() + 1) {
            throw new ScalingError(what + ": " + law.id() + " has " + law.size() + " parameters but only " + d.n()
                    + " points; it needs at least " + (law.size() + 1));
        }
        for (int i = 0; i < d.n(); i++) {
            if (!(d.loss()[i] > 0) || !Double.isFinite(d.loss()[i])) {
                throw new ScalingError(what + ": loss of point " + (i + 1) + " is " + d.loss()[i] + "; losses must be positive numbers");
            }
            for (int j = 0; j < law.inputs().size(); j++) {
                double v = d.x()[i][j];
                if (!(v > 0) || !Double.isFinite(v)) {
                    throw new ScalingError(what + ": " + law.inputs().get(j) + " of point " + (i + 1) + " is " + v + "; it must be a positive number");
                }
            }
        }
        for (int j = 0; j < law.inputs().size(); j++) {
            final int col = j;
            long distinct = Arrays.stream(d.x()).mapToDouble(r -> r[col]).distinct().count();
            if (distinct < 2) {
                throw new ScalingError(what + ": all points have the same " + law.inputs().get(j) + "; " + law.id()
                        + " needs several values of it");
            }
        }
    }

    public static Fit fit(Law law, Data d, Options o) {
        long t0 = System.nanoTime();
        List<double[]> starts = law.starts();
        List<Lbfgs.Result> ends = IntStream.range(0, starts.size()).parallel()
                .mapToObj(i -> solve(law, d, o.huberDelta(), starts.get(i)))
                .filter(r -> Double.isFinite(r.value()))
                .sorted(Comparator.comparingDouble(Lbfgs.Result::value)).toList();
        if (ends.isEmpty()) throw new ScalingError(law.id() + ": no start converged to a finite fit");
        Lbfgs.Result best = ends.get(0);
        double[] params = law.report(best.x());
        double[] low = new double[params.length], high = new double[params.length];
        List<double[]> replicates = new ArrayList<>();
        Arrays.fill(low, Double.NaN);
        Arrays.fill(high, Double.NaN);
        if (o.bootstrap() > 0) {
            List<double[]> seeds = distinctEnds(ends, o.replicateStarts());
            double[][] reps = new double[o.bootstrap()][];
            SplittableRandom root = new SplittableRandom(o.seed());
            long[] repSeeds = new long[o.bootstrap()];
            for (int b = 0; b < repSeeds.length; b++) repSeeds[b] = root.nextLong();
            IntStream.range(0, o.bootstrap()).parallel().forEach(b -> {
                SplittableRandom r = new SplittableRandom(repSeeds[b]);
                int[] idx = new int[d.n()];
                for (int i = 0; i < idx.length; i++) idx[i] = r.nextInt(d.n());
                Data sample = d.subset(idx);
                Lbfgs.Result rb = null;
                for (double[] s : seeds) {
                    Lbfgs.Result x = solve(law, sample, o.huberDelta(), s);
                    if (Double.isFinite(x.value()) && (rb == null || x.value() < rb.value())) rb = x;
                }
                reps[b] = rb == null ? null : rb.x();
            });
            double q = (1 - o.level()) / 2;
            for (double[] th : reps) if (th != null) replicates.add(th);
            List<double[]> reported = replicates.stream().map(law::report).toList();
            for (int p = 0; p < params.length; p++) {
                final int k = p;
                double[] v = reported.stream().mapToDouble(x -> x[k]).sorted().toArray();
                if (v.length > 0) {
                    low[p] = quantile(v, q);
                    high[p] = quantile(v, 1 - q);
                }
            }
        }
        double[] gof = goodness(law, d, best.x());
        return new Fit(law, best.x(), params, low, high, best.value(), gof[0], gof[1], d.n(), starts.size(), o.bootstrap(),
                (System.nanoTime() - t0) / 1e9, replicates, d);
    }

    /** One local fit from {@code start}. */
    static Lbfgs.Result solve(Law law, Data d, double delta, double[] start) {
        int k = law.size();
        double[] gi = new double[k];
        Lbfgs.Objective f = (theta, grad) -> {
            Arrays.fill(grad, 0);
            double sum = 0;
            for (int i = 0; i < d.n(); i++) {
                double w = d.weight()[i];
                if (w == 0) continue;
                double r = law.gradient(theta, d.x()[i], gi) - Math.log(d.loss()[i]);
                double rho, drho;
                if (delta > 0 && Math.abs(r) > delta) {
                    rho = delta * (Math.abs(r) - 0.5 * delta);
                    drho = delta * Math.signum(r);
                } else {
                    rho = 0.5 * r * r;
                    drho = r;
                }
                sum += w * rho;
                for (int j = 0; j < k; j++) grad[j] += w * drho * gi[j];
            }
            return sum;
        };
        return Lbfgs.defaults().minimize(f, start);
    }

    /** RMSE of the log residuals and R² of log L. */
    static double[] goodness(Law law, Data d, double[] theta) {
        double ss = 0, mean = 0, tot = 0;
        for (double l : d.loss()) mean += Math.log(l) / d.n();
        for (int i = 0; i < d.n(); i++) {
            double r = law.logPredict(theta, d.x()[i]) - Math.log(d.loss()[i]);
            ss += r * r;
            tot += Math.pow(Math.log(d.loss()[i]) - mean, 2);
        }
        return new double[]{Math.sqrt(ss / d.n()), tot > 0 ? 1 - ss / tot : Double.NaN};
    }

    static List<double[]> distinctEnds(List<Lbfgs.Result> ends, int k) {
        List<double[]> out = new ArrayList<>();
        HashSet<String> seen = new HashSet<>();
        for (Lbfgs.Result r : ends) {
            StringBuilder key = new StringBuilder();
            for (double v : r.x()) key.append(Math.round(v * 1e3)).append(',');
            if (seen.add(key.toString())) out.add(r.x());
            if (out.size() >= k) break;
        }
        return out;
    }

    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        double f = pos - i;
        return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
    }
}
