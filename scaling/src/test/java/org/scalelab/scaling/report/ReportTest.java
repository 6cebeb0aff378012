package org.scalelab.scaling.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.scalelab.scaling.FitCommand;
import org.scalelab.scaling.Synthetic;
import org.scalelab.scaling.fit.FrontierTest;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    /**
     * A sweep of 5 sizes × 2 budgets following L = 2 + (1e4/N)^0.3, with learning curves: 101 logged
     * steps per run (train loss, a warmup-then-cosine lr, a falling grad norm, and fields the report
     * does not draw; the runs of the larger budget also a gradient noise scale, null for the first 3 steps,
     * then rising as 100·(1 + s/10), with the squared norms behind it), validation loss every 10th, and an
     * eval.json with the loss on another corpus; and one failed run.
     */
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
                for (int s = 0; s <= 100; s++) {
                    double t = D * s / 100;
                    double l = s == 0 ? 5.5 : loss + 3 * Math.pow(t / 1e4, -0.5);
                    double lr = s < 10 ? 1e-3 * s / 10 : 1e-3 * 0.5 * (1 + Math.cos(Math.PI * (s - 10) / 90));
                    String noise = D < 4e6 ? "" : s < 3 ? ",\"noise_scale\":null"
                            : String.format(Locale.ROOT, ",\"noise_scale\":%.4f,\"grad_sq_small\":0.5,\"grad_sq_big\":0.2", 100 * (1 + s / 10.0));
                    m.append(String.format(Locale.ROOT, "{\"step\":%d,\"tokens\":%.0f,\"train_loss\":%s,\"lr\":%.6g,\"grad_norm\":%s%s,"
                                    + "\"tokens_per_s\":1000.0,\"time\":\"2024-01-01T00:00:%02dZ\",\"elapsed_s\":%.1f,\"tokens_per_s_avg\":990.5%s}%n",
                            s, t, s == 0 ? "null" : String.format(Locale.ROOT, "%.5f", l * 0.98), lr,
                            s == 0 ? "null" : String.format(Locale.ROOT, "%.4f", 0.5 + 4 / Math.sqrt(s)), noise, s % 60, 0.1 * s,
                            s % 10 == 0 ? String.format(Locale.ROOT, ",\"val_loss\":%.5f", l) : ""));
                }
                Files.writeString(run.resolve("metrics.jsonl"), m);
                // as `eval --sweep` writes it: the loss on another corpus, a roughly constant offset above
                Files.writeString(run.resolve("eval.json"), String.format(Locale.ROOT, "{\"wikitext\":{\"val_loss\":%.5f}}", loss + 0.4 + 0.01 * i));
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

    /**
     * A learning-rate sweep over widths in two parameterizations: one loss-vs-lr line per (parameterization,
     * d_model), each with its minimum where the sweep put it, seeds averaged.
     */
    @Test
    void lossAgainstLearningRatePerShape(@TempDir Path tmp) throws IOException {
        StringBuilder csv = new StringBuilder("run_id,status,model.parameterization,n_layer,d_model,N,D,lr,seed,best_val_loss\n");
        int i = 0;
        for (String p : new String[]{"sp", "mup"}) {
            for (int d : new int[]{32, 64, 128}) {
                double best = p.equals("mup") ? 4e-3 : 4e-3 * 32.0 / d;   // SP's best lr falls with width, μP's stays
                for (double lr : new double[]{1e-3, 2e-3, 4e-3, 8e-3}) {
                    for (int seed : new int[]{1, 2}) {
                        double loss = 3 - 0.1 * Math.log(d) + 0.05 * Math.pow(Math.log(lr / best), 2) + 0.001 * seed;
                        csv.append(String.format(Locale.ROOT, "r%d,done,%s,2,%d,%d,1e5,%.4g,%d,%.6f%n", i++, p, d, 12 * 2 * d * d, lr, seed, loss));
                    }
                }
            }
        }
        Files.writeString(tmp.resolve("results.csv"), csv);
        var c = Plots.lossVsLr(SweepData.read(tmp));
        assertEquals(6, c.getSeriesMap().size());
        for (var s : c.getSeriesMap().values()) {
            double[] x = s.getXData(), y = s.getYData();
            assertEquals(4, x.length, s.getName() + ": seeds averaged into one point per lr");
            int arg = 0;
            for (int k = 1; k < y.length; k++) if (y[k] < y[arg]) arg = k;
            double want = s.getName().startsWith("mup") ? 4e-3 : s.getName().endsWith("= 32") ? 4e-3 : s.getName().endsWith("= 64") ? 2e-3 : 1e-3;
            assertEquals(want, x[arg], 1e-12, s.getName());
        }
        assertTrue(c.getSeriesMap().containsKey("mup d_model = 128"), c.getSeriesMap().keySet().toString());
        assertTrue(Report.write(tmp, tmp.resolve("report")).toFile().exists());
        assertTrue(Files.exists(tmp.resolve("report/loss_vs_lr.png")));
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
            assertTrue(html.contains("<figure id=\"" + id + "\" data-chart="), id);
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
            for (int i = 1; i < ys.length; i++) assertTrue(ys[i] <= ys[i - 1], "a frontier never rises");
            double min = data.done().stream().filter(r -> r.row().get("family").equals(fam)).flatMap(r -> r.curve().stream())
                    .filter(p -> p.tokens() > 0).mapToDouble(SweepData.Point::valLoss).min().orElseThrow();
            assertEquals(min, ys[ys.length - 1], 1e-12, fam);
            // compute is 6·N·tokens without a C_attn column
            var run = data.done().stream().filter(r -> r.row().get("family").equals(fam)).findFirst().orElseThrow();
            var s = series.get(fam + " runs");
            assertEquals(6 * run.num("N").getAsDouble() * run.curve().get(1).tokens(), s.getXData()[0], 1e-6 * s.getXData()[0]);
        }
    }

    /** The JSON the page draws from, parsed back out of its script element. */
    static JsonNode embedded(String html) throws IOException {
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"scalelab-data\">(.*?)</script>", Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "the page embeds its data");
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.group(1));
    }

    static JsonNode chart(JsonNode page, String id) {
        for (JsonNode c : page.get("charts")) if (c.get("id").asText().equals(id)) return c;
        throw new AssertionError("no chart " + id);
    }

    static JsonNode series(JsonNode chart, String label) {
        for (JsonNode s : chart.get("series")) if (s.get("label").asText().equals(label)) return s;
        throw new AssertionError("no series " + label + " in " + chart.get("id"));
    }

    @Test
    void rendersEveryChartAsPngAndSvgAndOneSelfContainedPage(@TempDir Path tmp) throws IOException {
        Path index = Report.write(fakeSweep(tmp), tmp.resolve("report"));
        String html = Files.readString(index);
        for (String name : new String[]{"loss_vs_N", "loss_vs_D", "curves_vs_tokens", "curves_vs_compute", "families",
                "families_equal_compute", "cross_corpus"}) {
            BufferedImage img = ImageIO.read(tmp.resolve("report").resolve(name + ".png").toFile());
            assertNotNull(img, name);
            assertEquals(Plots.W, img.getWidth(), name);
            assertTrue(Files.readString(tmp.resolve("report").resolve(name + ".svg")).contains("<svg"), name);
        }
        JsonNode page = embedded(html);
        java.util.List<String> ids = new java.util.ArrayList<>();
        page.get("charts").forEach(c -> ids.add(c.get("id").asText()));
        // the PNG report's charts in its order, the page's own training charts after the learning curves
        assertEquals(java.util.List.of("loss_vs_N", "loss_vs_D", "curves_vs_tokens", "curves_vs_compute", "train_vs_tokens",
                "train_vs_compute", "lr_vs_step", "grad_norm_vs_step", "noise_scale_vs_step", "families", "families_equal_compute",
                "cross_corpus"), ids);
        for (int i = 0; i < ids.size(); i++) assertTrue(html.contains("<figure id=\"" + ids.get(i) + "\" data-chart=\"" + i + "\">"), ids.get(i));
        assertTrue(html.contains("<body data-charts=\"12\">"), "the page declares its chart count");
        assertTrue(!chart(page, "cross_corpus").get("x").get("log").asBoolean(), "linear axes where the PNG has them");
        assertTrue(html.contains("<a href=\"loss_vs_N.svg\">SVG</a>") && !html.contains("href=\"lr_vs_step.png\""), "links to the files that exist");
        assertTrue(chart(page, "loss_vs_N").get("x").get("log").asBoolean() && chart(page, "loss_vs_N").get("y").get("log").asBoolean(), "log-log");

        String v = Page.uplotVersion();
        assertTrue(v.startsWith("1.6."), v);
        String uplot = Page.resource("META-INF/resources/webjars/uplot/" + v + "/dist/uPlot.iife.min.js");
        assertTrue(uplot.length() > 30_000 && html.contains(uplot), "uPlot inlined whole");
        assertTrue(html.contains(Page.resource("META-INF/resources/webjars/uplot/" + v + "/dist/uPlot.min.css")), "its CSS too");
        assertTrue(html.contains("Copyright (c) 2022 Leon Sorokin"), "with its licence");
        assertTrue(html.length() < 400_000, "small: " + html.length() + " characters");

        assertTrue(html.contains("failedrun"), "every run is in the table, failed ones too");
        assertTrue(html.contains("<th data-num>N</th>") && html.contains("<td data-v=\"100000\">1.00e+05</td>"),
                "numeric columns sort by their exact values");
        // nothing fetched: no external source, link, import or url()
        assertTrue(!Pattern.compile("(?i)(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//").matcher(html).find(), "no remote src or href");
        assertTrue(!html.contains("<link") && !html.contains("@import") && !html.contains("url("), "no stylesheet or resource loaded");
    }

    @Test
    void aSweepWithoutFinishedRunsStillGetsItsPage(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("results.csv"), "run_id,status,N,D,best_val_loss\nr0,failed,,,\nr1,pending,,,\n");
        String html = Files.readString(Report.write(tmp, tmp.resolve("report")));
        assertTrue(html.contains("<body data-charts=\"0\">") && html.contains("2 runs, 0 done"));
        assertEquals(0, embedded(html).get("charts").size());
        assertEquals(2, embedded(html).get("runs").size());
    }

    @Test
    void theEmbeddedDataHoldEachRunsMetrics(@TempDir Path tmp) throws IOException {
        Path dir = fakeSweep(tmp.resolve("sweep"));
        JsonNode page = embedded(Files.readString(Report.write(dir, tmp.resolve("report"))));
        JsonNode run = null;
        for (JsonNode r : page.get("runs")) if (r.get("id").asText().equals("run3")) run = r;
        assertNotNull(run);
        assertEquals(3e4, run.get("N").asDouble(), 0);
        assertEquals(1e6, run.get("D").asDouble(), 0);
        var om = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.List<JsonNode> lines = new java.util.ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("runs/run3/metrics.jsonl"))) lines.add(om.readTree(l));
        // 101 steps: fewer than the sample keeps, so every one is in the page, at 6 significant digits
        JsonNode train = run.get("train"), val = run.get("val");
        assertEquals(101, train.get("step").size());
        int v = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode l = lines.get(i);
            assertEquals(l.get("step").asLong(), train.get("step").get(i).asLong());
            assertEquals(l.get("tokens").asDouble(), train.get("tokens").get(i).asDouble(), 0);
            for (String[] f : new String[][]{{"train_loss", "loss"}, {"lr", "lr"}, {"grad_norm", "grad_norm"}}) {
                JsonNode want = l.get(f[0]), got = train.get(f[1]).get(i);
                if (want.isNull()) assertTrue(got.isNull(), f[0] + " at step " + i);
                else assertEquals(want.asDouble(), got.asDouble(), 5e-6 * Math.abs(want.asDouble()), f[0] + " at step " + i);
            }
            if (l.has("val_loss")) {
                assertEquals(l.get("step").asLong(), val.get("step").get(v).asLong());
                assertEquals(l.get("tokens").asDouble(), val.get("tokens").get(v).asDouble(), 0);
                assertEquals(l.get("val_loss").asDouble(), val.get("loss").get(v).asDouble(), 5e-6 * l.get("val_loss").asDouble());
                v++;
            }
        }
        assertEquals(11, v);
        assertEquals(v, val.get("loss").size());
        // a learning curve refers to the run's curve instead of repeating it; against compute, scaled by 6·N
        JsonNode ref = series(chart(page, "curves_vs_compute"), "run3 (N=3e4)").get("ref");
        assertEquals("val", ref.get("curve").asText());
        assertEquals(6 * 3e4, ref.get("xScale").asDouble(), 0);
        assertEquals("run3", page.get("runs").get(ref.get("run").asInt()).get("id").asText());
        assertEquals("lr", series(chart(page, "lr_vs_step"), "run3 (N=3e4)").get("ref").get("y").asText());
    }

    /**
     * The noise-scale chart, built as the gradient-norm one: a log-y line per run that logged noise_scale (the 5
     * runs of the larger budget, by N), each referring to its run's own noise_scale column, which holds the
     * logged values (null where the line has null) at 6 significant digits; a run that did not log it has no
     * such column and no series.
     */
    @Test
    void theNoiseScaleChartDrawsTheRunsThatLoggedIt(@TempDir Path tmp) throws IOException {
        Path dir = fakeSweep(tmp.resolve("sweep"));
        JsonNode page = embedded(Files.readString(Report.write(dir, tmp.resolve("report"))));
        JsonNode ch = chart(page, "noise_scale_vs_step");
        assertEquals("Gradient noise scale vs step", ch.get("title").asText());
        assertTrue(ch.get("y").get("log").asBoolean() && !ch.get("x").get("log").asBoolean(), "log y, linear step");
        assertTrue(ch.get("y").get("label").asText().contains("tokens"), ch.get("y").toString());
        java.util.List<String> labels = new java.util.ArrayList<>();
        ch.get("series").forEach(s -> labels.add(s.get("label").asText()));
        assertEquals(java.util.List.of("run5 (N=1e3)", "run6 (N=3e3)", "run7 (N=1e4)", "run8 (N=3e4)", "run9 (N=1e5)"), labels);
        JsonNode ref = series(ch, "run8 (N=3e4)").get("ref");
        assertEquals("train", ref.get("curve").asText());
        assertEquals("step", ref.get("x").asText());
        assertEquals("noise_scale", ref.get("y").asText());
        JsonNode run8 = page.get("runs").get(ref.get("run").asInt()), run3 = null;
        assertEquals("run8", run8.get("id").asText());
        for (JsonNode r : page.get("runs")) if (r.get("id").asText().equals("run3")) run3 = r;
        assertTrue(run3 != null && !run3.get("train").has("noise_scale"), "no column for a run without it");
        JsonNode col = run8.get("train").get("noise_scale");
        assertEquals(101, col.size());
        for (int s = 0; s < 101; s++) {
            if (s < 3) assertTrue(col.get(s).isNull(), "null at step " + s);
            else assertEquals(100 * (1 + s / 10.0), col.get(s).asDouble(), 5e-6 * 100 * (1 + s / 10.0), "step " + s);
        }
        SweepData.Step s50 = SweepData.read(dir).runs().get(8).steps().get(50);
        assertEquals(600, s50.noiseScale(), 1e-9);
        assertTrue(Double.isNaN(SweepData.read(dir).runs().get(3).steps().get(50).noiseScale()), "NaN where the run did not log it");
    }

    @Test
    void aSweepWithoutNoiseScalesHasNoNoiseScaleChart(@TempDir Path tmp) throws IOException {
        Path dir = fakeSweep(tmp.resolve("sweep"));
        for (int i = 5; i < 10; i++) {
            Path m = dir.resolve("runs/run" + i + "/metrics.jsonl");
            Files.writeString(m, Files.readString(m).replaceAll(",\"noise_scale\":[^,}]*", ""));
        }
        JsonNode page = embedded(Files.readString(Report.write(dir, tmp.resolve("report"))));
        page.get("charts").forEach(c -> assertTrue(!c.get("id").asText().equals("noise_scale_vs_step"), "no noise-scale chart"));
        chart(page, "grad_norm_vs_step");
    }

    /** Each point of loss vs N, loss vs D and of the compute frontier carries the run it shows (for its tooltip). */
    @Test
    void pointsAreTiedToTheirRuns(@TempDir Path tmp) throws IOException {
        SweepData data = SweepData.read(fakeSweep(tmp.resolve("sweep")));
        JsonNode page = embedded(Files.readString(Report.write(data.dir(), tmp.resolve("report"))));
        JsonNode runs = page.get("runs");
        int tied = 0;
        for (String[] c : new String[][]{{"loss_vs_N", "D = 1e6", "N"}, {"loss_vs_N", "D = 4e6", "N"}, {"loss_vs_D", "N = 1e4", "D"}}) {
            JsonNode s = series(chart(page, c[0]), c[1]);
            for (int i = 0; i < s.get("x").size(); i++) {
                JsonNode r = runs.get(s.get("run").get(i).asInt());
                assertEquals(r.get(c[2]).asDouble(), s.get("x").get(i).asDouble(), 1e-9 * r.get(c[2]).asDouble(), c[0] + " " + c[1]);
                assertEquals(r.get("loss").asDouble(), s.get("y").get(i).asDouble(), 1e-5, c[0] + " " + c[1]);
                tied++;
            }
        }
        assertEquals(5 + 5 + 2, tied);
        // the frontier's evaluated points are learning-curve points: each at its run's 6·N·tokens and validation
        // loss at that step; its other vertices (crossings of two curves, ends of flat stretches) are no run's
        JsonNode f = series(chart(page, "curves_vs_compute"), "compute frontier (min loss at ≤ C)");
        int ofRuns = 0;
        for (int i = 0; i < f.get("x").size(); i++) {
            if (f.get("run").get(i).isNull()) {
                assertTrue(f.get("step").get(i).isNull());
                continue;
            }
            ofRuns++;
            SweepData.Run r = data.runs().get(f.get("run").get(i).asInt());
            long step = f.get("step").get(i).asLong();
            SweepData.Point p = r.curve().stream().filter(q -> q.step() == step).findFirst().orElseThrow();
            assertEquals(6 * r.num("N").getAsDouble() * p.tokens(), f.get("x").get(i).asDouble(), 1e-5 * f.get("x").get(i).asDouble());
            assertEquals(p.valLoss(), f.get("y").get(i).asDouble(), 1e-5);
        }
        assertTrue(ofRuns >= 2, ofRuns + " of the frontier's points are runs'");
        // a fitted or reference curve is no run's
        assertTrue(!series(chart(page, "families"), "standard").path("run").isMissingNode(), "family points are runs'");
    }

    @Test
    void runIdsAndLabelsAreEscapedInTheHtmlAndTheJson(@TempDir Path tmp) throws IOException {
        Path dir = fakeSweep(tmp.resolve("sweep"));
        String evil = "deep</script><!--<b>&\"x'";
        String csv = Files.readString(dir.resolve("results.csv")).replace(",deepnarrow\n", ",\"" + evil.replace("\"", "\"\"") + "\"\n");
        Files.writeString(dir.resolve("results.csv"), csv);
        String html = Files.readString(Report.write(dir, tmp.resolve("report")));
        assertTrue(!html.contains("deep</script>") && !html.contains("<!--<b>"), "the label cannot end the script or open a comment");
        assertTrue(html.contains("<td class=\"l\">deep&lt;/script&gt;&lt;!--&lt;b&gt;&amp;&quot;x'</td>"), "escaped in the table");
        JsonNode page = embedded(html);
        assertEquals(evil, series(chart(page, "families"), evil).get("label").asText(), "and read back intact from the JSON");
    }

    @Test
    void longRunsKeepABoundedSampleOfTheirSteps(@TempDir Path tmp) throws IOException {
        Path m = tmp.resolve("metrics.jsonl");
        StringBuilder sb = new StringBuilder();
        int steps = 200_000;
        for (int s = 0; s < steps; s++) {
            sb.append("{\"step\":").append(s).append(",\"tokens\":").append(64L * s).append(",\"train_loss\":").append(2 + 1.0 / (1 + s))
                    .append(",\"lr\":0.001,\"grad_norm\":1.5,\"noise_scale\":").append(1000 + s).append(",\"tokens_per_s\":100.0,\"elapsed_s\":1.0");
            if (s % 1000 == 0) sb.append(",\"val_loss\":").append(2.1);
            sb.append("}\n");
        }
        Files.writeString(m, sb);
        SweepData.Run r = SweepData.readRun(java.util.Map.of("run_id", "long"), m);
        assertEquals(steps / 1000, r.curve().size(), "every validation point");
        var kept = r.steps();
        assertTrue(kept.size() <= StepSample.MAX && StepSample.MAX <= 510, kept.size() + " steps kept");
        assertEquals(0, kept.get(0).step());
        assertEquals(steps - 1, kept.get(kept.size() - 1).step(), "the last step");
        long maxGap = 0, early = kept.stream().filter(s -> s.step() < 1000).count();
        for (int i = 1; i < kept.size(); i++) {
            assertTrue(kept.get(i).step() > kept.get(i - 1).step(), "in order, each once");
            maxGap = Math.max(maxGap, kept.get(i).step() - kept.get(i - 1).step());
        }
        // even in step: at least 150 points on a grid, so no gap above steps/150; dense in log step: the first 0.5% of steps hold > 60
        assertTrue(maxGap <= steps / 150, "largest gap " + maxGap);
        assertTrue(early > 60, early + " points below step 1000");
        SweepData.Step s7 = kept.stream().filter(s -> s.step() == 7).findFirst().orElseThrow();
        assertEquals(2 + 1.0 / 8, s7.trainLoss(), 1e-12);
        assertEquals(0.001, s7.lr(), 0);
        assertEquals(1.5, s7.gradNorm(), 0);
        assertEquals(1007, s7.noiseScale(), 0);
        assertEquals(64 * 7, s7.tokens(), 0);
    }

    @Test
    void roundingToSixDigitsPrintsShort() {
        assertEquals("2.34568", Double.toString(PageData.round6(2.345678912)));
        assertEquals("1.23457E9", Double.toString(PageData.round6(1.234567891e9)));
        assertEquals("3.14159E-7", Double.toString(PageData.round6(3.14159265e-7)));
        assertTrue(PageData.numNode(Double.NaN).isNull());
        assertEquals(1024, PageData.numNode(1024.0).asLong());
    }

    @Test
    void computeFrontierIsTheRunningMinimum(@TempDir Path tmp) throws IOException {
        SweepData data = SweepData.read(fakeSweep(tmp));
        var chart = Plots.learningCurves(data, true);
        var front = chart.getSeriesMap().get("compute frontier (min loss at ≤ C)");
        double[] ys = front.getYData(), xs = front.getXData();
        for (int i = 1; i < ys.length; i++) assertTrue(ys[i] <= ys[i - 1] && xs[i] >= xs[i - 1], "a frontier never rises");
        // at or below every drawn learning curve, at each of its points and midway between them (1e-12 relative)
        List<double[]> f = new ArrayList<>();
        for (int i = 0; i < xs.length; i++) f.add(new double[]{xs[i], ys[i]});
        for (var s : chart.getSeriesMap().values()) {
            if (s == front || s.getName().startsWith("exact floor")) continue;
            double[] cx = s.getXData(), cy = s.getYData();
            for (int i = 0; i < cx.length; i++) {
                assertTrue(FrontierTest.polyline(f, cx[i]) <= cy[i] * (1 + 1e-12), s.getName() + " at C = " + cx[i]);
                if (i > 0) {
                    double mid = Math.sqrt(cx[i - 1] * cx[i]);
                    assertTrue(FrontierTest.polyline(f, mid) <= FrontierTest.drawn(cx, cy, mid) * (1 + 1e-12), s.getName() + " at C = " + mid);
                }
            }
        }
        double globalMin = data.runs().stream().flatMap(r -> r.curve().stream()).filter(p -> p.tokens() > 0)
                .mapToDouble(SweepData.Point::valLoss).min().orElseThrow();
        assertEquals(globalMin, ys[ys.length - 1], 1e-12);
    }
    /**
     * The fake sweep with the exact floors results.csv records for the synthetic corpus: per finished run
     * i, loss_floor = full[i % full.length] and loss_floor_ctx = ctx[i % ctx.length]; the failed run has none.
     */
    static Path withFloors(Path dir, double[] full, double[] ctx) throws IOException {
        fakeSweep(dir);
        List<String> lines = Files.readAllLines(dir.resolve("results.csv"));
        StringBuilder csv = new StringBuilder(lines.get(0)).append(",loss_floor,loss_floor_ctx\n");
        for (int i = 1; i < lines.size(); i++) {
            String l = lines.get(i);
            csv.append(l).append(l.contains(",done,") ? String.format(Locale.ROOT, ",%s,%s", full[(i - 1) % full.length], ctx[(i - 1) % ctx.length]) : ",,").append('\n');
        }
        Files.writeString(dir.resolve("results.csv"), csv);
        return dir;
    }

    static final double FLOOR = 1.1434468634801545, FLOOR_CTX = 1.1748920405618164;   // the synthetic corpus' floors, full context and at n_ctx = 64

    /**
     * Runs sharing their context-length floor: loss vs N and loss vs C (the learning curves against
     * compute) draw it as a dashed line "exact floor 1.175" at exactly that loss across the runs' N and C,
     * in the PNG/SVG charts' series and in the page's data.
     */
    @Test
    void theExactFloorIsADashedLine(@TempDir Path tmp) throws IOException {
        SweepData data = SweepData.read(withFloors(tmp.resolve("sweep"), new double[]{FLOOR}, new double[]{FLOOR_CTX}));
        var n = Plots.lossVsN(data, null).getSeriesMap().get("exact floor 1.175");
        assertNotNull(n, "loss vs N has the floor");
        assertEquals(FLOOR_CTX, n.getYData()[0], 0);
        assertEquals(FLOOR_CTX, n.getYData()[1], 0);
        assertEquals(1e3, n.getXData()[0], 1e-9);
        assertEquals(1e5, n.getXData()[1], 1e-9);
        assertNotNull(n.getLineStyle().getDashArray(), "dashed");
        var curves = Plots.learningCurves(data, true);
        var c = curves.getSeriesMap().get("exact floor 1.175");
        assertNotNull(c, "loss vs C has the floor");
        double cMin = Double.MAX_VALUE, cMax = 0;
        for (var s : curves.getSeriesMap().values()) {
            if (s == c) continue;
            for (double x : s.getXData()) {
                cMin = Math.min(cMin, x);
                cMax = Math.max(cMax, x);
            }
        }
        assertEquals(cMin, c.getXData()[0], 0);
        assertEquals(cMax, c.getXData()[1], 0);
        assertEquals(FLOOR_CTX, c.getYData()[1], 0);

        JsonNode page = embedded(Files.readString(Report.write(data.dir(), tmp.resolve("report"))));
        for (String id : new String[]{"loss_vs_N", "curves_vs_compute"}) {
            JsonNode f = series(chart(page, id), "exact floor 1.175");
            assertEquals(2, f.get("y").size());
            for (JsonNode y : f.get("y")) assertEquals(FLOOR_CTX, y.asDouble(), 1e-5, id + " (the page keeps 6 digits)");
            assertTrue(f.get("dash").size() > 0 && f.get("line").asBoolean(), id + ": a dashed line");
            assertTrue(f.path("run").isMissingNode(), "no run's point");
        }
    }

    /**
     * Runs at two context lengths (floors 1.175 and 1.201) on one corpus share only its full-context
     * floor: that is drawn, saying so. Runs of two corpora (no floor in common) get no line but a note in
     * the title, on the PNG chart and the page.
     */
    @Test
    void differentFloorsDrawTheSharedOneOrNone(@TempDir Path tmp) throws IOException {
        SweepData two = SweepData.read(withFloors(tmp.resolve("a"), new double[]{FLOOR}, new double[]{FLOOR_CTX, 1.2013}));
        String label = "exact floor 1.143 (full context; the runs' floors at their context lengths differ, 1.175 to 1.201)";
        for (var ch : List.of(Plots.lossVsN(two, null), Plots.learningCurves(two, true))) {
            var s = ch.getSeriesMap().get(label);
            assertNotNull(s, ch.getTitle() + ": " + ch.getSeriesMap().keySet());
            assertEquals(FLOOR, s.getYData()[0], 0);
        }

        SweepData none = SweepData.read(withFloors(tmp.resolve("b"), new double[]{FLOOR, 1.31}, new double[]{FLOOR_CTX, 1.35}));
        for (var ch : List.of(Plots.lossVsN(none, null), Plots.learningCurves(none, true))) {
            assertTrue(ch.getSeriesMap().keySet().stream().noneMatch(k -> k.startsWith("exact floor")), ch.getSeriesMap().keySet().toString());
            assertTrue(ch.getTitle().endsWith("(no exact floor: the runs' floors differ, 1.143 to 1.310)"), ch.getTitle());
        }
        JsonNode page = embedded(Files.readString(Report.write(none.dir(), tmp.resolve("report"))));
        for (String id : new String[]{"loss_vs_N", "curves_vs_compute"}) {
            JsonNode ch = chart(page, id);
            assertTrue(ch.get("title").asText().endsWith("(no exact floor: the runs' floors differ, 1.143 to 1.310)"), ch.get("title").asText());
            ch.get("series").forEach(s -> assertFalse(s.get("label").asText().startsWith("exact floor"), id));
        }
    }

    /**
     * The fitted-laws table's "determined" column: fits.json's verdicts where it has them, marked when not
     * determined; for an older fits.json without them, the same rule on its intervals.
     */
    @Test
    void fitsTableSaysWhatIsNotDetermined() throws IOException {
        JsonNode fits = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"laws\":["
                + "{\"law\":\"L(N)+E\",\"formula\":\"L = E + A*N^(-alpha_N)\",\"rmse_log\":0.01,\"params\":{"
                + "\"E\":{\"value\":1e-12,\"ci_low\":1e-13,\"ci_high\":2e-12,\"determined\":false,\"why\":\"interval touches bound 0\",\"published\":[]},"
                + "\"A\":{\"value\":5.3,\"ci_low\":5.0,\"ci_high\":5.6,\"determined\":true,\"why\":null,\"published\":[]}}},"
                + "{\"law\":\"L(N)\",\"formula\":\"L = (N_c/N)^alpha_N\",\"rmse_log\":0.01,\"params\":{"
                + "\"N_c\":{\"value\":2e14,\"ci_low\":2.77e13,\"ci_high\":3.92e15,\"published\":[]},"
                + "\"alpha_N\":{\"value\":0.05,\"ci_low\":0.045,\"ci_high\":0.056,\"published\":[]}}}]}");
        String t = Report.fitsTable(fits);
        assertTrue(t.contains("<th>95% interval</th><th>determined</th>"), t);
        assertTrue(t.contains("<td class=\"det nd\">not determined: interval touches bound 0</td>"), t);
        assertTrue(t.contains("<td class=\"det nd\">not determined: interval spans 142× (more than 10×)</td>"), "older fits.json: N_c by the rule\n" + t);
        assertEquals(2, t.split("<td class=\"det\">yes</td>", -1).length - 1, "A and alpha_N determined\n" + t);
    }
}
