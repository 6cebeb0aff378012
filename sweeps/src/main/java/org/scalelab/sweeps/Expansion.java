package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.Accounting;
import org.scalelab.trainer.ConfigLoader;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.RunIds;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Expands a spec into runs: the cartesian product of its components — the grid's own product, the
 * zipped lists, the explicit points, the shapes — each applied on top of {@code base} like
 * {@code --set key=value}. A run's id comes from its resolved config, so the same point always maps to
 * the same directory whatever the order of the spec.
 */
public final class Expansion {
    /** Coordinates that label a run (shape family, target N) rather than set a config key. */
    static final java.util.Set<String> LABELS = java.util.Set.of("family", "target_N");

    private Expansion() {}

    /** One run of a sweep: its coordinates (the keys the axes set), its config and its id. */
    public record Point(Map<String, String> coords, RunConfig config, String runId) {}

    public static List<Point> expand(SweepSpec spec, String runsDir) {
        List<List<Map<String, String>>> parts = new ArrayList<>();
        parts.add(grid(spec));
        parts.add(zip(spec));
        parts.add(points(spec));
        parts.add(shapes(spec));
        List<Map<String, String>> all = List.of(new LinkedHashMap<>());
        for (List<Map<String, String>> p : parts) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> a : all) {
                for (Map<String, String> b : p) {
                    Map<String, String> m = new LinkedHashMap<>(a);
                    m.putAll(b);
                    next.add(m);
                }
            }
            all = next;
        }
        if (all.size() == 1 && all.get(0).isEmpty() && !spec.root.has("base")) {
            throw spec.error("", "the spec has no runs: give base: and at least one of grid:, zip:, points:, shapes:");
        }
        String lrRule = spec.root.path("lr").asText("");
        if (!lrRule.isEmpty() && !lrRule.equals("kaplan")) throw spec.error("lr", "lr: '" + lrRule + "' is not known; use kaplan (LR(N) = 0.003239 − 0.0001395·ln N)");
        List<Point> out = new ArrayList<>();
        Map<String, Point> seen = new LinkedHashMap<>();
        for (Map<String, String> coords : all) {
            List<String> sets = new ArrayList<>();
            coords.forEach((k, v) -> {
                if (!LABELS.contains(k)) sets.add(k + "=" + v);
            });
            sets.add("out=" + runsDir);
            RunConfig cfg;
            try {
                cfg = ConfigLoader.fromTree(spec.root.get("base"), spec.file + " (base)", sets);
                if (lrRule.equals("kaplan")) {
                    var m = cfg.model().withVocab(Math.max(1, cfg.model().nVocab()));
                    double n = Accounting.of(m).nonEmbedding();
                    sets.add("train.lr=" + String.format(Locale.ROOT, "%.6g", 0.003239 - 0.0001395 * Math.log(n)));
                    cfg = ConfigLoader.fromTree(spec.root.get("base"), spec.file + " (base)", sets);
                }
                cfg.model().withVocab(Math.max(1, cfg.model().nVocab())).validate();
                cfg.train().validate();
            } catch (UserError e) {
                String key = coords.keySet().stream().filter(k -> e.getMessage().contains(k)).findFirst().orElse("");
                String where = key.isEmpty() ? "base" : section(spec, key) + "/" + key;
                throw spec.error(where, "run " + coords + ": " + e.getMessage().replaceFirst("^--set:? ", ""));
            }
            String id = RunIds.of(cfg);
            Point p = new Point(coords, cfg, id);
            if (seen.putIfAbsent(id, p) == null) out.add(p);
        }
        return out;
    }

    private static String section(SweepSpec spec, String key) {
        for (String s : new String[]{"grid", "zip"}) if (spec.root.path(s).has(key)) return s;
        return spec.root.has("points") ? "points" : "shapes";
    }

    static List<Map<String, String>> grid(SweepSpec spec) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        JsonNode g = spec.root.get("grid");
        if (g == null) return out;
        if (!g.isObject()) throw spec.error("grid", "grid: must map config keys to lists, e.g. model.nLayer: [2, 4]");
        for (Iterator<Map.Entry<String, JsonNode>> it = g.fields(); it.hasNext(); ) {
            var e = it.next();
            List<String> vals = values(spec, "grid/" + e.getKey(), e.getValue());
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> m : out) {
                for (String v : vals) {
                    Map<String, String> c = new LinkedHashMap<>(m);
                    c.put(e.getKey(), v);
                    next.add(c);
                }
            }
            out = next;
        }
        return out;
    }

    static List<Map<String, String>> zip(SweepSpec spec) {
        JsonNode z = spec.root.get("zip");
        if (z == null) return List.of(new LinkedHashMap<>());
        if (!z.isObject()) throw spec.error("zip", "zip: must map config keys to lists of equal length");
        int len = -1;
        Map<String, List<String>> cols = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = z.fields(); it.hasNext(); ) {
            var e = it.next();
            List<String> v = values(spec, "zip/" + e.getKey(), e.getValue());
            if (len >= 0 && v.size() != len) {
                throw spec.error("zip/" + e.getKey(), "zip: '" + e.getKey() + "' has " + v.size() + " values, the keys before it " + len
                        + "; zipped lists must have equal lengths");
            }
            len = v.size();
            cols.put(e.getKey(), v);
        }
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < len; i++) {
            Map<String, String> m = new LinkedHashMap<>();
            for (var e : cols.entrySet()) m.put(e.getKey(), e.getValue().get(i));
            out.add(m);
        }
        return out;
    }

    static List<Map<String, String>> points(SweepSpec spec) {
        JsonNode p = spec.root.get("points");
        if (p == null) return List.of(new LinkedHashMap<>());
        if (!p.isArray() || p.isEmpty()) throw spec.error("points", "points: must be a non-empty list of mappings, e.g. - {model.nLayer: 2}");
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            JsonNode pt = p.get(i);
            if (!pt.isObject()) throw spec.error("points/" + i, "points: entry " + (i + 1) + " must be a mapping of config keys to values");
            Map<String, String> m = new LinkedHashMap<>();
            String at = "points/" + i + "/";
            pt.fields().forEachRemaining(e -> m.put(e.getKey(), scalar(spec, at + e.getKey(), e.getValue())));
            out.add(m);
        }
        return out;
    }

    static List<Map<String, String>> shapes(SweepSpec spec) {
        JsonNode s = spec.root.get("shapes");
        if (s == null) return List.of(new LinkedHashMap<>());
        if (!s.isObject() || !s.has("N")) throw spec.error("shapes", "shapes: needs N: [target sizes] and family: standard | deepnarrow | [standard, deepnarrow]");
        List<String> families = s.has("family") ? values(spec, "shapes/family", s.get("family")) : List.of("standard");
        List<String> ns = values(spec, "shapes/N", s.get("N"));
        double aspect = s.path("aspect").asDouble(16);
        int head = s.path("headSize").asInt(16);
        if (!(aspect > 0) || head <= 0) throw spec.error("shapes", "shapes: aspect and headSize must be > 0");
        s.fieldNames().forEachRemaining(k -> {
            if (!List.of("family", "N", "aspect", "headSize").contains(k)) {
                throw spec.error("shapes/" + k, "shapes: unknown key '" + k + "'; use family, N, aspect, headSize");
            }
        });
        List<Map<String, String>> out = new ArrayList<>();
        for (String n : ns) {
            double target;
            try {
                target = Double.parseDouble(n);
            } catch (NumberFormatException e) {
                throw spec.error("shapes/N", "shapes: N value '" + n + "' is not a number");
            }
            if (!(target > 0)) throw spec.error("shapes/N", "shapes: N must be > 0, got " + n);
            for (String f : families) {
                Shapes.Shape sh;
                try {
                    sh = Shapes.resolve(f, target, aspect, head);
                } catch (IllegalArgumentException e) {
                    throw spec.error("shapes/family", "shapes: " + e.getMessage());
                }
                Map<String, String> m = new LinkedHashMap<>();
                m.put("family", sh.family());
                m.put("target_N", n);
                m.put("model.nLayer", Integer.toString(sh.nLayer()));
                m.put("model.dModel", Integer.toString(sh.dModel()));
                m.put("model.nHead", Integer.toString(sh.nHead()));
                out.add(m);
            }
        }
        return out;
    }

    private static List<String> values(SweepSpec spec, String path, JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            if (n.isEmpty()) throw spec.error(path, "'" + path.substring(path.indexOf('/') + 1) + "' has an empty list: the grid would have no runs");
            for (JsonNode v : n) out.add(scalar(spec, path, v));
        } else {
            out.add(scalar(spec, path, n));
        }
        return out;
    }

    private static String scalar(SweepSpec spec, String path, JsonNode v) {
        if (!v.isValueNode()) throw spec.error(path, "'" + path.substring(path.lastIndexOf('/') + 1) + "' must be a value or a list of values");
        return v.asText();
    }
}
