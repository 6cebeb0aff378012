package org.scalelab.scaling.fit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.scalelab.scaling.ScalingError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code scalelab fit}: fit the laws a table of runs supports and write fits.json. */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = "Fit scaling laws to a sweep's results.csv (or any CSV) and write fits.json.",
        footer = {"", "Laws: n = L(N) = (N_c/N)^a_N, n+e = E + A·N^-a, d and d+e likewise in D, nd = Kaplan's L(N,D),",
                "ns = Kaplan's L(N,S_min) (columns steps and tokens_per_step), chinchilla = E + A/N^a + B/D^b (approach 3: Huber 1e-3 on log L, L-BFGS from a 4500-point grid),",
                "c = L(C) on the compute frontier of the learning curves. A sweep directory also gets Chinchilla's",
                "approaches 1 and 2 and, when the batch size varies, the critical batch size.",
                "By default every law the data supports is fitted. Losses: best_val_loss, else final_val_loss.", "",
                "Examples:",
                "  scalelab fit experiments/kaplan-tiny",
                "  scalelab fit --csv runs.csv --n-col params --d-col tokens --loss-col loss --laws chinchilla --bootstrap 1000"})
public final class FitCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "SWEEP_DIR", description = "A sweep directory with results.csv.")
    Path dir;

    @Option(names = "--csv", paramLabel = "FILE", description = "Any CSV table instead of a sweep directory.")
    Path csv;

    @Option(names = "--n-col", defaultValue = "N", description = "Column of N (default: ${DEFAULT-VALUE}).")
    String nCol;

    @Option(names = "--d-col", defaultValue = "D", description = "Column of D (default: ${DEFAULT-VALUE}).")
    String dCol;

    @Option(names = "--c-col", defaultValue = "C", description = "Column of C for L(C) on a --csv table (default: ${DEFAULT-VALUE}; a sweep directory uses the compute frontier of its learning curves instead).")
    String cCol;

    @Option(names = "--loss-col", description = "Column of the loss (default: best_val_loss, else final_val_loss, else loss).")
    String lossCol;

    @Option(names = "--weight-col", paramLabel = "COL", description = "Column of per-run weights for the fits (default: all 1).")
    String weightCol;

    @Option(names = "--laws", split = ",", description = "Laws to fit: n, n+e, d, d+e, nd, ns, chinchilla, c (default: all the data supports).")
    List<String> laws;

    @Option(names = "--bootstrap", defaultValue = "1000", description = "Bootstrap replicates for intervals (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--huber", defaultValue = "0", description = "Huber δ on log-loss residuals for the single and Kaplan laws; 0 = least squares (default: ${DEFAULT-VALUE}). Chinchilla always uses 1e-3.")
    double huber;

    @Option(names = "--holdout", defaultValue = "2", description = "Hold out the k largest runs and report the extrapolation error (default: ${DEFAULT-VALUE}).")
    int holdout;

    @Option(names = "--seed", defaultValue = "1", description = "Bootstrap seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write fits.json (default: beside the table).")
    Path out;

    @Option(names = "--json", description = "Print fits.json instead of the table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if ((dir == null) == (csv == null)) throw new ScalingError("give either SWEEP_DIR or --csv FILE");
        Path file = csv != null ? csv : dir.resolve("results.csv");
        if (dir != null && !Files.isDirectory(dir)) throw new ScalingError(dir + ": no such sweep directory");
        if (bootstrap < 0 || holdout < 0) throw new ScalingError("--bootstrap and --holdout must be ≥ 0");
        ResultsTable t = ResultsTable.read(file);
        String lc = lossCol != null ? lossCol : t.has("best_val_loss") ? "best_val_loss" : t.has("final_val_loss") ? "final_val_loss" : "loss";
        double[] loss = t.numbers(lc);
        double[] n = t.has(nCol) ? t.numbers(nCol) : null, d = t.has(dCol) ? t.numbers(dCol) : null;
        if (t.rows().isEmpty()) throw new ScalingError(file + ": no finished runs (status done) to fit");

        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", 1);
        root.put("table", file.toString());
        root.put("loss_column", lc);
        root.put("rows", t.rows().size());
        root.put("conventions", "N: non-embedding parameters; D: training tokens; C = 6·N·D; loss in nats per token");
        List<Map<String, Object>> fits = new ArrayList<>();
        List<String> wanted = laws != null ? laws : List.of("n", "n+e", "d", "d+e", "nd", "ns", "chinchilla", "c");
        List<String> skipped = new ArrayList<>();
        long t0 = System.nanoTime();
        double[] weights = weightCol != null ? weights(t.numbers(weightCol)) : null;
        for (String id : wanted) {
            Law law = law(id.trim().toLowerCase(Locale.ROOT));
            if (law == null) {
                // L(C): a sweep directory fits it to the compute frontier below; a plain table to its C column
                if (dir != null || !t.has(cCol)) continue;
                law = Laws.power("C");
            }
            Fitter.Data data = law.inputs().contains("S_min") ? sMinData(t, n, loss, weights)
                    : law.inputs().get(0).equals("C") ? select(law, t.numbers(cCol), null, loss, weights)
                    : select(law, n, d, loss, weights);
            if (data == null) {
                if (laws != null) throw new ScalingError(file + ": " + law.id() + " needs columns " + law.inputs());
                continue;
            }
            try {
                Fitter.validate(law, data, file.toString());
            } catch (ScalingError e) {
                if (laws != null) throw e;
                skipped.add(law.id() + ": " + e.getMessage().substring(file.toString().length() + 2));
                continue;
            }
            double delta = law.id().equals("chinchilla") ? 1e-3 : huber;
            Fitter.Options o = new Fitter.Options(delta, bootstrap, 0.95, 8, seed);
            Fitter.Fit f = Fitter.fit(law, data, o);
            FitReport.Holdout h = holdout > 0 && data.n() - holdout >= law.size() + 1 ? holdOut(law, data, holdout, delta) : null;
            fits.add(FitReport.toJson(f, h, delta));
        }
        if (fits.isEmpty() && dir == null) {
            throw new ScalingError(file + ": no law could be fitted: " + (skipped.isEmpty() ? "no N or D column" : String.join("; ", skipped)));
        }
        if (dir != null) curveAnalyses(root, fits, skipped);
        root.put("laws", fits);
        if (!skipped.isEmpty()) root.put("skipped", skipped);
        double secs = (System.nanoTime() - t0) / 1e9;
        root.put("seconds", secs);
        String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root) + "\n";
        Path target = out != null ? out : file.toAbsolutePath().getParent().resolve("fits.json");
        org.scalelab.scaling.AtomicFiles.write(target, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (json) {
            System.out.print(text);
        } else {
            System.out.print(FitReport.table(fits));
            for (String s : skipped) System.out.println("skipped " + s);
            System.out.printf(Locale.ROOT, "%d law(s) fitted to %d runs in %.1f s (bootstrap %d) -> %s%n", fits.size(),
                    t.rows().size(), secs, bootstrap, target);
        }
        return 0;
    }

    /**
     * What the learning curves of a sweep directory support: Kaplan's compute frontier L(C), Chinchilla's
     * approaches 1 and 2, and the critical batch size when the sweep varies the batch.
     */
    private void curveAnalyses(Map<String, Object> root, List<Map<String, Object>> fits, List<String> skipped) {
        org.scalelab.scaling.report.SweepData data = org.scalelab.scaling.report.SweepData.read(dir);
        Fitter.Data front = ComputeOptimal.frontier(data, 24);
        if (front != null && (laws == null || laws.contains("c"))) {
            Law lc = Laws.power("C");
            try {
                Fitter.validate(lc, front, dir + " (compute frontier)");
                fits.add(FitReport.toJson(Fitter.fit(lc, front, new Fitter.Options(huber, bootstrap, 0.95, 8, seed)), null, huber));
            } catch (ScalingError e) {
                skipped.add("L(C): " + e.getMessage());
            }
        }
        List<Map<String, Object>> opt = new ArrayList<>();
        Map<String, Object> a1 = ComputeOptimal.approach1(data, 24), a2 = ComputeOptimal.approach2(data);
        if (a1 != null) opt.add(a1);
        else skipped.add("approach 1: needs learning curves of at least two model sizes that are each best at some compute");
        if (a2 != null) opt.add(a2);
        else skipped.add("approach 2: needs at least two compute budgets with three or more model sizes each");
        if (!opt.isEmpty()) root.put("compute_optimal", opt);
        Map<String, Object> cb = CriticalBatch.fit(data, 6);
        if (cb != null) root.put("critical_batch", cb);
    }

    static Law law(String id) {
        return switch (id) {
            case "n" -> Laws.power("N");
            case "n+e" -> Laws.powerWithFloor("N");
            case "d" -> Laws.power("D");
            case "d+e" -> Laws.powerWithFloor("D");
            case "nd" -> Laws.kaplanND();
            case "ns" -> Laws.kaplanNS();
            case "chinchilla" -> Laws.chinchilla();
            case "c" -> null;
            default -> throw new ScalingError("--laws: unknown law '" + id + "'; use n, n+e, d, d+e, nd, ns, chinchilla, c");
        };
    }

    /**
     * The points a law is fitted to. A single-variable law in N uses, for each N, the run with the most
     * data (closest to convergence) when D varies too, and likewise in D; joint laws use every run.
     */
    static Fitter.Data select(Law law, double[] n, double[] d, double[] loss, double[] w) {
        List<String> in = law.inputs();
        int[] rows;
        double[][] cols;
        if (in.size() == 2) {
            if (n == null || d == null) return null;
            rows = IntStream.range(0, loss.length).toArray();
            cols = new double[][]{n, d};
        } else {
            // L(D) picks per D the run with the most parameters; L(N) per N the one with the most data;
            // L(C) gets its C column in place of n and uses every row
            boolean isD = in.get(0).equals("D");
            double[] main = isD ? d : n, other = isD ? n : in.get(0).equals("N") ? d : null;
            if (main == null) return null;
            Map<Double, Integer> pick = new TreeMap<>();
            for (int i = 0; i < loss.length; i++) {
                Integer j = pick.get(main[i]);
                if (j == null || (other != null && other[i] > other[j])) pick.put(main[i], i);
            }
            rows = other == null ? IntStream.range(0, loss.length).toArray()
                    : pick.values().stream().mapToInt(Integer::intValue).toArray();
            cols = new double[][]{main};
        }
        return rows(rows, cols, loss, w);
    }

    /** The points of the given rows: inputs from {@code cols}, their losses and weights (1 when null). */
    static Fitter.Data rows(int[] rows, double[][] cols, double[] loss, double[] w) {
        double[][] x = new double[rows.length][cols.length];
        double[] l = new double[rows.length], ws = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            for (int j = 0; j < cols.length; j++) x[i][j] = cols[j][rows[i]];
            l[i] = loss[rows[i]];
            ws[i] = w == null ? 1 : w[rows[i]];
        }
        return new Fitter.Data(x, l, ws);
    }

    private static double[] weights(double[] w) {
        for (int i = 0; i < w.length; i++) {
            if (!(w[i] >= 0)) throw new ScalingError("--weight-col: row " + (i + 2) + " has weight " + w[i] + "; weights must be numbers ≥ 0");
        }
        return w;
    }

    /**
     * Points (N, S_min) for L(N, S): S_min = S/(1 + B_crit(L)/B) with S the steps, B the tokens per step
     * and Kaplan's B_crit(L) = 2e8·L^(−1/0.21) tokens at the run's loss. Null without those columns.
     */
    static Fitter.Data sMinData(ResultsTable t, double[] n, double[] loss, double[] w) {
        String sCol = t.has("steps_done") ? "steps_done" : "steps";
        if (n == null || !t.has(sCol) || !t.has("tokens_per_step")) return null;
        double[] s = t.numbers(sCol), b = t.numbers("tokens_per_step"), sMin = new double[loss.length];
        for (int i = 0; i < sMin.length; i++) sMin[i] = s[i] / (1 + 2e8 * Math.pow(loss[i], -1 / 0.21) / b[i]);
        return rows(IntStream.range(0, loss.length).toArray(), new double[][]{n, sMin}, loss, w);
    }

    /** Fits on all but the k points with the largest product of inputs and predicts those k. */
    static FitReport.Holdout holdOut(Law law, Fitter.Data data, int k, double delta) {
        Integer[] order = IntStream.range(0, data.n()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> Arrays.stream(data.x()[i]).map(Math::log).sum()));
        int[] train = Arrays.stream(order, 0, data.n() - k).mapToInt(Integer::intValue).toArray();
        int[] test = Arrays.stream(order, data.n() - k, data.n()).mapToInt(Integer::intValue).toArray();
        Fitter.Fit f = Fitter.fit(law, data.subset(train), new Fitter.Options(delta, 0, 0.95, 8, 1));
        double[][] xs = new double[k][];
        double[] meas = new double[k], pred = new double[k];
        for (int i = 0; i < k; i++) {
            xs[i] = data.x()[test[i]];
            meas[i] = data.loss()[test[i]];
            pred[i] = Math.exp(law.logPredict(f.theta(), xs[i]));
        }
        return new FitReport.Holdout(k, xs, meas, pred);
    }
}
