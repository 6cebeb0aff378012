package org.scalelab.scaling.report;

import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.scalelab.scaling.fit.Frontier;

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
    static final int W = 820, H = 680;
    private static final double KAPLAN_ALPHA_N = 0.076;
    /** The compute frontier's series name ({@link Frontier}: the lowest loss any run reached with at most C). */
    static final String FRONTIER = "compute frontier (min loss at ≤ C)";

    private Plots() {}

    static XYChart chart(String title, String x, String y, boolean logX, boolean logY) {
        XYChart c = new XYChartBuilder().width(W).height(H).title(title).xAxisTitle(x).yAxisTitle(y).build();
        var s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        // below the plot, so the plot keeps the chart's full width (beside it, long legends squeezed it to half)
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setLegendLayout(Styler.LegendLayout.Vertical);
        s.setLegendFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 11));
        s.setLegendPadding(4);
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

    /** Viridis-like colour for t in [0, 1], stopping short of its pale yellow end (hard to see on white). */
    static Color ramp(double t) {
        double[][] stops = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
        t = Math.max(0, Math.min(1, t)) * 0.85 * (stops.length - 1);
        int i = Math.min((int) t, stops.length - 2);
        double f = t - i;
        return new Color((int) (stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
                (int) (stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
                (int) (stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
    }

    /**
     * Loss against N for the finished runs, one series per token budget D (the L(N, D) family), with
     * Kaplan's published slope α_N = 0.076 drawn through the data's geometric centre for comparison, and
     * the exact loss floor the runs share ({@link ExactFloor}) as a dashed line.
     */
    public static XYChart lossVsN(SweepData data, com.fasterxml.jackson.databind.JsonNode fits) {
        XYChart c = chart("Loss vs non-embedding parameters N", "N (non-embedding parameters)", "validation loss (nats/token)", true, true);
        Map<Double, List<SweepData.Run>> byD = data.done().stream()
                .collect(Collectors.groupingBy(r -> roundSig(r.num("D").orElse(0)), TreeMap::new, Collectors.toList()));
        int k = 0;
        double sumLogN = 0, sumLogL = 0, minN = Double.MAX_VALUE, maxN = 0;
        int n = 0;
        Map<Double, double[]> ranges = new TreeMap<>();
        Map<Double, Color> colours = new java.util.HashMap<>();
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
            // the fitted L(N, D) at this series' D: the exact mean D of its runs, whose D were rounded to whole steps
            double meanD = Math.exp(runs.stream().mapToDouble(r -> Math.log(r.num("D").orElse(1))).average().orElse(0));
            ranges.put(meanD, new double[]{xs[0], xs[xs.length - 1]});
            colours.put(meanD, col);
            for (int i = 0; i < xs.length; i++) {
                sumLogN += Math.log(xs[i]);
                sumLogL += Math.log(ys[i]);
                minN = Math.min(minN, xs[i]);
                maxN = Math.max(maxN, xs[i]);
                n++;
            }
        }
        JointLaw jl = jointLaw(fits);
        if (jl != null && byD.keySet().stream().allMatch(d -> d > 0)) jointCurves(c, jl, true, ranges, colours);
        law2Drawn(c, jl != null && byD.keySet().stream().allMatch(d -> d > 0));
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
        if (n >= 1) floorLine(c, ExactFloor.of(data.done()), minN, maxN);
        return c;
    }

    /** The exact floor's line style: dashed, dark green. */
    static final Color FLOOR_COLOUR = new Color(27, 120, 55);
    static final BasicStroke FLOOR_STROKE = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{9f, 4f}, 0f);

    /**
     * The exact loss floor the runs share (see {@link ExactFloor}) as a dashed horizontal line from x
     * {@code lo} to {@code hi}, or, when their floors differ, a note in the chart's title; nothing when no
     * run records a floor.
     */
    static void floorLine(XYChart c, ExactFloor f, double lo, double hi) {
        if (f == null) return;
        if (!f.drawn()) {
            c.setTitle(c.getTitle() + " (" + f.note() + ")");
            return;
        }
        XYSeries s = c.addSeries(f.label(), new double[]{lo, hi}, new double[]{f.loss(), f.loss()});
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(FLOOR_COLOUR);
        s.setLineStyle(FLOOR_STROKE);
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

    /** Loss against D, one series per N (shown when the sweep varies D), with the fitted L(N, D) at each N. */
    public static XYChart lossVsD(SweepData data, com.fasterxml.jackson.databind.JsonNode fits) {
        XYChart c = chart("Loss vs tokens trained D", "D (tokens)", "validation loss (nats/token)", true, true);
        Map<Double, List<SweepData.Run>> byN = data.done().stream().filter(r -> r.num("D").isPresent())
                .collect(Collectors.groupingBy(r -> r.num("N").getAsDouble(), TreeMap::new, Collectors.toList()));
        int k = 0;
        Map<Double, double[]> ranges = new TreeMap<>();
        Map<Double, Color> colours = new java.util.HashMap<>();
        for (var e : byN.entrySet()) {
            List<SweepData.Run> runs = new ArrayList<>(e.getValue());
            runs.sort(Comparator.comparingDouble(r -> r.num("D").getAsDouble()));
            double[] xs = runs.stream().mapToDouble(r -> r.num("D").getAsDouble()).toArray();
            XYSeries s = c.addSeries("N = " + sci(e.getKey()), xs, runs.stream().mapToDouble(r -> r.loss().getAsDouble()).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.CIRCLE);
            Color col = ramp(k++ / Math.max(1.0, byN.size() - 1));
            s.setLineColor(col);
            s.setMarkerColor(col);
            ranges.put(e.getKey(), new double[]{xs[0], xs[xs.length - 1]});
            colours.put(e.getKey(), col);
        }
        JointLaw jl = jointLaw(fits);
        if (jl != null) jointCurves(c, jl, false, ranges, colours);
        law2Drawn(c, jl != null);
        return c;
    }

    /** Distinct D values among finished runs. */
    static long distinctD(SweepData data) {
        return data.done().stream().map(r -> roundSig(r.num("D").orElse(0))).distinct().count();
    }

    /**
     * Every learning curve (validation loss against tokens, or against compute C = 6·N·tokens), coloured
     * by log N; against compute, also the frontier ({@link Frontier}: the running minimum over C of the
     * curves' lower envelope, the lowest loss any run reached with at most C) and the exact loss floor the
     * runs share ({@link ExactFloor}).
     */
    public static XYChart learningCurves(SweepData data, boolean vsCompute) {
        XYChart c = chart(vsCompute ? "Learning curves vs compute and their frontier" : "Learning curves vs tokens",
                vsCompute ? "C = 6·N·tokens (FLOP)" : "tokens", "validation loss (nats/token)", true, true);
        List<SweepData.Run> runs = data.runs().stream().filter(r -> r.num("N").isPresent() && r.curve().size() > 1)
                .sorted(Comparator.comparingDouble(r -> r.num("N").getAsDouble())).toList();
        if (runs.isEmpty()) return c;
        double lo = Math.log(runs.get(0).num("N").getAsDouble()), hi = Math.log(runs.get(runs.size() - 1).num("N").getAsDouble());
        if (runs.size() > 12) {
            c.setTitle(c.getTitle() + String.format(Locale.ROOT, " (N %s dark to %s light)", sci(Math.exp(lo)), sci(Math.exp(hi))));
        }
        List<double[][]> all = new ArrayList<>();
        for (SweepData.Run r : runs) {
            double N = r.num("N").getAsDouble();
            List<SweepData.Point> pts = r.curve().stream().filter(p -> p.tokens() > 0).toList();
            if (pts.isEmpty()) continue;
            double[] xs = pts.stream().mapToDouble(p -> vsCompute ? 6 * N * p.tokens() : p.tokens()).toArray();
            double[] ys = pts.stream().mapToDouble(SweepData.Point::valLoss).toArray();
            all.add(new double[][]{xs, ys});
            XYSeries s = c.addSeries(r.id() + " (N=" + sci(N) + ")", xs, ys);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(new BasicStroke(1.5f));
            s.setLineColor(ramp(hi > lo ? (Math.log(N) - lo) / (hi - lo) : 0.5));
            s.setShowInLegend(runs.size() <= 12);
        }
        if (vsCompute && all.stream().mapToInt(p -> p[0].length).sum() > 1) {
            List<Frontier.Vertex> front = Frontier.of(all);
            XYSeries f = c.addSeries(FRONTIER, front.stream().mapToDouble(Frontier.Vertex::c).toArray(),
                    front.stream().mapToDouble(Frontier.Vertex::loss).toArray());
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            f.setLineColor(Color.BLACK);
            f.setLineStyle(new BasicStroke(2.5f));
        }
        if (vsCompute && !all.isEmpty()) {
            double[] xs = all.stream().flatMapToDouble(p -> java.util.Arrays.stream(p[0])).toArray();
            floorLine(c, ExactFloor.of(runs), java.util.Arrays.stream(xs).min().orElseThrow(), java.util.Arrays.stream(xs).max().orElseThrow());
        }
        return c;
    }

    /**
     * Compute-optimal model size ({@code what = "N"}) or token count ({@code "D"}) against compute: the
     * optimal points of Chinchilla's approaches 1 and 2 from fits.json with their fitted power laws, the
     * allocation implied by the fitted L(N, D) law (Chinchilla's approach 3 or Kaplan's form) over the same
     * range, and Kaplan's N = 1.3e9·C^0.73 (C in PF-days; D = C/(6N)) for reference. {@code cRange}: the
     * compute range to draw over when fits.json has no optimal points (the sweep's own 6·N·D).
     */
    public static XYChart computeOptimal(com.fasterxml.jackson.databind.JsonNode fits, String what, double[] cRange) {
        boolean isN = what.equals("N");
        XYChart c = chart(isN ? "Compute-optimal model size N_opt(C)" : "Compute-optimal data D_opt(C)", "C (FLOP)",
                isN ? "N_opt (non-embedding parameters)" : "D_opt (tokens)", true, true);
        c.getStyler().setYAxisDecimalPattern("0.#E0");
        c.getStyler().setYAxisLogarithmicDecadeOnly(true);
        double lo = Double.MAX_VALUE, hi = 0;
        int k = 0;
        String key = isN ? "N_opt" : "D_opt", exp = isN ? "exponent_a" : "exponent_b";
        for (var m : fits.path("compute_optimal")) {
            var pts = m.get("optimal_points");
            double[] xs = new double[pts.size()], ys = new double[pts.size()];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = pts.get(i).get("C").asDouble();
                ys[i] = pts.get(i).get(key).asDouble();
                lo = Math.min(lo, xs[i]);
                hi = Math.max(hi, xs[i]);
            }
            Color col = k++ == 0 ? new Color(33, 102, 172) : new Color(214, 96, 77);
            XYSeries s = c.addSeries(m.get("method").asText(), xs, ys);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarkerColor(col);
            double coef = m.get(key).get("coefficient").asDouble(), a = m.get(key).get(exp).asDouble();
            // the method in the name keeps two approaches with the same exponent apart (series names must be unique)
            XYSeries f = c.addSeries(String.format(java.util.Locale.ROOT, "%s fit: %s ∝ C^%.2f", m.get("method").asText().split(" \\(")[0], key, a),
                    new double[]{lo, hi}, new double[]{coef * Math.pow(lo, a), coef * Math.pow(hi, a)});
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            f.setLineColor(col);
        }
        if (!(hi > lo) && cRange != null && cRange[1] > cRange[0]) {
            lo = cRange[0];
            hi = cRange[1];
        }
        if (!(hi > lo)) return c;
        JointLaw jl = jointLaw(fits);
        if (jl != null) {
            double[] xs = logSpace(lo, hi, 25), ys = new double[xs.length];
            boolean ok = true;
            for (int i = 0; i < xs.length; i++) {
                var p = org.scalelab.scaling.fit.Allocation.optimal(jl.law(), jl.theta(), xs[i]);
                ys[i] = isN ? p.n() : p.d();
                ok &= Double.isFinite(ys[i]) && ys[i] > 0;
            }
            if (ok) {
                XYSeries s = c.addSeries("from the fitted " + jl.label() + " (min L at 6·N·D = C)", xs, ys);
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(new Color(27, 120, 55));
                s.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{2f, 3f}, 0f));
            }
        }
        double nLo = 1.3e9 * Math.pow(lo / 8.64e19, 0.73), nHi = 1.3e9 * Math.pow(hi / 8.64e19, 0.73);
        XYSeries ref = isN
                ? c.addSeries("Kaplan et al. 2020: N = 1.3e9·C^0.73 (C in PF-days)", new double[]{lo, hi}, new double[]{nLo, nHi})
                : c.addSeries("Kaplan et al. 2020: D = C/(6N), N = 1.3e9·C^0.73", new double[]{lo, hi}, new double[]{lo / (6 * nLo), hi / (6 * nHi)});
        ref.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        ref.setMarker(SeriesMarkers.NONE);
        ref.setLineColor(Color.GRAY);
        ref.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 5f}, 0f));
        return c;
    }

    /** A fitted law in N and D from fits.json, ready to evaluate: the law, its θ, a label for legends. */
    record JointLaw(org.scalelab.scaling.fit.Law law, double[] theta, String label) {
        double predict(double n, double d) {
            return law.predict(theta, n, d);
        }
    }

    /**
     * The fitted L(N, D) of fits.json: Chinchilla's form when it was fitted, else Kaplan's; null when
     * neither was fitted or a parameter is missing.
     */
    static JointLaw jointLaw(com.fasterxml.jackson.databind.JsonNode fits) {
        if (fits == null) return null;
        for (String id : new String[]{"chinchilla", "L(N,D)"}) {
            for (var l : fits.path("laws")) {
                if (!l.path("law").asText().equals(id)) continue;
                org.scalelab.scaling.fit.Law law = org.scalelab.scaling.fit.Laws.byId(id);
                double[] p = new double[law.size()];
                boolean ok = true;
                for (int i = 0; i < p.length; i++) {
                    var v = l.path("params").path(law.paramNames().get(i)).path("value");
                    ok &= v.isNumber();
                    p[i] = v.asDouble();
                }
                if (ok) return new JointLaw(law, law.theta(p), id.equals("chinchilla") ? "Chinchilla L(N,D)" : "Kaplan L(N,D)");
            }
        }
        return null;
    }

    static double[] logSpace(double lo, double hi, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * i / (n - 1));
        return x;
    }

    /** With the fitted law drawn as lines, the data series become markers alone, so the fit stays visible over them. */
    private static void law2Drawn(XYChart c, boolean drawn) {
        if (!drawn) return;
        for (XYSeries s : c.getSeriesMap().values()) {
            if (s.getMarker() != null && s.getMarker() != SeriesMarkers.NONE) s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        }
    }

    /** Dashed curves of the fitted L(N, D) over {@code x} at each fixed value of the other input, coloured like its data series. */
    static void jointCurves(XYChart c, JointLaw jl, boolean overN, Map<Double, double[]> ranges, Map<Double, Color> colours) {
        boolean first = true;
        for (var e : ranges.entrySet()) {
            double[] r = e.getValue();
            if (!(r[1] > r[0])) continue;
            double[] xs = logSpace(r[0], r[1], 30), ys = new double[xs.length];
            for (int i = 0; i < xs.length; i++) ys[i] = overN ? jl.predict(xs[i], e.getKey()) : jl.predict(e.getKey(), xs[i]);
            if (!java.util.Arrays.stream(ys).allMatch(y -> Double.isFinite(y) && y > 0)) continue;
            XYSeries s = c.addSeries(first ? "fitted " + jl.label() + " (dashed, per series)" : "fitted " + jl.label() + " at " + (overN ? "D" : "N") + " = " + sci(e.getKey()), xs, ys);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(colours.get(e.getKey()));
            s.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{5f, 4f}, 0f));
            s.setShowInLegend(first);
            first = false;
        }
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
    /** Distinct learning rates among the finished runs (the `lr` column). */
    public static long distinctLr(SweepData data) {
        return data.done().stream().map(r -> r.num("lr")).filter(java.util.OptionalDouble::isPresent)
                .mapToDouble(java.util.OptionalDouble::getAsDouble).distinct().count();
    }

    /**
     * Loss against learning rate, one line per shape (d_model, else n_layer, whichever the sweep varies)
     * and parameterization: where each line has its minimum is the best learning rate at that shape, the
     * chart μP and CompleteP are judged by (docs/parameterization.md). Lines of one parameterization share a
     * marker; shapes are coloured from small to large.
     */
    public static XYChart lossVsLr(SweepData data) {
        XYChart c = chart("Loss against learning rate, per shape", "learning rate", "validation loss (nats/token)", true, false);
        List<SweepData.Run> done = data.done().stream().filter(r -> r.num("lr").isPresent() && r.loss().isPresent()).toList();
        String shape = done.stream().map(r -> r.row().get("d_model")).distinct().count() > 1 ? "d_model"
                : done.stream().map(r -> r.row().get("n_layer")).distinct().count() > 1 ? "n_layer" : null;
        String param = data.columns().contains("model.parameterization") ? "model.parameterization" : null;
        Map<String, List<SweepData.Run>> groups = new TreeMap<>(Comparator
                .comparing((String k) -> k.substring(0, k.indexOf('|')))
                .thenComparingDouble(k -> Double.parseDouble(k.substring(k.indexOf('|') + 1))));
        for (SweepData.Run r : done) {
            String p = param == null ? "" : r.row().getOrDefault(param, "");
            String sv = shape == null ? "0" : r.row().getOrDefault(shape, "0");
            groups.computeIfAbsent(p + "|" + sv, k -> new ArrayList<>()).add(r);
        }
        List<Double> shapes = groups.keySet().stream().map(k -> Double.parseDouble(k.substring(k.indexOf('|') + 1))).distinct().sorted().toList();
        List<String> params = groups.keySet().stream().map(k -> k.substring(0, k.indexOf('|'))).distinct().toList();
        org.knowm.xchart.style.markers.Marker[] markers = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND, SeriesMarkers.SQUARE, SeriesMarkers.TRIANGLE_UP};
        for (var e : groups.entrySet()) {
            String p = e.getKey().substring(0, e.getKey().indexOf('|'));
            double sv = Double.parseDouble(e.getKey().substring(e.getKey().indexOf('|') + 1));
            // runs at one lr (seeds) are averaged
            TreeMap<Double, double[]> byLr = new TreeMap<>();
            for (SweepData.Run r : e.getValue()) {
                double[] acc = byLr.computeIfAbsent(r.num("lr").getAsDouble(), k -> new double[2]);
                acc[0] += r.loss().getAsDouble();
                acc[1]++;
            }
            String label = (p.isEmpty() ? "" : p + " ") + (shape == null ? "runs" : shape + " = " + (long) sv);
            XYSeries s = c.addSeries(label, byLr.keySet().stream().mapToDouble(Double::doubleValue).toArray(),
                    byLr.values().stream().mapToDouble(a -> a[0] / a[1]).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setMarker(markers[params.indexOf(p) % markers.length]);
            float f = shapes.size() == 1 ? 0 : shapes.indexOf(sv) / (float) (shapes.size() - 1);
            Color col = new Color(Color.HSBtoRGB(0.62f - 0.55f * f, 0.75f, 0.55f + 0.25f * f));
            s.setLineColor(col);
            s.setMarkerColor(col);
            if (params.indexOf(p) > 0) s.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
        }
        return c;
    }

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

    /**
     * Shape families at equal compute: every finished run's learning curve against its compute, coloured
     * by family, and each family's frontier (the lowest loss any of its runs reached with at most C).
     * Compute counts attention when results.csv has {@code C_attn} (per token: C_attn/D), else 6·N.
     */
    public static XYChart byFamilyAtEqualCompute(SweepData data, String column) {
        boolean attn = data.columns().contains("C_attn");
        XYChart c = chart("Shape families at equal compute: learning curves and frontiers",
                attn ? "C (FLOP, attention included)" : "C = 6·N·tokens (FLOP)", "validation loss (nats/token)", true, true);
        Map<String, List<SweepData.Run>> byF = data.done().stream().filter(r -> r.curve().size() > 1)
                .collect(Collectors.groupingBy(r -> r.row().getOrDefault(column, ""),
                        () -> new TreeMap<>(Comparator.comparing((String f) -> !f.equals("standard")).thenComparing(f -> f)), Collectors.toList()));
        Color[] palette = {new Color(33, 102, 172), new Color(214, 96, 77), new Color(27, 120, 55), new Color(118, 42, 131)};
        int k = 0;
        for (var e : byF.entrySet()) {
            Color col = palette[k++ % palette.length];
            Color light = new Color(col.getRed(), col.getGreen(), col.getBlue(), 110);
            List<double[][]> all = new ArrayList<>();
            boolean first = true;
            for (SweepData.Run r : e.getValue()) {
                double perToken = attn && r.num("C_attn").isPresent() && r.num("D").orElse(0) > 0
                        ? r.num("C_attn").getAsDouble() / r.num("D").getAsDouble() : 6 * r.num("N").getAsDouble();
                List<SweepData.Point> pts = r.curve().stream().filter(p -> p.tokens() > 0).toList();
                if (pts.size() < 2) continue;
                double[] xs = pts.stream().mapToDouble(p -> p.tokens() * perToken).toArray();
                double[] ys = pts.stream().mapToDouble(SweepData.Point::valLoss).toArray();
                all.add(new double[][]{xs, ys});
                XYSeries s = c.addSeries(first ? e.getKey() + " runs" : e.getKey() + " " + r.id(), xs, ys);
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineColor(light);
                s.setLineStyle(new BasicStroke(1.2f));
                s.setShowInLegend(first);
                first = false;
            }
            if (all.isEmpty()) continue;
            List<Frontier.Vertex> front = Frontier.of(all);
            XYSeries f = c.addSeries(e.getKey() + " frontier (min loss at ≤ C)", front.stream().mapToDouble(Frontier.Vertex::c).toArray(),
                    front.stream().mapToDouble(Frontier.Vertex::loss).toArray());
            f.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            f.setMarker(SeriesMarkers.NONE);
            f.setLineColor(col);
            f.setLineStyle(new BasicStroke(2.5f));
        }
        return c;
    }

    static double roundSig(double x) {
        if (x == 0) return 0;
        double scale = Math.pow(10, Math.floor(Math.log10(Math.abs(x))) - 3);
        return Math.round(x / scale) * scale;
    }

}
