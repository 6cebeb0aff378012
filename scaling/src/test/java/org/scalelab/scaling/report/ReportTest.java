package org.scalelab.scaling.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.scalelab.scaling.FitCommand;
import org.scalelab.scaling.Synthetic;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    /** A sweep of 5 sizes × 2 budgets following L = 2 + (1e4/N)^0.3, with learning curves. */
    static Path fakeSweep(Path dir) throws IOException {
        StringBuilder csv = new StringBuilder("run_id,status,n_layer,d_model,N,D,C,best_val_loss,final_val_loss,family\n");
        int i = 0;
        for (double D : new double[]{1e6, 4e6}) {
            for (double N : new double[]{1e3, 3e3, 1e4, 3e4, 1e5}) {
                String id = "run" + i;
                double loss = 2 + Math.pow(1e4 / N, 0.3) + Math.pow(1e6 / D, 0.3) * 0.2;
                csv.append(String.format(Locale.ROOT, "%s,done,2,64,%.0f,%.0f,%.4g,%.5f,%.5f,%s%n", id, N, D, 6 * N * D, loss,
                        loss + 0.01, i % 2 == 0 ? "standard" : "deepnarrow"));
                Path run = Files.createDirectories(dir.resolve("runs").resolve(id));
                StringBuilder m = new StringBuilder();
                for (int s = 0; s <= 10; s++) {
                    double t = D * s / 10;
                    double l = s == 0 ? 5.5 : loss + 3 * Math.pow(t / 1e4, -0.5);
                    m.append(String.format(Locale.ROOT, "{\"step\":%d,\"tokens\":%.0f,\"train_loss\":null,\"val_loss\":%.5f}%n", s * 10, t, l));
                }
                Files.writeString(run.resolve("metrics.jsonl"), m);
                i++;
            }
        }
        csv.append("failedrun,failed,2,64,,,,,,standard\n");
        Files.writeString(dir.resolve("results.csv"), csv);
        return dir;
    }

    /**
     * A sweep of 6 sizes (N = 1e5·4^i) × 3 token budgets (1e8, 1e9, 1e10) whose learning curves follow
     * L = 1.8 + 300/N^0.3 + 500/t^0.3 with 0.5% noise, sizes alternately of family standard and
     * deepnarrow, fitted with {@code scalelab fit} (L(N)+E, Kaplan's L(N,D), Chinchilla, approach 1).
     */
    static synchronized Path fittedSweep(Path dir) throws IOException {
        if (fitted == null) {
            Path t = Files.createTempDirectory("scalelab-fitted-sweep");
            fitSweep(t);
            fitted = t;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var files = Files.walk(t)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                } catch (IOException ignored) {
                    // a temporary folder left behind
                }
            }));
        }
        // fitted once per test JVM (the Chinchilla fit runs from 4500 starts), then copied
        try (var files = Files.walk(fitted)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = dir.resolve(fitted.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to);
            }
        }
        return dir;
    }

    private static Path fitted;

    private static void fitSweep(Path dir) throws IOException {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        java.util.List<Synthetic.Run> runs = new java.util.ArrayList<>();
        int i = 0;
        for (int k = 0; k < 6; k++) {
            double n = 1e5 * Math.pow(4, k);
            for (double d : new double[]{1e8, 1e9, 1e10}) {
                double[][] curve = new double[16][];
                for (int j = 0; j < 16; j++) {
                    double t = 1e6 * Math.pow(d / 1e6, j / 15.0);
                    curve[j] = new double[]{Math.round(t / 4096), t, Synthetic.noisy(r, 1.8 + 300 / Math.pow(n, 0.3) + 500 / Math.pow(t, 0.3), 0.005)};
                }
                runs.add(new Synthetic.Run(String.format(Locale.ROOT, "r%02d", i++), "done", n, 4096, curve));
            }
        }
        Synthetic.sweep(dir, runs);
        // a family column, as a shape-family sweep writes it
        java.util.List<String> lines = Files.readAllLines(dir.resolve("results.csv"));
        StringBuilder csv = new StringBuilder(lines.get(0)).append(",family\n");
        for (int j = 1; j < lines.size(); j++) csv.append(lines.get(j)).append(((j - 1) / 3) % 2 == 0 ? ",standard" : ",deepnarrow").append('\n');
        Files.writeString(dir.resolve("results.csv"), csv);
        java.io.StringWriter out = new java.io.StringWriter(), err = new java.io.StringWriter();
        int code = FitCommand.execute(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), dir.toString(),
                "--laws", "n+e,nd,chinchilla,approach1", "--bootstrap", "20");
        assertEquals(0, code, err.toString());
    }

    @Test
    void aFittedSweepGetsTheFittedLawsDrawnAndTabulated(@TempDir Path tmp) throws IOException {
        Path dir = fittedSweep(tmp.resolve("sweep"));
        JsonNode fits = Report.readFits(dir.resolve("fits.json"));
        SweepData data = SweepData.read(dir);

        var lossN = Plots.lossVsN(data, fits).getSeriesMap();
        var fit = lossN.get("fit: L = E + A*N^(-alpha_N)");
        assertNotNull(fit, "the fitted L(N)+E curve: " + lossN.keySet());
        var band = lossN.get("95% band (bootstrap)");
        assertNotNull(band, "its bootstrap band");
        for (int i = 0; i < fit.getYData().length; i++) {
            assertTrue(band.getYData()[i] <= fit.getYData()[i] * (1 + 1e-9), "the band's lower edge is below the curve at point " + i);
        }
        assertNotNull(lossN.get("Kaplan slope α_N = 0.076 (reference)"));
        // the fitted Chinchilla law drawn through each D series, close to its runs (0.5% noise; 3% tolerance)
        var joint = lossN.get("fitted Chinchilla L(N,D) (dashed, per series)");
        assertNotNull(joint, "the fitted L(N, D) per D: " + lossN.keySet());
        var d1e8 = lossN.get("D = 1e8");
        assertEquals(d1e8.getXData()[0], joint.getXData()[0], 1e-6 * d1e8.getXData()[0], "the curve starts at the series' smallest N");
        assertEquals(d1e8.getYData()[0], joint.getYData()[0], 0.03 * d1e8.getYData()[0]);
        assertEquals(d1e8.getYData()[5], joint.getYData()[29], 0.03 * d1e8.getYData()[5]);
        assertEquals(3, lossN.keySet().stream().filter(k -> k.startsWith("fitted Chinchilla")).count(), "one curve per D");
        assertEquals(6, Plots.lossVsD(data, fits).getSeriesMap().keySet().stream().filter(k -> k.startsWith("fitted Chinchilla")).count(), "one per N");

        // D_opt(C): approach 1's points are C/(6·N_opt)
        var co = fits.get("compute_optimal").get(0);
        var dChart = Plots.computeOptimal(fits, "D", null).getSeriesMap().get(co.get("method").asText());
        JsonNode p0 = co.get("optimal_points").get(0);
        assertEquals(p0.get("C").asDouble() / (6 * p0.get("N_opt").asDouble()), dChart.getYData()[0], 1e-6 * dChart.getYData()[0]);

        Path index = Report.write(dir, tmp.resolve("report"));
        String html = Files.readString(index);
        for (String id : new String[]{"loss_vs_N", "loss_vs_D", "curves_vs_tokens", "curves_vs_compute", "compute_optimal",
                "compute_optimal_D", "families", "families_equal_compute"}) {
            assertTrue(html.contains("<figure id=\"" + id + "\">"), id);
            assertNotNull(ImageIO.read(tmp.resolve("report").resolve(id + ".png").toFile()), id);
        }
        String table = html.substring(html.indexOf("<h2>Fitted laws</h2>"), html.indexOf("<h2>Runs</h2>"));
        assertTrue(table.contains("chinchilla: L = E + A/N^alpha + B/D^beta"), "the Chinchilla law's row");
        assertTrue(table.contains("L(N,D): L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D"), "Kaplan's L(N,D)");
        assertTrue(table.contains("Hoffmann et al. 2022, eq. 10") && table.contains("Kaplan et al. 2020, eq. 1.5"), "published values beside them");
        assertTrue(table.contains("compute-optimal, approach 1"), "approach 1's exponents");
        assertTrue(table.contains("a (N_opt ∝ C^a)") && table.contains("b (D_opt ∝ C^b)"), "a and b");
        assertTrue(table.contains("compute-optimal from chinchilla"), "the allocation implied by the fitted law");
        String a = String.format(Locale.ROOT, "%.4f", co.get("N_opt").get("exponent_a").asDouble());
        assertTrue(table.contains("<td>" + a + "</td>"), "a = " + a + " in the table");
    }

    @Test
    void criticalBatchRowsWithThePublishedValues() throws IOException {
        JsonNode fits = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"laws\":[],\"critical_batch\":{\"B_star\":3.5e7,"
                + "\"alpha_B\":0.25,\"targets\":[{},{},{}],\"published\":{\"B_star\":2e8,\"alpha_B\":0.21,\"source\":\"Kaplan et al. 2020, eq. 1.4\"}}}");
        String t = Report.fitsTable(fits);
        assertTrue(t.contains("critical batch: B_crit(L) = B*/L^(1/alpha_B) (3 loss targets)"), t);
        assertTrue(t.contains("<td>3.50e+07</td>") && t.contains("2.00e+08 (Kaplan et al. 2020, eq. 1.4)"), t);
        assertTrue(t.contains("<td>0.2500</td>") && t.contains("0.2100 (Kaplan et al. 2020, eq. 1.4)"), t);
    }

    @Test
    void familiesAtEqualComputeHaveTheirOwnFrontiers(@TempDir Path tmp) throws IOException {
        SweepData data = SweepData.read(fakeSweep(tmp));
        var series = Plots.byFamilyAtEqualCompute(data, "family").getSeriesMap();
        for (String fam : new String[]{"standard", "deepnarrow"}) {
            double[] ys = series.get(fam + " frontier (min loss at ≤ C)").getYData();
            for (int i = 1; i < ys.length; i++) assertTrue(ys[i] < ys[i - 1], "strictly decreasing frontier");
            double min = data.done().stream().filter(r -> r.row().get("family").equals(fam)).flatMap(r -> r.curve().stream())
                    .filter(p -> p.tokens() > 0).mapToDouble(SweepData.Point::valLoss).min().orElseThrow();
            assertEquals(min, ys[ys.length - 1], 1e-12, fam);
            // compute is 6·N·tokens without a C_attn column
            var run = data.done().stream().filter(r -> r.row().get("family").equals(fam)).findFirst().orElseThrow();
            var s = series.get(fam + " runs");
            assertEquals(6 * run.num("N").getAsDouble() * run.curve().get(1).tokens(), s.getXData()[0], 1e-6 * s.getXData()[0]);
        }
    }

    @Test
    void rendersEveryChartAsPngAndSvgAndOneSelfContainedPage(@TempDir Path tmp) throws IOException {
        Path index = Report.write(fakeSweep(tmp), tmp.resolve("report"));
        String html = Files.readString(index);
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(m.group(1))));
            assertNotNull(img, "embedded image decodes");
            assertEquals(Plots.W, img.getWidth());
            images++;
        }
        // loss vs N, loss vs D, curves vs tokens, curves vs compute, families at equal N and at equal compute
        assertEquals(6, images);
        for (String name : new String[]{"loss_vs_N", "loss_vs_D", "curves_vs_tokens", "curves_vs_compute", "families", "families_equal_compute"}) {
            assertNotNull(ImageIO.read(tmp.resolve("report").resolve(name + ".png").toFile()), name);
            assertTrue(Files.readString(tmp.resolve("report").resolve(name + ".svg")).contains("<svg"), name);
        }
        assertTrue(html.contains("failedrun"), "every run is in the table, failed ones too");
        assertTrue(!html.contains("http://") && !html.contains("https://"), "no network references");
    }

    @Test
    void computeFrontierIsTheRunningMinimum(@TempDir Path tmp) throws IOException {
        SweepData data = SweepData.read(fakeSweep(tmp));
        var chart = Plots.learningCurves(data, true);
        var front = chart.getSeriesMap().get("compute frontier (min loss at ≤ C)");
        double[] ys = front.getYData();
        for (int i = 1; i < ys.length; i++) assertTrue(ys[i] < ys[i - 1], "strictly decreasing frontier");
        double globalMin = data.runs().stream().flatMap(r -> r.curve().stream()).filter(p -> p.tokens() > 0)
                .mapToDouble(SweepData.Point::valLoss).min().orElseThrow();
        assertEquals(globalMin, ys[ys.length - 1], 1e-12);
    }
}
