package org.scalelab.scaling.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * The parts of index.html around its text: the inlined styles and scripts (uPlot's from its WebJar on
 * the classpath, report.css and report.js beside this class), the JSON the charts are drawn from, the
 * chart figures and the run table. Nothing is loaded from elsewhere, so the page opens offline, alone.
 */
final class Page {
    private Page() {}

    private static final String WEBJAR = "META-INF/resources/webjars/uplot/";
    private static final String OWN = "org/scalelab/scaling/report/";

    /** The version of the uPlot WebJar on the classpath, from the pom.properties it carries. */
    static String uplotVersion() {
        Properties p = new Properties();
        try (InputStream in = stream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static InputStream stream(String path) {
        InputStream in = Page.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException(path + " is not on the classpath: the report needs the uPlot WebJar "
                    + "(org.webjars.npm:uplot, a dependency of scalelab-scaling) and the module's own resources");
        }
        return in;
    }

    static String resource(String path) {
        try (InputStream in = stream(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot read", e);
        }
    }

    /** The head's styles: uPlot's, then the page's. */
    static String styles() {
        String v = uplotVersion();
        return "<style>/* uPlot " + v + " (MIT License) */\n" + inline(resource(WEBJAR + v + "/dist/uPlot.min.css"), "</style") + "</style>\n"
                + "<style>\n" + inline(resource(OWN + "report.css"), "</style") + "</style>\n";
    }

    /** The data, uPlot with its licence, and report.js: the end of the body. */
    static String scripts(JsonNode data) {
        String v = uplotVersion();
        String licence = resource(WEBJAR + v + "/LICENSE").replace("*/", "* /");
        return "<script type=\"application/json\" id=\"scalelab-data\">" + scriptJson(data) + "</script>\n"
                + "<script>/*! uPlot " + v + ", inlined from its WebJar.\n" + licence + "*/\n"
                + inline(resource(WEBJAR + v + "/dist/uPlot.iife.min.js"), "</script") + "\n</script>\n"
                + "<script>\n" + inline(resource(OWN + "report.js"), "</script") + "</script>\n";
    }

    /** Text for inside a style or script element, which must not hold the element's end tag. */
    static String inline(String text, String endTag) {
        if (text.toLowerCase(Locale.ROOT).contains(endTag)) throw new IllegalStateException("cannot inline text holding " + endTag);
        return text;
    }

    /**
     * JSON for inside a script element: '<', '>' and '&' (only ever in strings) as \\u escapes, so that no
     * run id or label can close the element ("</script>") or open a comment in it ("<!--").
     */
    static String scriptJson(JsonNode data) {
        try {
            return new ObjectMapper().writeValueAsString(data)
                    .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026");
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The figure chart {@code i} is drawn into, captioned with links to its PNG and SVG when the report wrote them. */
    static String figure(JsonNode chart, int i) {
        String id = Report.esc(chart.get("id").asText()), title = Report.esc(chart.get("title").asText());
        StringBuilder sb = new StringBuilder("<figure id=\"").append(id).append("\" data-chart=\"").append(i)
                .append("\"><div class=\"plot\"></div><figcaption>").append(title);
        if (chart.path("files").asBoolean()) {
            sb.append(" — <a href=\"").append(id).append(".svg\">SVG</a>, <a href=\"").append(id).append(".png\">PNG</a>");
        }
        return sb.append("</figcaption></figure>\n").toString();
    }

    /**
     * Every run, one row each, under a filter box; report.js sorts by a clicked header. A column whose
     * values are all numbers is marked {@code data-num} and each cell keeps its exact value in
     * {@code data-v}, so that it sorts by value whatever its display (1.50e+05, 2.3456).
     */
    static String runTable(SweepData data) {
        List<String> cols = new ArrayList<>();
        for (String c : new String[]{"run_id", "status", "family", "n_layer", "d_model", "n_head", "n_ctx", "N", "D", "C",
                "best_val_loss", "final_val_loss", "loss_floor", "wall_s"}) {
            if (data.columns().contains(c)) cols.add(c);
        }
        StringBuilder sb = new StringBuilder("<p class=\"filter\"><label>Filter <input id=\"run-filter\" type=\"search\" "
                + "placeholder=\"words every shown row contains, e.g. done 64\"></label> <span id=\"run-count\"></span>;"
                + " click a header to sort.</p>\n<table id=\"runs\"><thead><tr>");
        List<Boolean> numeric = new ArrayList<>();
        for (String c : cols) {
            boolean num = !c.equals("run_id") && data.runs().stream().map(r -> r.row().getOrDefault(c, ""))
                    .allMatch(v -> v.isBlank() || isNumber(v));
            numeric.add(num);
            sb.append("<th").append(num ? " data-num" : " class=\"l\"").append(">").append(Report.esc(c)).append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        for (SweepData.Run r : data.runs()) {
            sb.append("<tr>");
            for (int i = 0; i < cols.size(); i++) {
                String c = cols.get(i), raw = r.row().getOrDefault(c, ""), v = raw;
                var num = r.num(c);
                if (num.isPresent() && !c.equals("run_id") && (Math.abs(num.getAsDouble()) >= 1e5 || c.contains("loss") || c.equals("wall_s"))) {
                    v = Math.abs(num.getAsDouble()) >= 1e5 ? String.format(Locale.ROOT, "%.3g", num.getAsDouble())
                            : String.format(Locale.ROOT, "%.4f", num.getAsDouble());
                }
                sb.append(numeric.get(i) ? "<td data-v=\"" + Report.esc(raw.strip()) + "\">" : "<td class=\"l\">").append(Report.esc(v)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        return sb.append("</tbody></table>\n").toString();
    }

    private static boolean isNumber(String v) {
        try {
            Double.parseDouble(v);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
