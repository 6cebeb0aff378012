package org.scalelab.scaling.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.None;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.ToDoubleFunction;

/**
 * What index.html draws in the browser, as one JSON document: {@code runs} (per run its id, N, D, loss,
 * validation curve {@code val} and sampled training steps {@code train}, as parallel arrays) and
 * {@code charts} (per chart its axes and series). A series holds its points ({@code x}, {@code y}, and
 * where a point is a run's, {@code run} and {@code step}), or refers to one run's curve ({@code ref}),
 * so that the learning curves are stored once however many charts draw them. Charts the PNG report also
 * has are read off their XChart form, so both show the same series; report.js draws them.
 */
final class PageData {
    /** Validation points of one run in the page; longer curves are sampled like the steps (StepSample). */
    static final int MAX_POINTS = 500;

    private final ObjectMapper om = new ObjectMapper();
    private final ObjectNode root = om.createObjectNode();
    private final ArrayNode charts = root.putArray("charts");
    private final Map<SweepData.Run, Integer> index = new IdentityHashMap<>();
    /** Where a drawn point may come from: the runs' losses and validation points, by loss value. */
    private final Map<Double, List<Source>> byLoss = new HashMap<>();

    /** A run's point: the x values it can be drawn at (N, D, C or tokens, 6·N·tokens), its step. */
    private record Source(int run, double[] xs, OptionalDouble step) {}

    PageData(SweepData all, String title) {
        List<SweepData.Run> runs = all.runs();
        root.put("title", title);
        ArrayNode rs = root.putArray("runs");
        for (int i = 0; i < runs.size(); i++) {
            SweepData.Run r = runs.get(i);
            index.put(r, i);
            rs.add(run(r));
            sources(i, r);
        }
    }

    ObjectNode json() {
        return root;
    }

    /** The charts in the page, in order. */
    List<JsonNode> charts() {
        List<JsonNode> out = new ArrayList<>();
        charts.forEach(out::add);
        return out;
    }

    private ObjectNode run(SweepData.Run r) {
        ObjectNode o = om.createObjectNode();
        o.put("id", r.id());
        o.put("status", r.status());
        o.set("N", numNode(r.num("N").orElse(Double.NaN)));
        o.set("D", numNode(r.num("D").orElse(Double.NaN)));
        o.set("loss", numNode(r.loss().orElse(Double.NaN)));
        List<SweepData.Point> val = sample(r.curve());
        ObjectNode v = o.putObject("val");
        column(v.putArray("step"), val, p -> p.step());
        column(v.putArray("tokens"), val, SweepData.Point::tokens);
        column(v.putArray("loss"), val, SweepData.Point::valLoss);
        ObjectNode t = o.putObject("train");
        column(t.putArray("step"), r.steps(), s -> s.step());
        column(t.putArray("tokens"), r.steps(), SweepData.Step::tokens);
        column(t.putArray("loss"), r.steps(), SweepData.Step::trainLoss);
        column(t.putArray("lr"), r.steps(), SweepData.Step::lr);
        column(t.putArray("grad_norm"), r.steps(), SweepData.Step::gradNorm);
        // only runs with accumulation log it: the others do not carry a column of nulls
        if (r.steps().stream().anyMatch(s -> Double.isFinite(s.noiseScale()))) column(t.putArray("noise_scale"), r.steps(), SweepData.Step::noiseScale);
        return o;
    }

    /** At most MAX_POINTS of a validation curve: evenly spread, with its first, last and lowest points. */
    static List<SweepData.Point> sample(List<SweepData.Point> curve) {
        if (curve.size() <= MAX_POINTS) return curve;
        StepSample<SweepData.Point> s = new StepSample<>(SweepData.Point::step);
        SweepData.Point best = curve.stream().min(Comparator.comparingDouble(SweepData.Point::valLoss)).orElseThrow();
        for (SweepData.Point p : curve) s.add(p);
        List<SweepData.Point> out = new ArrayList<>(s.points());
        if (!out.contains(best)) {
            out.add(best);
            out.sort(Comparator.comparingLong(SweepData.Point::step));
        }
        return out;
    }

    private void sources(int i, SweepData.Run r) {
        double n = r.num("N").orElse(Double.NaN), d = r.num("D").orElse(Double.NaN);
        OptionalDouble best = r.num("best_step").isPresent() ? r.num("best_step") : r.num("steps_done");
        if (r.loss().isPresent()) {
            source(r.loss().getAsDouble(), new Source(i, new double[]{n, d, r.num("C").orElse(Double.NaN), 6 * n * d, r.num("lr").orElse(Double.NaN)}, best));
        }
        // compute per token as families_equal_compute counts it: C_attn/D when results.csv has it, else 6·N
        double perToken = r.num("C_attn").isPresent() && d > 0 ? r.num("C_attn").getAsDouble() / d : Double.NaN;
        for (SweepData.Point p : r.curve()) {
            double t = p.tokens();
            source(p.valLoss(), new Source(i, new double[]{t, 6 * n * t, perToken * t}, OptionalDouble.of(p.step())));
        }
    }

    private void source(double loss, Source s) {
        byLoss.computeIfAbsent(loss, k -> new ArrayList<>(1)).add(s);
    }

    /** The run whose loss is exactly {@code y} at an x it can be drawn at (relative 1e-9), or null. */
    private Source sourceOf(double x, double y) {
        for (Source s : byLoss.getOrDefault(y, List.of())) {
            for (double cx : s.xs()) if (Math.abs(cx - x) <= 1e-9 * Math.abs(x)) return s;
        }
        return null;
    }

    /**
     * Adds a chart of the PNG report: every enabled series with its colour, dashes, markers and legend
     * entry, and each point tied to its run where it is a run's (see {@link #sourceOf}), for the tooltip.
     */
    void chart(String id, XYChart c) {
        ObjectNode ch = newChart(id, c.getTitle(), c.getXAxisTitle(), c.getStyler().isXAxisLogarithmic(),
                c.getYAxisTitle(), c.getStyler().isYAxisLogarithmic(), true);
        ArrayNode ss = ch.putArray("series");
        for (XYSeries s : c.getSeriesMap().values()) {
            if (!s.isEnabled()) continue;
            boolean scatter = s.getXYSeriesRenderStyle() == XYSeries.XYSeriesRenderStyle.Scatter;
            boolean markers = scatter || (s.getMarker() != null && !(s.getMarker() instanceof None));
            Color col = s.getLineColor() != null && !scatter ? s.getLineColor() : s.getMarkerColor();
            ObjectNode o = series(s.getName(), col, s.getLineStyle(), !scatter, markers, s.isShowInLegend());
            double[] xs = s.getXData(), ys = s.getYData();
            ArrayNode x = o.putArray("x"), y = o.putArray("y"), run = om.createArrayNode(), step = om.createArrayNode();
            boolean any = false;
            for (int i = 0; i < xs.length; i++) {
                num(x, xs[i]);
                num(y, ys[i]);
                Source src = Double.isFinite(xs[i]) && Double.isFinite(ys[i]) ? sourceOf(xs[i], ys[i]) : null;
                if (src == null) {
                    run.addNull();
                    step.addNull();
                } else {
                    any = true;
                    run.add(src.run());
                    if (src.step().isPresent()) num(step, src.step().getAsDouble());
                    else step.addNull();
                }
            }
            if (any) {
                o.set("run", run);
                o.set("step", step);
            }
            ss.add(o);
        }
    }

    /**
     * Adds validation-loss learning curves ({@code "val"}) or training-loss curves ({@code "train"}) of
     * the runs with N, against tokens or against compute C = 6·N·tokens, coloured by log N as in
     * Plots.learningCurves; against compute the validation chart also draws the compute frontier and the
     * exact loss floor the runs share (or says in its title why there is none).
     * Returns false (and adds nothing) when no run has two such points.
     */
    boolean learningCurves(SweepData data, String curve, boolean vsCompute) {
        boolean val = curve.equals("val");
        List<SweepData.Run> rs = data.runs().stream().filter(r -> r.num("N").isPresent())
                .filter(r -> val ? r.curve().size() > 1 : r.steps().stream().filter(s -> Double.isFinite(s.trainLoss())).count() > 1)
                .sorted(Comparator.comparingDouble(r -> r.num("N").getAsDouble())).toList();
        if (rs.isEmpty()) return false;
        String id = (val ? "curves" : "train") + (vsCompute ? "_vs_compute" : "_vs_tokens");
        String what = val ? "validation loss" : "training loss";
        String title = (val ? "Learning curves (validation loss)" : "Training loss") + (vsCompute ? " vs compute" : " vs tokens")
                + (val && vsCompute ? ", with the compute frontier" : "");
        ExactFloor floor = val && vsCompute ? ExactFloor.of(rs) : null;
        if (floor != null && !floor.drawn()) title += " (" + floor.note() + ")";
        ObjectNode ch = newChart(id, title, vsCompute ? "C = 6·N·tokens (FLOP)" : "tokens", true,
                what + " (nats/token)", true, val);
        ArrayNode ss = ch.putArray("series");
        double lo = Math.log(rs.get(0).num("N").getAsDouble()), hi = Math.log(rs.get(rs.size() - 1).num("N").getAsDouble());
        // the frontier's curves, and for each the run and the points it was made of (a vertex names one of them)
        List<double[][]> all = new ArrayList<>();
        List<SweepData.Run> allRuns = new ArrayList<>();
        List<List<SweepData.Point>> allPoints = new ArrayList<>();
        for (SweepData.Run r : rs) {
            double n = r.num("N").getAsDouble();
            Color col = Plots.ramp(hi > lo ? (Math.log(n) - lo) / (hi - lo) : 0.5);
            ObjectNode o = series(r.id() + " (N=" + Plots.sci(n) + ")", col, new BasicStroke(1.5f), true, false, true);
            ref(o, index.get(r), curve, "tokens", "loss", vsCompute ? 6 * n : 1);
            ss.add(o);
            if (val && vsCompute) {
                List<SweepData.Point> pts = r.curve().stream().filter(p -> p.tokens() > 0).toList();
                if (pts.isEmpty()) continue;
                all.add(new double[][]{pts.stream().mapToDouble(p -> 6 * n * p.tokens()).toArray(), pts.stream().mapToDouble(SweepData.Point::valLoss).toArray()});
                allRuns.add(r);
                allPoints.add(pts);
            }
        }
        if (all.stream().mapToInt(p -> p[0].length).sum() > 1) {
            List<org.scalelab.scaling.fit.Frontier.Vertex> front = org.scalelab.scaling.fit.Frontier.of(all);
            ObjectNode o = series(Plots.FRONTIER, Color.BLACK, new BasicStroke(2.5f), true, false, true);
            ArrayNode x = o.putArray("x"), y = o.putArray("y"), run = o.putArray("run"), step = o.putArray("step");
            for (var p : front) {
                num(x, p.c());
                num(y, p.loss());
                // an evaluated point is its run's (for the tooltip); a crossing or the end of a flat stretch is no run's
                if (p.measured()) {
                    run.add(index.get(allRuns.get(p.curve())));
                    num(step, allPoints.get(p.curve()).get(p.point()).step());
                } else {
                    run.addNull();
                    step.addNull();
                }
            }
            ss.add(o);
        }
        if (floor != null && floor.drawn() && !all.isEmpty()) {
            double[] xs = all.stream().flatMapToDouble(p -> java.util.Arrays.stream(p[0])).toArray();
            ObjectNode o = series(floor.label(), Plots.FLOOR_COLOUR, Plots.FLOOR_STROKE, true, false, true);
            ArrayNode x = o.putArray("x"), y = o.putArray("y");
            num(x, java.util.Arrays.stream(xs).min().orElseThrow());
            num(x, java.util.Arrays.stream(xs).max().orElseThrow());
            num(y, floor.loss());
            num(y, floor.loss());
            ss.add(o);
        }
        return true;
    }

    /**
     * Adds the learning rate (linear axes), the gradient norm or the gradient noise scale (log y) of every run
     * against step; false when no run logged it.
     */
    boolean perStep(SweepData data, String field) {
        boolean lr = field.equals("lr"), noise = field.equals("noise_scale");
        ToDoubleFunction<SweepData.Step> f = lr ? SweepData.Step::lr : noise ? SweepData.Step::noiseScale : SweepData.Step::gradNorm;
        List<SweepData.Run> rs = data.runs().stream().filter(r -> r.steps().stream().filter(s -> Double.isFinite(f.applyAsDouble(s))).count() > 1)
                .sorted(Comparator.comparingDouble(r -> r.num("N").orElse(0))).toList();
        if (rs.isEmpty()) return false;
        ObjectNode ch = lr ? newChart("lr_vs_step", "Learning rate vs step", "step", false, "learning rate", false, false)
                : noise ? newChart("noise_scale_vs_step", "Gradient noise scale vs step", "step", false,
                        "noise scale B_simple (tokens, moving average)", true, false)
                : newChart("grad_norm_vs_step", "Gradient norm vs step", "step", false, "gradient norm (before clipping)", true, false);
        ArrayNode ss = ch.putArray("series");
        double lo = Math.log(rs.get(0).num("N").orElse(1)), hi = Math.log(rs.get(rs.size() - 1).num("N").orElse(1));
        for (SweepData.Run r : rs) {
            double n = r.num("N").orElse(Double.NaN);
            Color col = Double.isFinite(n) && hi > lo ? Plots.ramp((Math.log(n) - lo) / (hi - lo)) : Plots.ramp(0.5);
            ObjectNode o = series(Double.isFinite(n) ? r.id() + " (N=" + Plots.sci(n) + ")" : r.id(), col, new BasicStroke(1.2f), true, false, true);
            ref(o, index.get(r), "train", "step", field, 1);
            ss.add(o);
        }
        return true;
    }

    private ObjectNode newChart(String id, String title, String xLabel, boolean logX, String yLabel, boolean logY, boolean files) {
        ObjectNode ch = charts.addObject();
        ch.put("id", id);
        ch.put("title", title);
        ch.put("files", files);
        ch.putObject("x").put("label", xLabel).put("log", logX);
        ch.putObject("y").put("label", yLabel).put("log", logY);
        return ch;
    }

    private ObjectNode series(String label, Color col, BasicStroke stroke, boolean line, boolean points, boolean legend) {
        ObjectNode o = om.createObjectNode();
        o.put("label", label);
        o.put("color", css(col));
        o.put("line", line);
        o.put("points", points);
        o.put("legend", legend);
        if (stroke != null) {
            o.put("width", stroke.getLineWidth());
            if (stroke.getDashArray() != null) {
                ArrayNode d = o.putArray("dash");
                for (float v : stroke.getDashArray()) d.add(v);
            }
        }
        return o;
    }

    /** A series drawing run {@code run}'s {@code curve} ("val" or "train"): x = xScale·(its {@code x}), y = its {@code y}. */
    private static void ref(ObjectNode o, int run, String curve, String x, String y, double xScale) {
        ObjectNode r = o.putObject("ref");
        r.put("run", run).put("curve", curve).put("x", x).put("y", y);
        r.set("xScale", numNode(xScale));
    }

    static String css(Color c) {
        if (c == null) return null;
        if (c.getAlpha() == 255) return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
        return String.format(Locale.ROOT, "rgba(%d,%d,%d,%.3f)", c.getRed(), c.getGreen(), c.getBlue(), c.getAlpha() / 255.0);
    }

    private static <T> void column(ArrayNode a, List<T> rows, ToDoubleFunction<T> f) {
        for (T t : rows) num(a, f.applyAsDouble(t));
    }

    private static void num(ArrayNode a, double v) {
        a.add(numNode(v));
    }

    /** v in the page: null when not finite, an integer when whole, else rounded to 6 significant digits. */
    static JsonNode numNode(double v) {
        if (!Double.isFinite(v)) return JsonNodeFactory.instance.nullNode();
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return JsonNodeFactory.instance.numberNode((long) v);
        return JsonNodeFactory.instance.numberNode(round6(v));
    }

    private static final double[] POW10 = new double[23];

    static {
        for (int i = 0; i < POW10.length; i++) POW10[i] = Double.parseDouble("1e" + i);
    }

    /** v to 6 significant digits, as the double nearest that decimal (so it prints short). */
    static double round6(double v) {
        if (v == 0 || !Double.isFinite(v)) return v;
        int p = 5 - (int) Math.floor(Math.log10(Math.abs(v)));
        if (p >= 0 && p < POW10.length) return Math.round(v * POW10[p]) / POW10[p];
        if (p < 0 && -p < POW10.length) return Math.round(v / POW10[-p]) * POW10[-p];
        return v;
    }
}
