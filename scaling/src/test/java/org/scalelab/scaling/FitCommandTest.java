package org.scalelab.scaling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code scalelab fit} on sweep directories and CSV tables written to a temporary folder. */
class FitCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A sweep of 6 sizes (N = 1e5·4^i) × 3 token budgets (1e8, 1e9, 1e10) whose learning curves follow
     * L = 1.8 + 300/N^0.3 + 500/t^0.3 at the tokens t seen so far, 0.5% noise per evaluation, plus a
     * diverged run. Equal exponents: compute-optimal N_opt ∝ C^0.5.
     */
    static Path sweep(Path dir) throws IOException {
        SplittableRandom r = new SplittableRandom(5);
        List<Synthetic.Run> runs = new ArrayList<>();
        int i = 0;
        for (int k = 0; k < 6; k++) {
            double n = 1e5 * Math.pow(4, k);
            for (double d : new double[]{1e8, 1e9, 1e10}) {
                int pts = 16;
                double[][] curve = new double[pts][];
                for (int j = 0; j < pts; j++) {
                    double t = 1e6 * Math.pow(d / 1e6, j / (pts - 1.0));
                    curve[j] = new double[]{Math.round(t / 4096), t, Synthetic.noisy(r, 1.8 + 300 / Math.pow(n, 0.3) + 500 / Math.pow(t, 0.3), 0.005)};
                }
                runs.add(new Synthetic.Run(String.format(Locale.ROOT, "r%02d", i++), "done", n, 4096, curve));
            }
        }
        runs.add(new Synthetic.Run("bad", "diverged", 1e6, 4096, new double[][]{{0, 4096, 9}, {10, 40960, 8}}));
        return Synthetic.sweep(dir, runs);
    }

    static int run(StringWriter out, StringWriter err, String... args) {
        return FitCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    static JsonNode law(JsonNode fits, String id) {
        for (JsonNode l : fits.get("laws")) if (l.get("law").asText().equals(id)) return l;
        return null;
    }

    @Test
    void fitsASweepDirectoryAndWritesFitsJson(@TempDir Path tmp) throws IOException {
        Path dir = sweep(tmp.resolve("sweep"));
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, dir.toString(), "--bootstrap", "100"), err.toString());
        JsonNode fits = JSON.readTree(dir.resolve("fits.json").toFile());
        assertEquals(2, fits.get("format").asInt());
        assertEquals("best_val_loss", fits.get("loss_column").asText());
        assertEquals(18, fits.get("rows").asInt(), "only runs with status done");
        assertEquals(1, fits.get("rows_not_done").get("diverged").asInt());

        JsonNode chin = law(fits, "chinchilla");
        assertNotNull(chin);
        assertEquals(4500, chin.get("starts").asInt());
        assertEquals(0.001, chin.get("huber_delta").asDouble(), 0);
        JsonNode alpha = chin.get("params").get("alpha");
        assertEquals(0.3, alpha.get("value").asDouble(), 0.05);
        assertTrue(alpha.get("ci_low").asDouble() <= alpha.get("value").asDouble() && alpha.get("value").asDouble() <= alpha.get("ci_high").asDouble());
        assertEquals(0.34, alpha.get("published").get(0).get("value").asDouble(), 0, "Hoffmann et al. beside it");
        assertEquals(0.3478, alpha.get("published").get(1).get("value").asDouble(), 0, "and Besiroglu et al.");
        assertEquals(2, chin.get("extrapolation").get("held_out").asInt());
        assertTrue(chin.get("extrapolation").get("mean_abs_rel_error").asDouble() < 0.03, chin.get("extrapolation").toString());
        assertEquals(0.5, chin.get("allocation").get("a").asDouble(), 0.1, "equal exponents: N_opt ∝ C^0.5");
        assertEquals(11, chin.get("allocation").get("at").size());

        JsonNode ln = law(fits, "L(N)");
        assertEquals(6, ln.get("n_points").asInt(), "one run per N, the one with the most data");
        assertEquals(25, ln.get("curve").size());
        JsonNode lc = law(fits, "L(C)");
        assertTrue(lc.get("points_from").asText().startsWith("compute frontier"), lc.get("points_from").asText());
        assertNotNull(law(fits, "L(N,D)"));

        JsonNode a1 = fits.get("compute_optimal").get(0);
        assertTrue(a1.get("method").asText().startsWith("approach 1"));
        assertEquals(0.5, a1.get("N_opt").get("exponent_a").asDouble(), 0.1);
        // every interval has its verdict beside it (Determined), the old keys kept
        for (String k : new String[]{"E", "A", "B", "alpha", "beta"}) {
            JsonNode p = chin.get("params").get(k);
            assertTrue(p.get("determined").isBoolean() && p.has("why") && p.has("value") && p.has("ci_low") && p.has("ci_high") && p.has("published"), k + ": " + p);
        }
        assertTrue(chin.get("allocation").get("a_determined").isBoolean() && chin.get("allocation").has("b_why"), chin.get("allocation").toString());
        assertTrue(a1.get("N_opt").get("determined").isBoolean() && a1.get("D_opt").has("why"), a1.toString());
        String skipped = fits.get("skipped").toString();
        assertTrue(skipped.contains("approach 2"), skipped);
        assertTrue(skipped.contains("critical batch"), skipped);

        String table = out.toString();
        assertTrue(table.contains("chinchilla") && table.contains("Hoffmann et al. 2022"), table);
        assertTrue(table.matches("(?s).*4500 starts, 100 bootstraps; \\d+\\.\\d\\d s.*"), "the time of each fit is printed");
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }

    @Test
    void anyCsvWithNamedColumnsAndJsonOutput(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        StringBuilder sb = new StringBuilder("params,myloss\n");
        for (double n = 1e3; n <= 1e8; n *= 3) sb.append(String.format(Locale.ROOT, "%.0f,%.8f%n", n, Math.pow(1e10 / n, 0.08)));
        Files.writeString(f, sb);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, "--csv", f.toString(), "--n-col", "params", "--loss-col", "myloss", "--laws", "n",
                "--bootstrap", "50", "--json", "--out", tmp.resolve("o/fits.json").toString()));
        JsonNode printed = JSON.readTree(out.toString());
        assertEquals(printed, JSON.readTree(tmp.resolve("o/fits.json").toFile()));
        JsonNode l = printed.get("laws").get(0);
        assertEquals(0.08, l.get("params").get("alpha_N").get("value").asDouble(), 1e-6);
        assertEquals(1e10, l.get("params").get("N_c").get("value").asDouble(), 1e4);
    }

    /**
     * L(N)+E on 11 sizes of a pure power law, (1e10/N)^0.08 with 0.5% noise: the fit puts E at 0, so the
     * table flags it "not determined: interval touches bound 0" and fits.json says so beside its old keys;
     * alpha_N is determined.
     */
    @Test
    void aParameterAtItsBoundIsFlaggedNotDetermined(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        SplittableRandom r = new SplittableRandom(9);
        StringBuilder sb = new StringBuilder("N,loss\n");
        for (double n = 1e3; n <= 1e8; n *= 3) sb.append(String.format(Locale.ROOT, "%.0f,%.8f%n", n, Synthetic.noisy(r, Math.pow(1e10 / n, 0.08), 0.005)));
        Files.writeString(f, sb);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, "--csv", f.toString(), "--laws", "n+e", "--bootstrap", "100"), err.toString());
        JsonNode ps = JSON.readTree(tmp.resolve("fits.json").toFile()).get("laws").get(0).get("params");
        JsonNode e = ps.get("E");
        assertFalse(e.get("determined").asBoolean(), e.toString());
        assertTrue(e.get("why").asText().startsWith("interval touches bound 0"), e.toString());
        for (String k : new String[]{"value", "ci_low", "ci_high", "published"}) assertTrue(e.has(k), "old key " + k + " kept");
        assertTrue(ps.get("alpha_N").get("determined").asBoolean(), ps.get("alpha_N").toString());
        assertTrue(ps.get("alpha_N").get("why").isNull());
        String row = out.toString().lines().filter(l -> l.startsWith("L(N)+E")).findFirst().orElseThrow();
        assertTrue(row.contains("not determined: interval touches bound 0"), row);
        String alpha = out.toString().lines().filter(l -> l.contains("alpha_N")).findFirst().orElseThrow();
        assertTrue(alpha.endsWith(" yes"), alpha);
    }

    /** --huber alone means δ = 1e-3; a zero weight leaves a point out. */
    @Test
    void huberFlagAndWeights(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        StringBuilder sb = new StringBuilder("N,loss,w\n");
        for (double n = 1e3; n <= 1e8; n *= 3) sb.append(String.format(Locale.ROOT, "%.0f,%.8f,1%n", n, Math.pow(1e10 / n, 0.08)));
        sb.append("5000,9.0,0\n");
        Files.writeString(f, sb);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, "--csv", f.toString(), "--weight-col", "w", "--laws", "n", "--huber", "--bootstrap", "0"), err.toString());
        JsonNode l = JSON.readTree(tmp.resolve("fits.json").toFile()).get("laws").get(0);
        assertEquals(0.001, l.get("huber_delta").asDouble(), 0);
        assertEquals(0.08, l.get("params").get("alpha_N").get("value").asDouble(), 1e-6);
    }

    /** A user error prints its one-line message alone (no stack trace) and exits 2. */
    @Test
    void userErrorsExitTwoWithOneLine(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        Files.writeString(f, "N,loss\n1000,3\n1000,2.9\n1000,3.1\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(2, run(out, err, "--csv", f.toString(), "--laws", "n"));
        assertEquals(f + ": all points have the same N; L(N) needs runs at several values of N", err.toString().strip());
        err.getBuffer().setLength(0);
        assertEquals(2, run(out, err, "--csv", f.toString(), "--loss-col", "nope"));
        assertTrue(err.toString().startsWith(f + ": no column 'nope' (--loss-col)"), err.toString());
        assertEquals(1, err.toString().strip().lines().count());
        err.getBuffer().setLength(0);
        assertEquals(2, run(out, err, tmp.resolve("missing").toString()));
        assertEquals(tmp.resolve("missing") + ": no such sweep directory", err.toString().strip());
        assertFalse(Files.exists(tmp.resolve("fits.json")), "no fits.json from a failed fit");
    }

    /**
     * A batch-size sweep (8 batch sizes, B_crit(L) = 1e7/L^(1/0.21) tokens): fits.json's critical batch
     * recovers α_B to ±0.01 and B* to 15%, with bootstrap intervals over the runs around them, printed too.
     */
    @Test
    void criticalBatchFromABatchSweep(@TempDir Path tmp) throws IOException {
        List<Synthetic.Run> runs = new ArrayList<>();
        for (double b = 1024; b <= 131072; b *= 2) runs.add(new Synthetic.Run("b" + (long) b, "done", 1e6, b, Synthetic.batchCurve(b, 1e7, 0.21)));
        Path dir = Synthetic.sweep(tmp, runs);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, dir.toString(), "--laws", "batch", "--bootstrap", "100"), err.toString());
        JsonNode cb = JSON.readTree(dir.resolve("fits.json").toFile()).get("critical_batch");
        assertEquals(8, cb.get("batch_sizes_tokens").size());
        assertEquals(0.21, cb.get("alpha_B").asDouble(), 0.01);
        assertEquals(1, cb.get("B_star").asDouble() / 1e7, 0.15);
        assertEquals(100, cb.get("bootstrap").asInt());
        for (String k : new String[]{"alpha_B", "B_star"}) {
            double v = cb.get(k).asDouble(), lo = cb.get(k + "_ci_low").asDouble(), hi = cb.get(k + "_ci_high").asDouble();
            assertTrue(lo <= v && v <= hi && lo < hi, k + " " + cb);
        }
        assertTrue(out.toString().contains("critical batch (tokens/step)"), out.toString());
        assertTrue(out.toString().contains("95% intervals over 100 bootstrap resamples of the runs: B* ["), out.toString());
    }

    /**
     * An IsoFLOP sweep (3 budgets × 7 sizes): fits.json carries approach 2, and the report draws the IsoFLOP
     * and N_opt(C) charts from it.
     */
    @Test
    void isoFlopSweepFitAndReport(@TempDir Path tmp) throws IOException {
        List<Synthetic.Run> runs = new ArrayList<>();
        int i = 0;
        for (double c : new double[]{1e16, 1e17, 1e18}) {
            double nStar = Math.sqrt(c / 6 * Math.pow(300.0 / 500, 1 / 0.3));
            for (double f = 1.0 / 8; f <= 8.01; f *= 2) {
                double n = nStar * f, d = c / (6 * n);
                double[][] curve = new double[3][];
                for (int k = 1; k <= 3; k++) curve[k - 1] = new double[]{k * 100, d * k / 3, 1.8 + 300 / Math.pow(n, 0.3) + 500 / Math.pow(d * k / 3, 0.3)};
                runs.add(new Synthetic.Run("i" + i++, "done", n, 4096, curve));
            }
        }
        Path dir = Synthetic.sweep(tmp, runs);
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, dir.toString(), "--bootstrap", "20"), err.toString());
        JsonNode co = JSON.readTree(dir.resolve("fits.json").toFile()).get("compute_optimal");
        JsonNode a2 = null;
        for (JsonNode m : co) if (m.get("method").asText().startsWith("approach 2")) a2 = m;
        assertNotNull(a2, co.toString());
        assertEquals(0.5, a2.get("N_opt").get("exponent_a").asDouble(), 0.05);
        assertEquals(3, a2.get("budgets").size());
        // tokens per parameter: this law's optimum has D/N = (5/3)^(1/0.3) = 5.49 at every budget
        double ratio = Math.pow(500.0 / 300, 1 / 0.3);
        for (JsonNode b : a2.get("budgets")) {
            assertEquals(b.get("C").asDouble() / 6, b.get("N_opt").asDouble() * b.get("D_opt").asDouble(), 1e-9 * b.get("C").asDouble());
            assertEquals(1, b.get("tokens_per_param").asDouble() / ratio, 0.15, b.toString());
        }
        for (JsonNode p : a2.get("optimal_points")) {
            assertEquals(p.get("D_opt").asDouble() / p.get("N_opt").asDouble(), p.get("tokens_per_param").asDouble(), 1e-9 * ratio);
        }
        assertEquals(11, a2.get("at").size());
        JsonNode at17 = a2.get("at").get(2);
        assertEquals(1e17, at17.get("C").asDouble(), 0);
        assertEquals(1, at17.get("tokens_per_param").asDouble() / ratio, 0.15, at17.toString());
        assertTrue(out.toString().contains("D/N = "), out.toString());
        org.scalelab.scaling.report.Report.write(dir, dir.resolve("report"));
        assertTrue(Files.exists(dir.resolve("report/isoflop.png")));
        assertTrue(Files.exists(dir.resolve("report/compute_optimal.svg")));
    }

    /** The command keeps working under its earlier class name, as picocli sees it. */
    @Test
    void earlierClassNameIsTheSameCommand() {
        @SuppressWarnings("deprecation")
        CommandLine cl = new CommandLine(new org.scalelab.scaling.fit.FitCommand());
        assertEquals("fit", cl.getCommandName());
        assertNotNull(cl.getCommandSpec().findOption("--bootstrap"));
        assertTrue(cl.getCommandSpec().mixinStandardHelpOptions());
    }

    /**
     * {@code --laws hyper} on a CSV of 4 budgets × 5 learning rates × 4 batch sizes with a known optimum:
     * fits.json's {@code hyperparameters} has both laws with intervals around the truth and DeepSeek's values
     * beside them, every budget with its best run, the near-optimal points and the laws at the budgets of
     * the allocations; the table prints the same.
     */
    @Test
    void hyperparametersInFitsJson(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("hyper.csv");
        Files.writeString(f, String.join("\n", Synthetic.hyperSweep(new double[]{1e17, 1e18, 1e19, 1e20}, 5, 4, 0.0005, 1)) + "\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, run(out, err, "--csv", f.toString(), "--laws", "hyper", "--bootstrap", "300", "--hyper-margin", "0.0025"), err.toString());
        JsonNode fits = JSON.readTree(tmp.resolve("fits.json").toFile());
        assertEquals(0.0025, fits.get("options").get("hyper_margin").asDouble(), 0);
        JsonNode h = fits.get("hyperparameters");
        assertNotNull(h, fits.toString());
        assertEquals("C = 6·N·D FLOP", h.get("compute").asText());
        assertEquals("lr", h.get("lr_column").asText());
        assertEquals("tokens_per_step", h.get("batch_column").asText());
        assertEquals(0.0025, h.get("margin").asDouble(), 0);
        assertEquals(300, h.get("bootstrap").asInt());
        double[][] truth = {{Synthetic.LR_B, 0.06}, {Synthetic.BATCH_D, 0.04}};
        String[][] names = {{"lr", "a", "b", "deepseek_lr"}, {"batch", "c", "d", "deepseek_batch"}};
        for (int i = 0; i < 2; i++) {
            JsonNode law = h.get(names[i][0]);
            JsonNode e = law.get(names[i][2]);
            assertEquals(truth[i][0], e.get("value").asDouble(), truth[i][1], law.toString());
            assertTrue(e.get("ci_low").asDouble() <= truth[i][0] && truth[i][0] <= e.get("ci_high").asDouble(), e.toString());
            assertEquals(Published.constant(names[i][3] + "_exponent"), e.get("published").get(0).get("value").asDouble(), 0);
            assertEquals(Published.constant(names[i][3] + "_coefficient"), law.get(names[i][1]).get("published").get(0).get("value").asDouble(), 0);
            assertTrue(e.get("published").get(0).get("source").asText().startsWith("Bi et al. 2024, §3.1"));
            assertEquals(11, law.get("at").size());
            JsonNode at = law.get("at").get(3);
            assertEquals(1e18, at.get("C").asDouble(), 0);
            double v = at.get(names[i][0]).asDouble();
            assertEquals(law.get(names[i][1]).get("value").asDouble() * Math.pow(1e18, e.get("value").asDouble()), v, 1e-9 * v);
            assertTrue(at.get(names[i][0] + "_ci_low").asDouble() < v && v < at.get(names[i][0] + "_ci_high").asDouble(), at.toString());
        }
        assertEquals(4, h.get("budgets").size());
        int near = 0;
        for (JsonNode b : h.get("budgets")) {
            assertEquals(20, b.get("runs").asInt());
            assertTrue(b.get("near_optimal").asInt() >= 1);
            assertTrue(b.get("near_optimal_lr_low").asDouble() <= b.get("best_lr").asDouble() && b.get("best_lr").asDouble() <= b.get("near_optimal_lr_high").asDouble());
            assertTrue(b.get("best_run").asText().startsWith("line "), b.toString());
            near += b.get("near_optimal").asInt();
        }
        assertEquals(near, h.get("points").asInt());
        assertEquals(near, h.get("near_optimal_points").size());
        String table = out.toString();
        assertTrue(table.contains("hyperparameters (Bi et al. 2024, §3.1): " + near + " near-optimal runs (loss within 0.25% of the budget's lowest) at 4 budgets of C = 6·N·D; "
                + "95% intervals over 300 resamples of the runs within budgets"), table);
        assertTrue(table.contains("  lr_opt = a·C^b: a = ") && table.contains("DeepSeek: a = 0.3118, b = -0.1250"), table);
        assertTrue(table.contains("  B_opt = c·C^d: c = ") && table.contains("DeepSeek: c = 0.2920, d = 0.3271"), table);
    }
}
