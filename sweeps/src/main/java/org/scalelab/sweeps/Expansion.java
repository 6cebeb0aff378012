package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.ConfigLoader;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.run.RunIds;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Expands a spec into runs: the cartesian product of its components — the grid's own product, the
 * zipped lists, the explicit points, the shapes — each applied on top of {@code base} like
 * {@code --set key=value}. A run's id comes from its resolved config, so the same point always maps to
 * the same directory whatever the order of the spec. Everything is checked before any run starts, and
 * an error names the line of the spec at fault. With {@code lr: {search: …}} the runs whose learning rate
 * a search has not chosen yet are expanded later ({@link LrSearch}).
 */
public final class Expansion {
    /** Coordinates that label a run (shape family, target N) rather than set a config key. */
    static final Set<String> LABELS = Set.of("family", "target_N", "phase", "D_F", "lr_search", "budget");
    /** Keys of {@code transfer:}. */
    static final List<String> TRANSFER_KEYS = List.of("pretrain", "finetune", "budgets", "epochs");
    /** Keys of {@code shapes:}. */
    static final List<String> SHAPE_KEYS = List.of("family", "N", "aspect", "deepAspect", "headSize");
    /** Kaplan et al. (2020) eq. D.1: the learning rate that worked at each N. */
    static final double KAPLAN_LR_A = 0.003239, KAPLAN_LR_B = 0.0001395;

    private Expansion() {}

    /** One run of a sweep: its coordinates (the keys the axes set), its config and its id. */
    public record Point(Map<String, String> coords, RunConfig config, String runId) {}

    /** One assignment of config keys by a component, with the spec path of each key (for error lines). */
    record Assign(Map<String, String> values, Map<String, String> where) {
        static Assign empty() {
            return new Assign(new LinkedHashMap<>(), new LinkedHashMap<>());
        }

        Assign plus(Assign o) {
            Assign a = new Assign(new LinkedHashMap<>(values), new LinkedHashMap<>(where));
            a.values.putAll(o.values);
            a.where.putAll(o.where);
            return a;
        }
    }

    /** Kaplan's LR(N) ≈ 0.003239 − 0.0001395·ln N. */
    public static double kaplanLr(double n) {
        return KAPLAN_LR_A - KAPLAN_LR_B * Math.log(n);
    }

    /** Expands the spec, checking also that every text corpus exists. */
    public static List<Point> expand(SweepSpec spec, String runsDir) {
        return expand(spec, runsDir, true);
    }

    /**
     * The runs to train: for a sweep with a learning-rate search ({@link LrSearch}), its candidates and the
     * runs whose learning rate the search has chosen already.
     *
     * @param checkFiles check that text corpora exist here; off for sweeps read on another machine than
     *                   the one that trains them (status of a copied directory, a Kubernetes manifest)
     */
    public static List<Point> expand(SweepSpec spec, String runsDir, boolean checkFiles) {
        return expandAll(spec, runsDir, checkFiles).points();
    }

    /**
     * A sweep expanded as far as its finished runs allow.
     *
     * @param points   the runs to train: a learning-rate search's candidates, then every run whose
     *                 learning rate is known
     * @param waiting  runs whose learning rate a search has not chosen yet: base's lr in their config and
     *                 an id without its hash ({@link LrSearch#waitingId}), for plans only, never trained
     * @param searches the learning-rate searches, none without {@code lr: {search: …}}
     */
    record Expanded(List<Point> points, List<Point> waiting, List<LrSearch.Search> searches) {
        /** The points and the waiting runs: every run a plan lists. */
        List<Point> listed() {
            List<Point> all = new ArrayList<>(points);
            all.addAll(waiting);
            return all;
        }
    }

    /** {@link #expand}, with the runs that wait for a learning-rate search and the searches themselves. */
    static Expanded expandAll(SweepSpec spec, String runsDir, boolean checkFiles) {
        JsonNode base = spec.root.get("base");
        checkBase(spec, base);
        RunConfig baseCfg = bind(spec, base, List.of(), Map.of());
        List<List<Assign>> parts = List.of(grid(spec), zip(spec), points(spec), shapes(spec, baseCfg.model()));
        checkOverlaps(spec, parts);
        JsonNode lrNode = spec.root.get("lr");
        LrSearch.Settings search = lrNode != null && lrNode.isObject() ? LrSearch.settings(spec) : null;
        if (lrNode != null && !lrNode.isObject() && !lrNode.isTextual()) {
            throw spec.error("lr", "lr: must be kaplan or a search, e.g. lr: {search: [1.0e-3, 2.0e-3, 4.0e-3], at: base}");
        }
        String lrRule = search != null ? "" : spec.root.path("lr").asText("");
        if (!lrRule.isEmpty() && !lrRule.equals("kaplan")) {
            throw spec.error("lr", "lr: '" + lrRule + "' is not known; use kaplan (LR(N) = 0.003239 − 0.0001395·ln N), "
                    + "a search (lr: {search: [1.0e-3, 2.0e-3, 4.0e-3], at: base}) or leave it out");
        }
        List<Assign> all = List.of(Assign.empty());
        for (List<Assign> p : parts) {
            List<Assign> next = new ArrayList<>();
            for (Assign a : all) for (Assign b : p) next.add(a.plus(b));
            all = next;
        }
        Budgets.Settings budgets = Budgets.settings(spec);
        if (search != null) return LrSearch.expand(spec, base, all, search, budgets, runsDir, checkFiles);
        if (lrRule.equals("kaplan")) {
            for (Assign a : all) {
                if (a.values.containsKey("train.lr")) {
                    throw spec.error(a.where.get("train.lr"), "train.lr is set here and by lr: kaplan; remove one of them");
                }
            }
        }

        List<Point> out = new ArrayList<>();
        Map<String, Point> seen = new LinkedHashMap<>();
        JsonNode transfer = spec.root.get("transfer");
        if (transfer == null) {
            Converge.Settings converge = Converge.settings(spec);
            for (Assign a : all) {
                if (converge != null) add(out, seen, Converge.expand(spec, converge, a, x -> point(spec, base, x, lrRule, runsDir, checkFiles)));
                else if (budgets == null) add(out, seen, point(spec, base, a, lrRule, runsDir, checkFiles));
                else for (Point p : Budgets.expand(spec, budgets, a, runsDir, x -> point(spec, base, x, lrRule, runsDir, checkFiles))) add(out, seen, p);
            }
            return new Expanded(out, List.of(), List.of());
        }
        // transfer: per size, one pre-training run, then per fine-tuning budget D_F a run from scratch and a
        // run starting from the pre-trained weights, both on the fine-tuning corpus with data.tokens = D_F
        Assign pre = phase(spec, transfer, "pretrain", all), fine = phase(spec, transfer, "finetune", all);
        List<String> fineBudgets = budgets(spec, transfer);
        double epochs = 0;
        if (transfer.has("epochs")) {
            epochs = transfer.get("epochs").asDouble(Double.NaN);
            if (!(epochs > 0) || !transfer.get("epochs").isNumber()) {
                throw spec.error("transfer/epochs", "transfer: epochs must be a number > 0 (passes over D_F per run), got '" + transfer.get("epochs").asText() + "'");
            }
        }
        for (Assign a : all) {
            Assign pa = a.plus(pre);
            pa.values.put("phase", "pretrain");
            Point pp = point(spec, base, pa, lrRule, runsDir, checkFiles);
            add(out, seen, pp);
            for (int i = 0; i < fineBudgets.size(); i++) {
                for (String ph : List.of("scratch", "finetune")) {
                    Assign fa = a.plus(fine);
                    fa.values.put("phase", ph);
                    fa.values.put("D_F", fineBudgets.get(i));
                    fa.values.put("data.tokens", fineBudgets.get(i));
                    fa.where.put("data.tokens", "transfer/budgets/" + i);
                    if (ph.equals("finetune")) {
                        fa.values.put("train.init", runsDir + "/" + pp.runId());
                        fa.where.put("train.init", "transfer/finetune");
                    }
                    Point fp = point(spec, base, fa, lrRule, runsDir, checkFiles);
                    if (epochs > 0) {   // enough steps for `epochs` passes over D_F; train.steps is the minimum
                        long perStep = (long) fp.config().train().batchSize() * fp.config().model().nCtx();
                        long steps = Math.max(fp.config().train().steps(), (long) Math.ceil(epochs * Long.parseLong(fineBudgets.get(i)) / perStep));
                        fa.values.put("train.steps", Long.toString(steps));
                        fa.where.putIfAbsent("train.steps", "transfer/epochs");
                        fp = point(spec, base, fa, lrRule, runsDir, checkFiles);
                    }
                    add(out, seen, fp);
                }
            }
        }
        return new Expanded(out, List.of(), List.of());
    }

    static void add(List<Point> out, Map<String, Point> seen, Point p) {
        if (seen.putIfAbsent(p.runId(), p) == null) out.add(p);
    }

    /** The overrides of one phase of transfer: ({@code pretrain:} or {@code finetune:}), keys not set by the axes. */
    private static Assign phase(SweepSpec spec, JsonNode transfer, String name, List<Assign> axes) {
        JsonNode n = transfer.get(name);
        String at = "transfer/" + name;
        if (n == null || !n.isObject() || n.isEmpty()) {
            throw spec.error(n == null ? "transfer" : at, "transfer: needs " + name + ": a mapping of config keys, e.g. "
                    + name + ": {data.corpus: synthetic:seed=2, train.steps: 300}");
        }
        Assign m = Assign.empty();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            String path = at + "/" + e.getKey();
            checkAxisKey(spec, path, e.getKey());
            if (e.getKey().equals("data.tokens") || e.getKey().equals("train.init")) {
                throw spec.error(path, "transfer: " + e.getKey() + " is set by the transfer sweep itself ("
                        + (e.getKey().equals("data.tokens") ? "from budgets:" : "the pre-training run of the same size") + "); remove it");
            }
            for (Assign a : axes) {
                if (a.values.containsKey(e.getKey())) {
                    throw spec.error(path, "'" + e.getKey() + "' is set both by an axis and by transfer: " + name + ":; set it in one place");
                }
            }
            m.values.put(e.getKey(), scalar(spec, path, e.getValue()));
            m.where.put(e.getKey(), path);
        }
        return m;
    }

    private static List<String> budgets(SweepSpec spec, JsonNode transfer) {
        transfer.fieldNames().forEachRemaining(k -> {
            if (!TRANSFER_KEYS.contains(k)) throw spec.error("transfer/" + k, "transfer: unknown key '" + k + "'; use " + String.join(", ", TRANSFER_KEYS));
        });
        if (!transfer.has("budgets")) throw spec.error("transfer", "transfer: needs budgets: [fine-tuning token budgets D_F], e.g. [2e4, 1e5, 5e5]");
        List<String> b = values(spec, "transfer/budgets", transfer.get("budgets"));
        for (int i = 0; i < b.size(); i++) {
            long v;
            try {
                v = Long.parseLong(b.get(i));
            } catch (NumberFormatException e) {
                v = -1;
            }
            if (v <= 0) throw spec.error("transfer/budgets/" + i, "transfer: budget '" + b.get(i) + "' must be a whole number of tokens > 0");
        }
        return b;
    }

    /** The run of one assignment: its config bound and checked, its id. */
    static Point point(SweepSpec spec, JsonNode base, Assign a, String lrRule, String runsDir, boolean checkFiles) {
        List<String> sets = new ArrayList<>();
        a.values.forEach((k, v) -> {
            if (!LABELS.contains(k)) sets.add(k + "=" + v);
        });
        sets.add("out=" + runsDir);
        RunConfig cfg = bind(spec, base, sets, a.where);
        if (lrRule.equals("kaplan")) {
            double n = Accounting.of(cfg.model().withVocab(Math.max(1, cfg.model().nVocab()))).nonEmbedding();
            sets.add("train.lr=" + String.format(Locale.ROOT, "%.6g", kaplanLr(n)));
            cfg = bind(spec, base, sets, a.where);
        }
        try {
            cfg.model().withVocab(Math.max(1, cfg.model().nVocab())).validate();
            cfg.train().validate();
            Corpora.check(cfg.data(), checkFiles);
        } catch (UserError e) {
            throw spec.error(locate(spec, e.getMessage(), a.where), runLabel(a) + e.getMessage());
        }
        Map<String, String> coords = new LinkedHashMap<>(a.values);
        if (coords.containsKey("phase")) {   // transfer: D_F and the parent run say it already
            coords.remove("train.init");
            coords.remove("data.tokens");
        }
        return new Point(coords, cfg, runId(cfg, runsDir));
    }

    /**
     * A run's id; a run that starts from another run keeps the id earlier versions gave it (its init
     * hashed as written, not relative to the runs folder) when only that run directory exists, so a
     * sweep started before goes on where it was.
     */
    static String runId(RunConfig cfg, String runsDir) {
        String id = RunIds.of(cfg);
        if (cfg.train().init().isEmpty()) return id;
        String legacy = RunIds.legacyOf(cfg);
        if (!legacy.equals(id) && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(runsDir, id))
                && java.nio.file.Files.isDirectory(java.nio.file.Path.of(runsDir, legacy))) return legacy;
        return id;
    }

    private static String runLabel(Assign a) {
        return a.values.isEmpty() ? "" : "run " + a.values + ": ";
    }

    /** The base config with the overrides, or an error at the line of the key at fault. */
    static RunConfig bind(SweepSpec spec, JsonNode base, List<String> sets, Map<String, String> where) {
        try {
            return ConfigLoader.fromTree(base, spec.file + " (base)", sets);
        } catch (UserError e) {
            String msg = e.getMessage().replaceFirst("^--set:? ", "").replace(spec.file + " (base): ", "");
            throw spec.error(locate(spec, e.getMessage(), where), msg);
        }
    }

    /**
     * The spec path a config error is about: the axis that sets a key the message names, else that key
     * in base:, else base: itself.
     */
    static String locate(SweepSpec spec, String message, Map<String, String> where) {
        for (var e : where.entrySet()) {
            if (message.contains(e.getKey())) return e.getValue();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(model|data|train)\\.[A-Za-z]+").matcher(message);
        while (m.find()) {
            String path = "base/" + m.group().replace('.', '/');
            if (spec.hasLine(path)) return path;
        }
        if (message.contains("data.corpus") && spec.hasLine("base/data/corpus")) return "base/data/corpus";
        return where.isEmpty() ? "base" : where.values().iterator().next();
    }

    /** base: must be a run config; its name and out are the sweep's to decide. */
    private static void checkBase(SweepSpec spec, JsonNode base) {
        if (base == null) return;
        if (!base.isObject()) throw spec.error("base", "base: must be a run config (a mapping with model:, data:, train:)");
        for (String k : List.of("name", "out")) {
            if (base.has(k)) {
                throw spec.error("base/" + k, "base." + k + ": a sweep names its runs from their configs and puts them under "
                        + "DIR/runs/; remove it (use sweep run --dir DIR to choose the directory)");
            }
        }
        ObjectNode defaults = Json.MAPPER.valueToTree(RunConfig.DEFAULT);
        walk(spec, base, defaults, "");
    }

    private static void walk(SweepSpec spec, JsonNode user, JsonNode defaults, String prefix) {
        for (Iterator<Map.Entry<String, JsonNode>> it = user.fields(); it.hasNext(); ) {
            var e = it.next();
            String dotted = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            JsonNode def = defaults.get(e.getKey());
            String path = "base/" + dotted.replace('.', '/');
            if (def == null) throw spec.error(path, unknownKeyMessage(dotted));
            if (def.isObject() && e.getValue().isObject()) walk(spec, e.getValue(), def, dotted);
        }
    }

    /** The trainer's message for an unknown key (with its "did you mean"), without its source prefix. */
    private static String unknownKeyMessage(String dotted) {
        try {
            ConfigLoader.fromTree(null, "", List.of(dotted + "=0"));
        } catch (UserError e) {
            return e.getMessage().replaceFirst("^--set:? ", "");
        }
        return "unknown key '" + dotted + "'";
    }

    /** An axis key must be a config key (section.key) other than name and out. */
    private static void checkAxisKey(SweepSpec spec, String path, String key) {
        if (key.equals("name") || key.equals("out")) {
            throw spec.error(path, "'" + key + "' cannot be an axis: run names and directories come from the sweep");
        }
        ObjectNode defaults = Json.MAPPER.valueToTree(RunConfig.DEFAULT);
        JsonNode n = defaults;
        for (String part : key.split("\\.", -1)) {
            n = n == null ? null : n.get(part);
            if (n == null) throw spec.error(path, unknownKeyMessage(key));
        }
        if (n.isObject()) throw spec.error(path, "'" + key + "' is a section; an axis sets one key, e.g. " + key + "." + n.fieldNames().next());
    }

    /** A key set by two components (e.g. grid: and zip:) would be ambiguous. */
    private static void checkOverlaps(SweepSpec spec, List<List<Assign>> parts) {
        String[] names = {"grid", "zip", "points", "shapes"};
        Map<String, Integer> owner = new LinkedHashMap<>();
        for (int i = 0; i < parts.size(); i++) {
            Set<String> keys = new LinkedHashSet<>();
            for (Assign a : parts.get(i)) keys.addAll(a.values.keySet());
            for (String k : keys) {
                Integer prev = owner.putIfAbsent(k, i);
                if (prev != null && prev != i) {
                    String where = parts.get(i).stream().filter(a -> a.where.containsKey(k)).findFirst().map(a -> a.where.get(k)).orElse(names[i]);
                    throw spec.error(where, "'" + k + "' is set by both " + names[prev] + ": and " + names[i] + ":; set it in one place");
                }
            }
        }
    }

    static List<Assign> grid(SweepSpec spec) {
        List<Assign> out = new ArrayList<>();
        out.add(Assign.empty());
        JsonNode g = spec.root.get("grid");
        if (g == null) return out;
        if (!g.isObject() || g.isEmpty()) throw spec.error("grid", "grid: must map config keys to lists, e.g. model.nLayer: [2, 4]");
        for (Iterator<Map.Entry<String, JsonNode>> it = g.fields(); it.hasNext(); ) {
            var e = it.next();
            String path = "grid/" + e.getKey();
            checkAxisKey(spec, path, e.getKey());
            List<String> vals = values(spec, path, e.getValue());
            List<Assign> next = new ArrayList<>();
            for (Assign m : out) {
                for (String v : vals) {
                    Assign c = m.plus(Assign.empty());
                    c.values.put(e.getKey(), v);
                    c.where.put(e.getKey(), path);
                    next.add(c);
                }
            }
            out = next;
        }
        return out;
    }

    static List<Assign> zip(SweepSpec spec) {
        JsonNode z = spec.root.get("zip");
        if (z == null) return List.of(Assign.empty());
        if (!z.isObject() || z.isEmpty()) throw spec.error("zip", "zip: must map config keys to lists of equal length");
        int len = -1;
        Map<String, List<String>> cols = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = z.fields(); it.hasNext(); ) {
            var e = it.next();
            String path = "zip/" + e.getKey();
            checkAxisKey(spec, path, e.getKey());
            List<String> v = values(spec, path, e.getValue());
            if (len >= 0 && v.size() != len) {
                throw spec.error(path, "zip: '" + e.getKey() + "' has " + v.size() + " values, the keys before it " + len
                        + "; zipped lists must have equal lengths");
            }
            len = v.size();
            cols.put(e.getKey(), v);
        }
        List<Assign> out = new ArrayList<>();
        for (int i = 0; i < len; i++) {
            Assign m = Assign.empty();
            for (var e : cols.entrySet()) {
                m.values.put(e.getKey(), e.getValue().get(i));
                m.where.put(e.getKey(), "zip/" + e.getKey() + "/" + i);
            }
            out.add(m);
        }
        return out;
    }

    static List<Assign> points(SweepSpec spec) {
        JsonNode p = spec.root.get("points");
        if (p == null) return List.of(Assign.empty());
        if (!p.isArray() || p.isEmpty()) throw spec.error("points", "points: must be a non-empty list of mappings, e.g. - {model.nLayer: 2}");
        List<Assign> out = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) {
            JsonNode pt = p.get(i);
            if (!pt.isObject() || pt.isEmpty()) {
                throw spec.error("points/" + i, "points: entry " + (i + 1) + " must be a mapping of config keys to values, e.g. {model.nLayer: 2}");
            }
            Assign m = Assign.empty();
            String at = "points/" + i + "/";
            for (Iterator<Map.Entry<String, JsonNode>> it = pt.fields(); it.hasNext(); ) {
                var e = it.next();
                checkAxisKey(spec, at + e.getKey(), e.getKey());
                m.values.put(e.getKey(), scalar(spec, at + e.getKey(), e.getValue()));
                m.where.put(e.getKey(), at + e.getKey());
            }
            out.add(m);
        }
        return out;
    }

    static List<Assign> shapes(SweepSpec spec, ModelConfig base) {
        JsonNode s = spec.root.get("shapes");
        if (s == null) return List.of(Assign.empty());
        if (!s.isObject() || !s.has("N")) {
            throw spec.error("shapes", "shapes: needs N: [target sizes] and family: standard | deepnarrow | [standard, deepnarrow]");
        }
        s.fieldNames().forEachRemaining(k -> {
            if (!SHAPE_KEYS.contains(k)) throw spec.error("shapes/" + k, "shapes: unknown key '" + k + "'; use " + String.join(", ", SHAPE_KEYS));
        });
        List<String> families = s.has("family") ? values(spec, "shapes/family", s.get("family")) : List.of("standard");
        List<String> ns = values(spec, "shapes/N", s.get("N"));
        double aspect = number(spec, s, "aspect", 16);
        double deepAspect = number(spec, s, "deepAspect", aspect / 4);
        double head = number(spec, s, "headSize", 16);
        if (head != Math.rint(head)) throw spec.error("shapes/headSize", "shapes: headSize must be a whole number of channels, got " + head);
        List<Assign> out = new ArrayList<>();
        for (int i = 0; i < ns.size(); i++) {
            String n = ns.get(i);
            double target;
            try {
                target = Double.parseDouble(n);
            } catch (NumberFormatException e) {
                throw spec.error("shapes/N/" + i, "shapes: N value '" + n + "' is not a number (write e.g. 1e5)");
            }
            if (!(target >= 100)) throw spec.error("shapes/N/" + i, "shapes: N must be ≥ 100 parameters, got " + n);
            for (String f : families) {
                Shapes.Shape sh;
                try {
                    sh = Shapes.resolve(f, target, aspect, deepAspect, (int) head, base);
                } catch (IllegalArgumentException e) {
                    throw spec.error("shapes/family", "shapes: " + e.getMessage());
                }
                Assign m = Assign.empty();
                m.values.put("family", sh.family());
                m.values.put("target_N", n);
                m.values.put("model.nLayer", Integer.toString(sh.nLayer()));
                m.values.put("model.dModel", Integer.toString(sh.dModel()));
                m.values.put("model.nHead", Integer.toString(sh.nHead()));
                for (String k : m.values.keySet()) m.where.put(k, "shapes/N/" + i);
                out.add(m);
            }
        }
        return out;
    }

    private static double number(SweepSpec spec, JsonNode s, String key, double dflt) {
        if (!s.has(key)) return dflt;
        JsonNode v = s.get(key);
        double x = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(x > 0)) throw spec.error("shapes/" + key, "shapes: " + key + " must be a number > 0, got '" + v.asText() + "'");
        return x;
    }

    private static List<String> values(SweepSpec spec, String path, JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            if (n.isEmpty()) throw spec.error(path, "'" + path.substring(path.indexOf('/') + 1) + "' has an empty list: the sweep would have no runs");
            for (int i = 0; i < n.size(); i++) out.add(scalar(spec, path + "/" + i, n.get(i)));
        } else {
            out.add(scalar(spec, path, n));
        }
        return out;
    }

    private static String scalar(SweepSpec spec, String path, JsonNode v) {
        if (!v.isValueNode() || v.isNull()) {
            String key = path.replaceAll("/[0-9]+$", "");
            throw spec.error(path, "'" + key.substring(key.lastIndexOf('/') + 1) + "' must be a value or a list of values");
        }
        // 1e6 is a whole number: write it as one, so that integer keys (data.tokens, train.steps) accept it
        if (v.isFloatingPointNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < 1e15) {
            return Long.toString((long) v.asDouble());
        }
        return v.asText();
    }
}
