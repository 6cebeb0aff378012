package org.scalelab.scaling;

import org.scalelab.scaling.fit.Fitter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/** Seeded synthetic data for the tests: noisy points from known laws, and sweep directories on disk. */
public final class Synthetic {
    private Synthetic() {}

    /** A standard normal draw (Box–Muller). */
    public static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    /** l·exp(σ·z): multiplicative noise, σ the relative error. */
    public static double noisy(SplittableRandom r, double l, double sigma) {
        return l * Math.exp(sigma * gaussian(r));
    }

    public static Fitter.Data data(List<double[]> x, List<Double> l) {
        return Fitter.Data.of(x.toArray(new double[0][]), l.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** One run of a synthetic sweep: its coordinates and its learning curve as (step, tokens, val_loss) rows. */
    public record Run(String id, String status, double n, double tokensPerStep, double[][] curve) {}

    /**
     * Writes a sweep directory as the sweeps module does: results.csv with its columns, and per run
     * runs/&lt;id&gt;/metrics.jsonl (a train line per step, val_loss on eval steps) and result.json.
     * D is the tokens of the last curve point; losses are its val_loss (best = min over the curve).
     */
    public static Path sweep(Path dir, List<Run> runs) throws IOException {
        StringBuilder csv = new StringBuilder("run_id,status,N,N_total,D,C,tokens,tokens_per_step,steps_done,final_val_loss,best_val_loss,"
                + "n_layer,d_model,n_head,n_ctx,batch_size,lr,steps\n");
        for (Run r : runs) {
            Path run = Files.createDirectories(dir.resolve("runs").resolve(r.id()));
            StringBuilder m = new StringBuilder();
            double best = Double.MAX_VALUE;
            for (double[] p : r.curve()) {
                m.append(String.format(Locale.ROOT, "{\"step\":%d,\"tokens\":%.1f,\"train_loss\":%.6f,\"lr\":0.001,\"grad_norm\":1.0,\"tokens_per_s\":1000.0,\"val_loss\":%.8f}%n",
                        (long) p[0], p[1], p[2] * 1.01, p[2]));
                m.append(String.format(Locale.ROOT, "{\"step\":%d,\"tokens\":%.1f,\"train_loss\":%.6f,\"lr\":0.001,\"grad_norm\":1.0,\"tokens_per_s\":1000.0}%n",
                        (long) p[0] + 1, p[1] + r.tokensPerStep(), p[2]));
                best = Math.min(best, p[2]);
            }
            Files.writeString(run.resolve("metrics.jsonl"), m);
            double[] last = r.curve()[r.curve().length - 1];
            double d = last[1], c = 6 * r.n() * d;
            boolean done = r.status().equals("done");
            Files.writeString(run.resolve("result.json"), String.format(Locale.ROOT,
                    "{\"N\":%.0f,\"N_total\":%.0f,\"D\":%.0f,\"C\":%.6g,\"status\":\"%s\",\"final_val_loss\":%s,\"best_val_loss\":%s}%n",
                    r.n(), r.n() * 1.2, d, c, r.status(), done ? String.format(Locale.ROOT, "%.8f", last[2]) : "null",
                    done ? String.format(Locale.ROOT, "%.8f", best) : "null"));
            csv.append(String.format(Locale.ROOT, "%s,%s,%.0f,%.0f,%.0f,%.6g,%.0f,%.0f,%d,%s,%s,4,128,4,64,%.0f,0.001,%d%n",
                    r.id(), r.status(), r.n(), r.n() * 1.2, d, c, d, r.tokensPerStep(), (long) last[0],
                    done ? String.format(Locale.ROOT, "%.8f", last[2]) : "", done ? String.format(Locale.ROOT, "%.8f", best) : "",
                    r.tokensPerStep() / 64, (long) last[0]));
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.csv"), csv);
        return dir;
    }

    /**
     * A learning curve from a batch-size sweep built on the trade-off itself: at batch B (tokens/step) the
     * run needs S = S_min(L)·(1 + B_crit(L)/B) steps to reach L, with S_min(L) = 100·(5/(L − 2) − 1) and
     * B_crit(L) = B*·L^(−1/α_B). Rows (step, tokens, loss) every 10 steps up to 3000, L by bisection.
     */
    public static double[][] batchCurve(double b, double bStar, double alphaB) {
        double[][] out = new double[301][];
        for (int i = 0; i <= 300; i++) {
            double step = 10.0 * i, lo = 2.0001, hi = 6.9999;
            for (int it = 0; it < 80; it++) {
                double mid = (lo + hi) / 2, s = 100 * (5 / (mid - 2) - 1) * (1 + bStar / Math.pow(mid, 1 / alphaB) / b);
                if (s > step) lo = mid;
                else hi = mid;
            }
            out[i] = new double[]{step, step * b, (lo + hi) / 2};
        }
        return out;
    }

    /** DeepSeek LLM's published laws, the truth of {@link #hyperSweep}: lr*(C) = 0.3118·C^−0.125, B*(C) = 0.292·C^0.3271 tokens. */
    public static final double LR_A = 0.3118, LR_B = -0.1250, BATCH_C = 0.2920, BATCH_D = 0.3271;

    /**
     * A learning-rate × batch-size sweep at compute budgets C as a CSV table ({@code run_id, status, N, D, lr,
     * tokens_per_step, best_val_loss}), with the optimum known: L = L0(C)·(1 + k·(ln lr − ln lr*(C))² +
     * k·(ln B − ln B*(C))²)·exp(σ·z), L0(C) = 1.8 + 600·C^−0.15, lr* and B* as in {@link #LR_A} etc. At each
     * budget {@code lrs} learning rates and {@code batches} batch sizes a factor 2 apart, centred on the optimum
     * but shifted by a uniform ±¼ step in each (a grid is never centred exactly); N = √(C/120) (20 tokens per
     * parameter), D = C/(6N). With k = 0.004 one step (ln 2) from the optimum costs 0.19%, two steps 0.77%, so
     * DeepSeek's 0.25% margin keeps the optimum's neighbours.
     */
    public static List<String> hyperSweep(double[] budgets, int lrs, int batches, double sigma, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double k = 0.004;
        List<String> lines = new java.util.ArrayList<>(List.of("run_id,status,N,D,lr,tokens_per_step,best_val_loss"));
        int id = 0;
        for (double c : budgets) {
            double lrStar = LR_A * Math.pow(c, LR_B), bStar = BATCH_C * Math.pow(c, BATCH_D), l0 = 1.8 + 600 * Math.pow(c, -0.15);
            double shiftLr = r.nextDouble() * 0.5 - 0.25, shiftB = r.nextDouble() * 0.5 - 0.25;
            double n = Math.sqrt(c / 120), d = c / (6 * n);
            for (int i = 0; i < lrs; i++) {
                double lr = lrStar * Math.pow(2, i - (lrs - 1) / 2.0 + shiftLr);
                for (int j = 0; j < batches; j++) {
                    double b = bStar * Math.pow(2, j - (batches - 1) / 2.0 + shiftB);
                    double u = Math.log(lr / lrStar), v = Math.log(b / bStar);
                    double loss = noisy(r, l0 * (1 + k * u * u + k * v * v), sigma);
                    lines.add(String.format(Locale.ROOT, "h%d,done,%.6g,%.6g,%.6g,%.6g,%.8f", id++, n, d, lr, b, loss));
                }
            }
        }
        return lines;
    }
}
