package org.scalelab.scaling.report;

import com.fasterxml.jackson.databind.JsonNode;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Charts of a transfer sweep (from transfer.json) and of runs evaluated on other corpora (eval.json). */
final class TransferPlots {
    private TransferPlots() {}

    /**
     * What the report says about transfer and shape families: the sweep's transfer.json when
     * {@code scalelab transfer} wrote one, else, for a transfer sweep or a sweep of shape families, the
     * same analysis made here (reference family standard, the default bootstrap), without writing it;
     * null for other sweeps. So {@code sweep run && report} states the family comparison by itself.
     */
    static JsonNode analysis(Path sweepDir, SweepData all) {
        JsonNode written = Report.readFits(sweepDir.resolve("transfer.json"));
        if (written != null) return written;
        if (!all.columns().contains("phase") && !all.columns().contains("family")) return null;
        try {
            Map<String, Object> out = org.scalelab.scaling.TransferCommand.analyse(all, 1000, "standard");
            return new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(out);
        } catch (org.scalelab.scaling.ScalingError e) {
            return null;   // a report without the analysis is still a report
        }
    }

    /** Fine-tuning loss against D_F per model, from scratch (dashed) and fine-tuned (solid). */
    static XYChart losses(JsonNode transfer) {
        XYChart c = Plots.chart("Fine-tuning corpus: from scratch vs pre-trained", "D_F (fine-tuning tokens)", "best validation loss (nats/token)", true, false);
        Map<String, List<JsonNode>> byModel = group(transfer.path("points"));
        int k = 0;
        for (var e : byModel.entrySet()) {
            Color col = Plots.ramp(k++ / Math.max(1.0, byModel.size() - 1));
            List<JsonNode> ps = e.getValue();
            ps.sort(java.util.Comparator.comparingDouble(p -> p.get("D_F").asDouble()));
            double[] x = ps.stream().mapToDouble(p -> p.get("D_F").asDouble()).toArray();
            XYSeries s = c.addSeries(e.getKey() + " scratch", x, ps.stream().mapToDouble(p -> p.get("loss_scratch").asDouble()).toArray());
            s.setLineColor(col);
            s.setMarkerColor(col);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineStyle(SeriesLines.DASH_DASH);
            XYSeries f = c.addSeries(e.getKey() + " fine-tuned", x, ps.stream().mapToDouble(p -> p.get("loss_finetuned").asDouble()).toArray());
            f.setLineColor(col);
            f.setMarkerColor(col);
            f.setMarker(SeriesMarkers.DIAMOND);
        }
        return c;
    }

    /** D_T against D_F per model, with the fitted D_T = k·D_F^α·N^β at each model's N. */
    static XYChart effectiveData(JsonNode transfer) {
        XYChart c = Plots.chart("Effective data transferred D_T = D_E − D_F", "D_F (fine-tuning tokens)", "D_T (tokens)", true, true);
        c.getStyler().setYAxisDecimalPattern("0.#E0");
        Map<String, List<JsonNode>> byModel = group(transfer.path("points"));
        JsonNode fit = transfer.get("fit");
        int k = 0;
        for (var e : byModel.entrySet()) {
            List<JsonNode> ps = new ArrayList<>(e.getValue().stream().filter(p -> p.path("D_T").isNumber() && p.get("D_T").asDouble() > 0).toList());
            if (ps.isEmpty()) continue;
            ps.sort(java.util.Comparator.comparingDouble(p -> p.get("D_F").asDouble()));
            Color col = Plots.ramp(k++ / Math.max(1.0, byModel.size() - 1));
            double[] x = ps.stream().mapToDouble(p -> p.get("D_F").asDouble()).toArray();
            XYSeries s = c.addSeries(e.getKey(), x, ps.stream().mapToDouble(p -> p.get("D_T").asDouble()).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarkerColor(col);
            if (fit != null && x.length >= 1) {
                double kk = fit.path("k").path("value").asDouble(), a = fit.path("alpha").path("value").asDouble();
                JsonNode b = fit.path("beta").path("value");
                double n = ps.get(0).get("N").asDouble(), scale = kk * (b.isNumber() ? Math.pow(n, b.asDouble()) : 1);
                double lo = x[0] / 1.5, hi = x[x.length - 1] * 1.5;
                XYSeries l = c.addSeries(e.getKey() + " fit", new double[]{lo, hi}, new double[]{scale * Math.pow(lo, a), scale * Math.pow(hi, a)});
                l.setMarker(SeriesMarkers.NONE);
                l.setLineColor(col);
                l.setShowInLegend(false);
            }
        }
        if (fit != null) {
            c.setTitle(String.format(Locale.ROOT, "Effective data transferred: D_T = %.3g·D_F^%.2f%s", fit.path("k").path("value").asDouble(),
                    fit.path("alpha").path("value").asDouble(),
                    fit.path("beta").path("value").isNumber() ? String.format(Locale.ROOT, "·N^%.2f", fit.path("beta").path("value").asDouble()) : ""));
        }
        return c;
    }

    private static Map<String, List<JsonNode>> group(JsonNode points) {
        Map<String, List<JsonNode>> m = new LinkedHashMap<>();
        for (JsonNode p : points) m.computeIfAbsent(p.get("model").asText(), x -> new ArrayList<>()).add(p);
        return m;
    }

    /**
     * Loss on each other corpus (eval.json) against the run's own validation loss, one series per corpus,
     * with the mean offset drawn as a line of slope 1 (Kaplan: other distributions track the training
     * distribution with a roughly constant offset). Null when no run was evaluated elsewhere.
     */
    static XYChart crossCorpus(SweepData data) {
        Map<String, double[][]> byCorpus = new TreeMap<>();
        Map<String, List<double[]>> pts = new TreeMap<>();
        for (SweepData.Run r : data.done()) {
            Path f = data.dir().resolve("runs").resolve(r.id()).resolve("eval.json");
            if (!Files.isRegularFile(f) || r.loss().isEmpty()) continue;
            JsonNode e = Report.readFits(f);
            if (e == null) continue;
            String own = r.row().getOrDefault("corpus", "");
            e.fields().forEachRemaining(x -> {
                // a run evaluated on its own corpus is no "other" distribution
                if (x.getValue().path("val_loss").isNumber() && !x.getKey().equals(own)) {
                    pts.computeIfAbsent(x.getKey(), k -> new ArrayList<>()).add(new double[]{r.loss().getAsDouble(), x.getValue().get("val_loss").asDouble()});
                }
            });
        }
        if (pts.isEmpty()) return null;
        XYChart c = Plots.chart("Loss on other corpora vs loss on the training corpus", "validation loss, training corpus (nats/token)",
                "validation loss, other corpus (nats/token)", false, false);
        c.getStyler().setXAxisDecimalPattern("0.00");
        int k = 0;
        for (var e : pts.entrySet()) {
            List<double[]> p = e.getValue();
            p.sort(java.util.Comparator.comparingDouble(v -> v[0]));
            Color col = Plots.ramp(k++ / Math.max(1.0, pts.size() - 1));
            double off = p.stream().mapToDouble(v -> v[1] - v[0]).average().orElse(0);
            XYSeries s = c.addSeries(String.format(Locale.ROOT, "%s (mean offset %+.3f)", shorten(e.getKey()), off),
                    p.stream().mapToDouble(v -> v[0]).toArray(), p.stream().mapToDouble(v -> v[1]).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarkerColor(col);
            double lo = p.get(0)[0], hi = p.get(p.size() - 1)[0];
            XYSeries l = c.addSeries(e.getKey() + " offset", new double[]{lo, hi}, new double[]{lo + off, hi + off});
            l.setMarker(SeriesMarkers.NONE);
            l.setLineColor(col);
            l.setLineStyle(SeriesLines.DASH_DASH);
            l.setShowInLegend(false);
        }
        return c;
    }

    private static String shorten(String s) {
        return s.length() <= 40 ? s : "…" + s.substring(s.length() - 39);
    }
}
