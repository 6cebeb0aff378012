package org.scalelab.scaling.report;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The report's charts, built from a {@link SweepData}. Log axes everywhere a power law is expected,
 * with ticks between decades so that a loss axis spanning less than a decade stays readable.
 */
public final class Plots {
    static final int W = 820, H = 560;
    private static final double KAPLAN_ALPHA_N = 0.076;

    private Plots() {}

    static XYChart chart(String title, String x, String y, boolean logX, boolean logY) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(x).yAxisTitle(y).build();
        var s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setXAxisLogarithmic(logX);
        s.setYAxisLogarithmic(logY);
        s.setXAxisLogarithmicDecadeOnly(true);   // labels at 1e3, 1e4, …; between them they collide
        s.setYAxisLogarithmicDecadeOnly(false);
        s.setYAxisDecimalPattern("0.00");
        s.setMarkerSize(7);
        s.setXAxisDecimalPattern("0.#E0");
        s.setPlotGridLinesColor(new Color(225, 225, 225));
        return c;
    }

    /** 1.5e+05 style labels for counts that span decades. */
    static String sci(double v) {
        if (v == 0) return "0";
        double e = Math.floor(Math.log10(Math.abs(v)));
        double m = v / Math.pow(10, e);
        return Math.abs(m - Math.round(m)) < 1e-9
                ? String.format(Locale.ROOT, "%de%d", Math.round(m), (int) e)
                : String.format(Locale.ROOT, "%.1fe%d", m, (int) e);
    }

    /** Viridis-like colour for t in [0, 1]. */
    static Color ramp(double t) {
        double[][] stops = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
        t = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min((int) t, stops.length - 2);
        double f = t - i;
        return new Color((int) (stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                (int) (stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                (int) (stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
    }

    /**
     * Loss against N for the finished runs, one series per token budget D (the L(N, D) family), with
     * Kaplan's published slope α_N = 0.076 drawn through the data's geometric centre for comparison.
     */
    public static XYChart lossVsN(SweepData data, com.fasterxml.jackson.databind.JsonNode fits) {
        XYChart c = chart("Loss vs non-embedding parameters N", "N (non-embedding parameters)", "validation loss (nats/token)", true, true);
        Map<Double, List<SweepData.Run>> byD = data.done().stream()
                .collect(Collectors.groupingBy(r -> roundSig(r.num("D").orElse(0)), TreeMap::new, Collectors.toList()));
        int k = 0;
        double sumLogN = 0, sumLogL = 0, minN = Double.MAX_VALUE, maxN = 0;
        int n = 0;
        for (var e : byD.entrySet()) {
            List<SweepData.Run> runs = new ArrayList<>(e.getValue());
            runs.sort(Comparator.comparingDouble(r -> r.num("N").getAsDouble()));
            double[] xs = runs.stream().mapToDouble(r -> r.num("N").getAsDouble()).toArray();
            double[] ys = runs.stream().mapToDouble(r -> r.loss().getAsDouble()).toArray();
            String name = byD.size() == 1 ? "runs (D = " + sci(e.getKey()) + ")" : "D = " + sci(e.getKey());
            XYSeries s = c.addSeries(name, xs, ys);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.CIRCLE);
            Color col = byD.size() == 1 ? new Color(33, 102, 172) : ramp(k++ / Math.max(1.0, byD.size() - 1));
            s.setLineColor(col);
            s.setMarkerColor(col);
            for (int i = 0; i < xs.length; i++) {
                sumLogN += Math.log(xs[i]);
                sumLogL += Math.log(ys[i]);
                minN = Math.min(minN, xs[i]);
                maxN = Math.max(maxN, xs[i]);
                n++;
            }
        }
        com.fasterxml.jackson.databind.JsonNode law = fittedCurve(fits, "N");
        if (law != null) {
            var curve = law.get("curve");
            double[] xs = new double[curve.size()], ys = new double[curve.size()], lo = new double[curve.size()], hi = new double[curve.size()];
            boolean band = true;
            for (int i = 0; i < xs.length; i++) {
                xs[i] = curve.get(i).get("N").asDouble();
                ys[i] = curve.get(i).get("loss").asDouble();
                band &= curve.get(i).get("band_low").isNumber();
                lo[i] = curve.get(i).path("band_low").asDouble();
                hi[i] = curve.get(i).path("band_high").asDouble();
            }
            XYSeries fit = c.addSeries("fit: " + law.get("formula").asText(), xs, ys);
            fit.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            fit.setMarker(SeriesMarkers.NONE);
            fit.setLineColor(new Color(178, 24, 43));
            fit.setLineStyle(new BasicStroke(2f));
            if (band) {
                for (double[] b : new double[][]{lo, hi}) {
                    XYSeries s = c.addSeries(b == lo ? "95% band (bootstrap)" : "95% band (upper)", xs, b);
                    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                    s.setMarker(SeriesMarkers.NONE);
                    s.setLineColor(new Color(244, 165, 130));
                    s.setLineStyle(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{2f, 3f}, 0f));
                    s.setShowInLegend(b == lo);
                }
            }
        }
        if (n >= 2 && maxN > minN) {
            double n0 = Math.exp(sumLogN / n), l0 = Math.exp(sumLogL / n);
            double[] xs = {minN, maxN};
            double[] ys = {l0 * Math.pow(minN / n0, -KAPLAN_ALPHA_N), l0 * Math.pow(maxN / n0, -KAPLAN_ALPHA_N)};
            XYSeries ref = c.addSeries("Kaplan slope α_N = 0.076 (reference)", xs, ys);
            ref.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            ref.setMarker(SeriesMarkers.NONE);
            ref.setLineColor(Color.GRAY);
            ref.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 5f}, 0f));
        }
        return c;
    }

    /** The fitted single-variable law in {@code x} with a plotted curve: L(x)+E preferred, else L(x). */
    static com.fasterxml.jackson.databind.JsonNode fittedCurve(com.fasterxml.jackson.databind.JsonNode fits, String x) {
        if (fits == null || !fits.has("laws")) return null;
        com.fasterxml.jackson.databind.JsonNode plain = null;
        for (var l : fits.get("laws")) {
            if (!l.has("curve")) continue;
            if (l.get("law").asText().equals("L(" + x + ")+E")) return l;
            if (l.get("law").asText().equals("L(" + x + ")")) plain = l;
        }
        return plain;
    }

    /** Loss against D, one series per N (shown when the sweep varies D). */
    public static XYChart lossVsD(SweepData data) {
        XYChart c = chart("Loss vs tokens trained D", "D (tokens)", "validation loss (nats/token)", true, true);
        Map<Double, List<SweepData.Run>> byN = data.done().stream().filter(r -> r.num("D").isPresent())
                .collect(Collectors.groupingBy(r -> r.num("N").getAsDouble(), TreeMap::new, Collectors.toList()));
        int k = 0;
        for (var e : byN.entrySet()) {
            List<SweepData.Run> runs = new ArrayList<>(e.getValue());
            runs.sort(Comparator.comparingDouble(r -> r.num("D").getAsDouble()));
            XYSeries s = c.addSeries("N = " + sci(e.getKey()), runs.stream().mapToDouble(r -> r.num("D").getAsDouble()).toArray(),
                    runs.stream().mapToDouble(r -> r.loss().getAsDouble()).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.CIRCLE);
            Color col = ramp(k++ / Math.max(1.0, byN.size() - 1));
            s.setLineColor(col);
            s.setMarkerColor(col);
        }
        return c;
    }

    /** Distinct D values among finished runs. */
    static long distinctD(SweepData data) {
        return data.done().stream().map(r -> roundSig(r.num("D").orElse(0))).distinct().count();
    }

    /**
     * Every learning curve (validation loss against tokens, or against compute C = 6·N·tokens), coloured
     * by log N; against compute, also the frontier: the lowest loss any run reached with at most C.
     */
    public static XYChart learningCurves(SweepData data, boolean vsCompute) {
        XYChart c = chart(vsCompute ? "Learning curves vs compute, with the compute frontier" : "Learning curves vs tokens",
                vsCompute ? "C = 6·N·tokens (FLOP)" : "tokens", "validation loss (nats/token)", true, true);
        List<SweepData.Run> runs = data.runs().stream().filter(r -> r.num("N").isPresent() && r.curve().size() > 1)
                .sorted(Comparator.comparingDouble(r -> r.num("N").getAsDouble())).toList();
        if (runs.isEmpty()) return c;
        double lo = Math.log(runs.get(0).num("N").getAsDouble()), hi = Math.log(runs.get(runs.size() - 1).num("N").getAsDouble());
        List<double[]> all = new ArrayList<>();
        for (SweepData.Run r : runs) {
            double N = r.num("N").getAsDouble();
            List<SweepData.Point> pts = r.curve().stream().filter(p -> p.tokens() > 0).toList();
            if (pts.isEmpty()) continue;
            double[] xs = pts.stream().mapToDouble(p -> vsCompute ? 6 * N * p.tokens() : p.tokens()).toArray();
            double[] ys = pts.stream().mapToDouble(SweepData.Point::valLoss).toArray();
            for (int i = 0; i < xs.length; i++) all.add(new double[]{xs[i], ys[i]});
            XYSeries s = c.addSeries(r.id() + " (N=" + sci(N) + ")", xs, ys);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(new BasicStroke(1.5f));
            s.setLineColor(ramp(hi > lo ? (Math.log(N) - lo) / (hi - lo) : 0.5));
            s.setShowInLegend(runs.size() <= 12);
        }
        if (vsCompute && all.size() > 1) {
            all.sort(Comparator.comparingDouble(p -> p[0]));
            List<double[]> front = new ArrayList<>();
            double best = Double.MAX_VALUE;
            for (double[] p : all) {
                if (p[1] < best) {
                    best = p[1];
                    front.add(p);
                }
            }
            XYSeries f = c.addSeries("compute frontier (min loss at ≤ C)", front.stream().mapToDouble(p -> p[0]).toArray(),
                    front.stream().mapToDouble(p -> p[1]).toArray());
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            f.setLineColor(Color.BLACK);
            f.setLineStyle(new BasicStroke(2.5f));
        }
        return c;
    }

    /**
     * Compute-optimal model size against compute: the optimal points of Chinchilla's approaches 1 and 2
     * from fits.json with their fitted power laws, and Kaplan's N = 1.3e9·C^0.73 (C in PF-days) for reference.
     */
    public static XYChart computeOptimal(com.fasterxml.jackson.databind.JsonNode fits) {
        XYChart c = chart("Compute-optimal model size N_opt(C)", "C (FLOP)", "N_opt (non-embedding parameters)", true, true);
        c.getStyler().setYAxisDecimalPattern("0.#E0");
        c.getStyler().setYAxisLogarithmicDecadeOnly(true);
        double lo = Double.MAX_VALUE, hi = 0;
        int k = 0;
        for (var m : fits.path("compute_optimal")) {
            var pts = m.get("optimal_points");
            double[] xs = new double[pts.size()], ys = new double[pts.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = pts.get(i).get("C").asDouble();
                ys[i] = pts.get(i).get("N_opt").asDouble();
                lo = Math.min(lo, xs[i]);
                hi = Math.max(hi, xs[i]);
            }
            Color col = k++ == 0 ? new Color(33, 102, 172) : new Color(214, 96, 77);
            XYSeries s = c.addSeries(m.get("method").asText(), xs, ys);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarkerColor(col);
            double coef = m.get("N_opt").get("coefficient").asDouble(), a = m.get("N_opt").get("exponent_a").asDouble();
            // the method in the name keeps two approaches with the same exponent apart (series names must be unique)
            XYSeries f = c.addSeries(String.format(java.util.Locale.ROOT, "%s fit: N_opt ∝ C^%.2f", m.get("method").asText().split(" \\(")[0], a), new double[]{lo, hi},
                    new double[]{coef * Math.pow(lo, a), coef * Math.pow(hi, a)});
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            f.setLineColor(col);
        }
        if (hi > lo) {
            XYSeries ref = c.addSeries("Kaplan et al. 2020: N = 1.3e9·C^0.73 (C in PF-days)", new double[]{lo, hi},
                    new double[]{1.3e9 * Math.pow(lo / 8.64e19, 0.73), 1.3e9 * Math.pow(hi / 8.64e19, 0.73)});
            ref.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            ref.setMarker(SeriesMarkers.NONE);
            ref.setLineColor(Color.GRAY);
            ref.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 5f}, 0f));
        }
        return c;
    }

    /** IsoFLOP curves: final loss against N for the runs of each compute budget (Chinchilla approach 2). */
    public static XYChart isoFlop(SweepData data) {
        XYChart c = chart("IsoFLOP curves: loss vs N at fixed compute", "N (non-embedding parameters)", "validation loss (nats/token)", true, true);
        java.util.TreeMap<Double, List<SweepData.Run>> groups = data.byCompute();
        int k = 0;
        long shown = groups.values().stream().filter(g -> g.size() >= 3).count();
        for (var e : groups.entrySet()) {
            if (e.getValue().size() < 3) continue;
            List<SweepData.Run> runs = new ArrayList<>(e.getValue());
            runs.sort(Comparator.comparingDouble(r -> r.num("N").getAsDouble()));
            XYSeries s = c.addSeries("C = " + sci(e.getKey()), runs.stream().mapToDouble(r -> r.num("N").getAsDouble()).toArray(),
                    runs.stream().mapToDouble(r -> r.loss().getAsDouble()).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.CIRCLE);
            Color col = ramp(k++ / Math.max(1.0, shown - 1));
            s.setLineColor(col);
            s.setMarkerColor(col);
        }
        return c;
    }

    /** Number of compute budgets with at least three runs: IsoFLOP curves worth drawing. */
    static long isoFlopGroups(SweepData data) {
        return isoFlop(data).getSeriesMap().size();
    }

    /** Loss against N per shape family (a results column {@code family}, e.g. standard / deepnarrow). */
    public static XYChart byFamily(SweepData data, String column) {
        XYChart c = chart("Shape families at equal N", "N (non-embedding parameters)", "validation loss (nats/token)", true, true);
        Map<String, List<SweepData.Run>> byF = data.done().stream()
                .collect(Collectors.groupingBy(r -> r.row().getOrDefault(column, ""), TreeMap::new, Collectors.toList()));
        int k = 0;
        for (var e : byF.entrySet()) {
            List<SweepData.Run> runs = new ArrayList<>(e.getValue());
            runs.sort(Comparator.comparingDouble(r -> r.num("N").getAsDouble()));
            XYSeries s = c.addSeries(e.getKey(), runs.stream().mapToDouble(r -> r.num("N").getAsDouble()).toArray(),
                    runs.stream().mapToDouble(r -> r.loss().getAsDouble()).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(k == 0 ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
            Color col = k++ == 0 ? new Color(33, 102, 172) : new Color(214, 96, 77);
            s.setMarkerColor(col);
        }
        return c;
    }

    static double roundSig(double x) {
        if (x == 0) return 0;
        double scale = Math.pow(10, Math.floor(Math.log10(Math.abs(x))) - 3);
        return Math.round(x / scale) * scale;
    }
}
