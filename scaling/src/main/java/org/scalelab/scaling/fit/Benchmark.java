package org.scalelab.scaling.fit;

import org.scalelab.scaling.Published;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;

/**
 * Times Chinchilla approach 3 as {@code scalelab fit} runs it: Huber(δ = 1e-3) on log L, L-BFGS from
 * all 4500 grid starts, then the bootstrap replicates. The runs are synthetic and seeded: 250 runs
 * (about the size of the data Besiroglu et al. 2024 refitted), N from 1e7 to 1e10 and D from 1e9 to
 * 1e12 on a 10 × 25 log grid, losses from the replication's fit with 1% multiplicative noise.
 * {@code scalelab fit --benchmark} prints this; {@link #main} runs it without the command line.
 */
public final class Benchmark {
    private Benchmark() {}

    /** Times in seconds of the grid fit alone and of the whole fit with its bootstrap, and the fit. */
    public record Result(int runs, int starts, int bootstrap, int threads, double gridSeconds, double totalSeconds, Fitter.Fit fit) {
        public String text() {
            double[] p = fit.params();
            return String.format(Locale.ROOT, """
                    approach 3 benchmark: %d synthetic runs, %d L-BFGS starts + %d bootstrap replicates, %d threads (%d cores)
                      grid fit:            %6.2f s
                      grid + bootstrap:    %6.2f s
                      fitted E = %.4f [%.4f, %.4f], alpha = %.4f [%.4f, %.4f], beta = %.4f [%.4f, %.4f]
                      (truth E = 1.8172, alpha = 0.3478, beta = 0.3658: Besiroglu et al. 2024)
                    """, runs, starts, bootstrap, threads, Runtime.getRuntime().availableProcessors(), gridSeconds, totalSeconds,
                    p[0], fit.low()[0], fit.high()[0], p[3], fit.low()[3], fit.high()[3], p[4], fit.low()[4], fit.high()[4]);
        }
    }

    /** The benchmark's runs: a 10 × 25 log grid in (N, D) with seeded 1% noise on the replication's law. */
    public static Fitter.Data runs(long seed) {
        Published.Fit truth = Published.BESIROGLU;
        SplittableRandom r = new SplittableRandom(seed);
        List<double[]> x = new ArrayList<>();
        List<Double> l = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            for (int j = 0; j < 25; j++) {
                double n = 1e7 * Math.pow(1e3, i / 9.0), d = 1e9 * Math.pow(1e3, j / 24.0);
                x.add(new double[]{n, d});
                l.add(truth.predict(n, d) * Math.exp(0.01 * gaussian(r)));
            }
        }
        return Fitter.Data.of(x.toArray(new double[0][]), l.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public static Result run(int bootstrap, long seed) {
        Fitter.Data d = runs(seed);
        Law law = Laws.chinchilla();
        Fitter.Options o = Fitter.Options.defaults().withHuber(1e-3).withSeed(seed);
        Fitter.fit(law, d, o.withBootstrap(0));   // JIT warm-up: the timings below are steady state
        long t0 = System.nanoTime();
        Fitter.fit(law, d, o.withBootstrap(0));
        double grid = (System.nanoTime() - t0) / 1e9;
        t0 = System.nanoTime();
        Fitter.Fit f = Fitter.fit(law, d, o.withBootstrap(bootstrap));
        double total = (System.nanoTime() - t0) / 1e9;
        return new Result(d.n(), f.starts(), bootstrap, ForkJoinPool.commonPool().getParallelism() + 1, grid, total, f);
    }

    /** A standard normal draw (Box–Muller). */
    static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    public static void main(String[] args) {
        int b = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        System.out.print(run(b, 1).text());
    }
}
