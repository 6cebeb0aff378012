package org.scalelab.scaling.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.scalelab.scaling.fit.Determined;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code report/} for a sweep: each chart as PNG and SVG (for papers), and one self-contained
 * {@code index.html} whose charts the browser draws (uPlot, inlined with the data: no network or other
 * file needed to view it), with tooltips, zoom and series toggling, the fitted laws when
 * {@code fits.json} exists, and a sortable, filterable table of every run.
 */
public final class Report {
    private Report() {}

    /** Builds the report for {@code sweepDir} into {@code out}; returns the path of index.html. */
    public static Path write(Path sweepDir, Path out) {
        System.setProperty("java.awt.headless", "true");
        SweepData all = SweepData.read(sweepDir);
        // a transfer sweep: the scaling charts are about the pre-training runs; fine-tuning has its own charts.
        // A learning-rate search's candidates (phase lr-search) tune the sweep's runs and stay out of them too, as do
        // the constant-learning-rate main runs of cooldown branches (phase main), which never decay.
        boolean transferSweep = all.runs().stream().anyMatch(r -> r.row().getOrDefault("phase", "").equals("pretrain"));
        SweepData data = all.filter(r -> transferSweep ? r.row().getOrDefault("phase", "").equals("pretrain")
                : !r.row().getOrDefault("phase", "").equals("lr-search") && !r.row().getOrDefault("phase", "").equals("main"));
        Map<String, XYChart> charts = new LinkedHashMap<>();
        com.fasterxml.jackson.databind.JsonNode fits = readFits(sweepDir.resolve("fits.json"));
        if (!data.done().isEmpty()) charts.put("loss_vs_N", Plots.lossVsN(data, fits));
        if (Plots.distinctD(data) > 1) charts.put("loss_vs_D", Plots.lossVsD(data, fits));
        if (data.runs().stream().anyMatch(r -> r.curve().size() > 1)) {
            charts.put("curves_vs_tokens", Plots.learningCurves(data, false));
            charts.put("curves_vs_compute", Plots.learningCurves(data, true));
        }
        if (Plots.isoFlopGroups(data) >= 2) charts.put("isoflop", Plots.isoFlop(data));
        if (fits != null && (fits.path("compute_optimal").size() > 0 || Plots.jointLaw(fits) != null)) {
            double[] range = {Double.MAX_VALUE, 0};
            for (SweepData.Run r : data.done()) {
                double cc = 6 * r.num("N").getAsDouble() * r.num("D").orElse(Double.NaN);
                if (!Double.isFinite(cc)) continue;
                range[0] = Math.min(range[0], cc);
                range[1] = Math.max(range[1], cc);
            }
            charts.put("compute_optimal", Plots.computeOptimal(fits, "N", range));
            charts.put("compute_optimal_D", Plots.computeOptimal(fits, "D", range));
        }
        SweepData byLr = transferSweep ? data : all;   // with a search's candidates, loss against lr at the shape searched
        if (Plots.distinctLr(byLr) >= 3) charts.put("loss_vs_lr", Plots.lossVsLr(byLr));
        String family = data.columns().contains("family") ? "family" : data.columns().contains("shape_family") ? "shape_family" : null;
        if (family != null && data.done().stream().map(r -> r.row().get(family)).distinct().count() > 1) {
            charts.put("families", Plots.byFamily(data, family));
            if (data.done().stream().filter(r -> r.curve().size() > 1).map(r -> r.row().get(family)).distinct().count() > 1) {
                charts.put("families_equal_compute", Plots.byFamilyAtEqualCompute(data, family));
            }
        }
        com.fasterxml.jackson.databind.JsonNode transfer = TransferPlots.analysis(sweepDir, all);
        if (transfer != null && transfer.path("points").size() > 0) {
            charts.put("transfer_losses", TransferPlots.losses(transfer));
            charts.put("transfer_effective_data", TransferPlots.effectiveData(transfer));
        }
        XYChart cross = TransferPlots.crossCorpus(all);
        if (cross != null) charts.put("cross_corpus", cross);
        try {
            Files.createDirectories(out);
            for (var e : charts.entrySet()) {
                byte[] png = BitmapEncoder.getBitmapBytes(e.getValue(), BitmapEncoder.BitmapFormat.PNG);
                org.scalelab.scaling.AtomicFiles.write(out.resolve(e.getKey() + ".png"), png);
                ByteArrayOutputStream svg = new ByteArrayOutputStream();
                VectorGraphicsEncoder.saveVectorGraphic(e.getValue(), svg, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
                org.scalelab.scaling.AtomicFiles.write(out.resolve(e.getKey() + ".svg"), svg.toByteArray());
            }
            PageData page = pageData(all, data, charts, sweepDir.getFileName().toString());
            StringBuilder html = new StringBuilder();
            html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                    .append("<title>ScaleLab report: ").append(esc(sweepDir.getFileName().toString())).append("</title>\n")
                    .append(Page.styles()).append("</head>\n<body data-charts=\"").append(page.charts().size()).append("\">\n")
                    .append("<h1>Sweep ").append(esc(sweepDir.toAbsolutePath().normalize().toString())).append("</h1>\n")
                    .append("<p>").append(all.runs().size()).append(" runs, ").append(all.done().size())
                    .append(" done. N counts non-embedding parameters; C = 6·N·D; losses in nats per token.")
                    .append(transferSweep ? " A transfer sweep: the scaling charts show the pre-training runs." : "").append("</p>\n")
                    .append("<p class=\"hint\">Hover a point for its run; drag to zoom (double-click resets); click a legend entry to hide "
                            + "or show its series. Each chart is also a PNG and an SVG file beside this page.</p>\n")
                    .append("<noscript><p>The charts are drawn by JavaScript; without it, open the PNG or SVG files linked below each chart.</p></noscript>\n");
            if (transfer != null && transfer.path("statements").size() > 0) {
                html.append("<h2>What the data show</h2>\n<ul>\n");
                for (var st : transfer.path("statements")) html.append("<li>").append(esc(st.asText())).append("</li>\n");
                html.append("</ul>\n");
            }
            List<com.fasterxml.jackson.databind.JsonNode> shown = page.charts();
            for (int i = 0; i < shown.size(); i++) html.append(Page.figure(shown.get(i), i));
            if (fits != null) html.append("<h2>Fitted laws</h2>\n").append(fitsTable(fits));
            html.append("<h2>Runs</h2>\n").append(Page.runTable(all))
                    .append(Page.scripts(page.json()))
                    .append("</body></html>\n");
            Path index = out.resolve("index.html");
            org.scalelab.scaling.AtomicFiles.write(index, html.toString().getBytes(StandardCharsets.UTF_8));
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report in " + out, e);
        }
    }

    /**
     * The page's charts: those of the PNG report in their order, the validation learning curves drawn from
     * the runs' own curves, and after them the charts only the page has: training loss against tokens and
     * compute, learning rate, gradient norm and (for runs that logged it) the gradient noise scale against step.
     */
    static PageData pageData(SweepData all, SweepData data, Map<String, XYChart> charts, String title) {
        PageData page = new PageData(all, title);
        boolean training = false;
        for (var e : charts.entrySet()) {
            String k = e.getKey();
            if (!training && !k.startsWith("loss_vs_") && !k.startsWith("curves_vs_")) {
                trainingCharts(page, data);
                training = true;
            }
            switch (k) {
                case "curves_vs_tokens" -> page.learningCurves(data, "val", false);
                case "curves_vs_compute" -> page.learningCurves(data, "val", true);
                default -> page.chart(k, e.getValue());
            }
        }
        if (!training) trainingCharts(page, data);
        return page;
    }

    private static void trainingCharts(PageData page, SweepData data) {
        page.learningCurves(data, "train", false);
        page.learningCurves(data, "train", true);
        page.perStep(data, "lr");
        page.perStep(data, "grad_norm");
        page.perStep(data, "noise_scale");
    }

    static com.fasterxml.jackson.databind.JsonNode readFits(Path f) {
        if (!Files.isRegularFile(f)) return null;
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.toFile());
        } catch (IOException e) {
            return null; // a report without the fits is still a report
        }
    }

    /**
     * Every fitted parameter with its interval, whether the runs determine it (fits.json's verdicts; for an
     * older fits.json without them, the same rule applied to its intervals) and the published values beside it.
     */
    static String fitsTable(com.fasterxml.jackson.databind.JsonNode fits) {
        StringBuilder sb = new StringBuilder("<table><tr><th>law</th><th>parameter</th><th>value</th><th>95% interval</th>"
                + "<th>determined</th><th>published</th><th>RMSE(log L)</th><th>held-out error</th></tr>\n");
        for (var law : fits.path("laws")) {
            var it = law.get("params").fields();
            boolean first = true;
            while (it.hasNext()) {
                var e = it.next();
                var p = e.getValue();
                StringBuilder pub = new StringBuilder();
                for (var r : p.path("published")) pub.append(fmt(r.get("value").asDouble())).append(" (").append(esc(r.get("source").asText())).append(")<br>");
                sb.append("<tr><td style=\"text-align:left\">").append(first ? esc(law.get("law").asText() + ": " + law.get("formula").asText()) : "")
                        .append("</td><td>").append(esc(e.getKey())).append("</td><td>").append(fmt(p.get("value").asDouble()))
                        .append("</td><td>").append(p.get("ci_low").isNumber() || p.get("ci_high").isNumber() ? "[" + fmtNode(p.get("ci_low")) + ", " + fmtNode(p.get("ci_high")) + "]" : "")
                        .append("</td>").append(determinedCell(Determined.of(law, e.getKey())))
                        .append("<td style=\"text-align:left\">").append(pub).append("</td><td>")
                        .append(first ? fmt(law.get("rmse_log").asDouble()) : "").append("</td><td>")
                        .append(first && law.has("extrapolation") ? String.format(Locale.ROOT, "%.2f%%", 100 * law.get("extrapolation").get("mean_abs_rel_error").asDouble()) : "")
                        .append("</td></tr>\n");
                first = false;
            }
        }
        for (var m : fits.path("compute_optimal")) {
            boolean first = true;
            for (String[] q : new String[][]{{"N_opt", "exponent_a", "published_a", "a (N_opt ∝ C^a)"}, {"D_opt", "exponent_b", "published_b", "b (D_opt ∝ C^b)"}}) {
                var p = m.path(q[0]);
                if (!p.path(q[1]).isNumber()) continue;
                StringBuilder pub = new StringBuilder();
                for (var r : p.path(q[2])) pub.append(fmt(r.get("value").asDouble())).append(" (").append(esc(r.get("source").asText())).append(")<br>");
                sb.append("<tr><td style=\"text-align:left\">").append(first ? esc("compute-optimal, " + m.path("method").asText()
                                + " (" + m.path("points").asInt() + " optimal points)") : "")
                        .append("</td><td>").append(esc(q[3])).append("</td><td>").append(fmt(p.get(q[1]).asDouble()))
                        .append("</td><td>").append(interval(p.get("ci_low"), p.get("ci_high"))).append("</td>")
                        .append(determinedCell(Determined.of(p, "determined", "why", "ci_low", "ci_high", Determined.Bounds.FRACTION)))
                        .append("<td style=\"text-align:left\">").append(pub).append("</td><td></td><td></td></tr>\n");
                first = false;
            }
        }
        for (var law : fits.path("laws")) {
            var al = law.path("allocation");
            if (!al.path("a").isNumber()) continue;
            for (String q : new String[]{"a", "b"}) {
                StringBuilder pub = new StringBuilder();
                for (var r : al.path("published")) {
                    if (r.path(q).isNumber()) pub.append(fmt(r.get(q).asDouble())).append(" (").append(esc(r.get("source").asText())).append(")<br>");
                }
                sb.append("<tr><td style=\"text-align:left\">").append(q.equals("a") ? esc("compute-optimal from " + law.get("law").asText() + " (at C = 1e21)") : "")
                        .append("</td><td>").append(q.equals("a") ? "a (N_opt ∝ C^a)" : "b (D_opt ∝ C^b)").append("</td><td>").append(fmt(al.get(q).asDouble()))
                        .append("</td><td>").append(interval(al.get(q + "_ci_low"), al.get(q + "_ci_high"))).append("</td>")
                        .append(determinedCell(Determined.of(al, q + "_determined", q + "_why", q + "_ci_low", q + "_ci_high", Determined.Bounds.FRACTION)))
                        .append("<td style=\"text-align:left\">").append(pub).append("</td><td></td><td></td></tr>\n");
            }
        }
        var cb = fits.path("critical_batch");
        if (cb.isObject()) {
            var pub = cb.path("published");
            boolean first = true;
            for (String[] q : new String[][]{{"B_star", "B* (tokens)"}, {"alpha_B", "alpha_B"}}) {
                sb.append("<tr><td style=\"text-align:left\">").append(first ? esc("critical batch: B_crit(L) = B*/L^(1/alpha_B) ("
                                + cb.path("targets").size() + " loss targets)") : "")
                        .append("</td><td>").append(esc(q[1])).append("</td><td>").append(fmtNode(cb.get(q[0])))
                        .append("</td><td>").append(interval(cb.get(q[0] + "_ci_low"), cb.get(q[0] + "_ci_high"))).append("</td>")
                        .append(determinedCell(Determined.of(cb, q[0] + "_determined", q[0] + "_why", q[0] + "_ci_low", q[0] + "_ci_high", Determined.Bounds.POSITIVE)))
                        .append("<td style=\"text-align:left\">")
                        .append(pub.path(q[0]).isNumber() ? fmt(pub.get(q[0]).asDouble()) + " (" + esc(pub.path("source").asText()) + ")" : "")
                        .append("</td><td></td><td></td></tr>\n");
                first = false;
            }
        }
        return sb.append("</table>\n").toString();
    }

    /** The table's "determined" cell ({@link Determined}): yes, "not determined: why" (marked), or empty without an interval. */
    static String determinedCell(Determined.Verdict v) {
        return (v.notDetermined() ? "<td class=\"det nd\">" : "<td class=\"det\">") + esc(v.cell()) + "</td>";
    }

    /** "[lo, hi]" when either end is a number, else empty. */
    static String interval(com.fasterxml.jackson.databind.JsonNode lo, com.fasterxml.jackson.databind.JsonNode hi) {
        boolean any = (lo != null && lo.isNumber()) || (hi != null && hi.isNumber());
        return any ? "[" + fmtNode(lo) + ", " + fmtNode(hi) + "]" : "";
    }

    static String fmtNode(com.fasterxml.jackson.databind.JsonNode n) {
        return n != null && n.isNumber() ? fmt(n.asDouble()) : "n/a";
    }

    static String fmt(double v) {
        double a = Math.abs(v);
        return a != 0 && (a >= 1e4 || a < 1e-2) ? String.format(Locale.ROOT, "%.3g", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
