package org.scalelab.trainer;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads a run config: the defaults, overlaid by a YAML file, overlaid by {@code --set key.path=value}
 * overrides. Every key must exist in the defaults, so a typo is an error that names the file, the key
 * and the closest known key instead of a silently ignored setting.
 */
public final class ConfigLoader {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private ConfigLoader() {}

    /** Loads {@code file} (may be null for defaults only) and applies the overrides in order. */
    public static RunConfig load(Path file, List<String> overrides) {
        ObjectNode tree = Json.MAPPER.valueToTree(RunConfig.DEFAULT);
        String source = file == null ? "defaults" : file.toString();
        Map<String, String> origins = new HashMap<>();
        if (file != null) {
            JsonNode user = readYaml(file);
            if (user != null && !user.isNull() && !user.isMissingNode()) {
                if (!user.isObject()) throw new UserError(file + ": expected a mapping of sections (model:, data:, train:)");
                merge(tree, (ObjectNode) user, "", source, origins);
            }
        }
        for (String o : overrides == null ? List.<String>of() : overrides) applySet(tree, o, origins);
        return bind(tree, source, origins);
    }

    /**
     * A config from a tree already read (e.g. a sweep spec's {@code base:}), overlaid by overrides;
     * {@code source} names where the tree came from in error messages.
     */
    public static RunConfig fromTree(JsonNode user, String source, List<String> overrides) {
        ObjectNode tree = Json.MAPPER.valueToTree(RunConfig.DEFAULT);
        Map<String, String> origins = new HashMap<>();
        if (user != null && !user.isNull() && !user.isMissingNode()) {
            if (!user.isObject()) throw new UserError(source + ": expected a mapping of sections (model:, data:, train:)");
            merge(tree, (ObjectNode) user, "", source, origins);
        }
        for (String o : overrides == null ? List.<String>of() : overrides) applySet(tree, o, origins);
        return bind(tree, source, origins);
    }

    /**
     * Binds a complete config tree (e.g. a spec.json's {@code config}) and validates it. Keys the tree lacks
     * (settings added after it was written, e.g. by an older version) take their default values.
     */
    public static RunConfig bind(JsonNode tree, String source) {
        if (tree instanceof ObjectNode obj) {
            ObjectNode full = Json.MAPPER.valueToTree(RunConfig.DEFAULT);
            overlay(full, obj);
            tree = full;
        }
        return bind(tree, source, Map.of());
    }

    /** Copies every key of {@code from} over {@code into}, section by section. */
    private static void overlay(ObjectNode into, ObjectNode from) {
        for (Iterator<String> it = from.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            JsonNode v = from.get(k), d = into.get(k);
            if (d instanceof ObjectNode dn && v instanceof ObjectNode vn) overlay(dn, vn);
            else into.set(k, v);
        }
    }

    /**
     * Binds {@code tree}; an error names where the offending value came from ({@code origins}: key path →
     * the file or the {@code --set} argument that set it), else {@code source}.
     */
    private static RunConfig bind(JsonNode tree, String source, Map<String, String> origins) {
        wholeNumbers(tree, Json.MAPPER.valueToTree(RunConfig.DEFAULT), "", source, origins);
        try {
            return YAML.treeToValue(tree, RunConfig.class);
        } catch (JsonMappingException e) {
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            String from = origins.getOrDefault(path, source);
            // a value a config type refused itself (e.g. model.norm: batchnorm) says what it wants already
            if (e.getCause() instanceof UserError u) throw new UserError(origins.getOrDefault(fieldOf(u), from) + ": " + u.getMessage());
            String msg = e.getOriginalMessage();
            int cut = msg.indexOf('\n');
            if (cut > 0) msg = msg.substring(0, cut);
            throw new UserError(from + ": bad value for '" + path + "': " + msg);
        } catch (IOException e) {
            throw new UserError(source + ": " + e.getMessage());
        }
    }

    /** The key path a config type's own message starts with ("model.norm: …"), or "". */
    private static String fieldOf(UserError u) {
        String m = u.getMessage();
        int sp = m.indexOf(' ');
        String first = sp < 0 ? m : m.substring(0, sp);
        return first.endsWith(":") ? first.substring(0, first.length() - 1) : first;
    }

    /**
     * Integer settings take whole numbers only: 1e4 or 4.0 are read as 10000 and 4, but 1.5 is an error
     * (Jackson would silently truncate it to 1).
     */
    private static void wholeNumbers(JsonNode tree, JsonNode defaults, String prefix, String source, Map<String, String> origins) {
        if (!(tree instanceof ObjectNode obj)) return;
        for (Iterator<String> it = defaults.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            JsonNode def = defaults.get(key), val = obj.get(key);
            if (val == null) continue;
            String path = prefix + key;
            if (def.isObject()) {
                wholeNumbers(val, def, path + ".", source, origins);
            } else if (def.isIntegralNumber() && val.isFloatingPointNumber()) {
                double x = val.doubleValue();
                if (x != Math.rint(x) || Math.abs(x) > Long.MAX_VALUE / 2.0) {
                    throw new UserError(origins.getOrDefault(path, source) + ": '" + path + "' must be a whole number, got " + val.asText());
                }
                obj.put(key, (long) x);
            }
        }
    }

    private static JsonNode readYaml(Path file) {
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such config file");
        try {
            return YAML.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var loc = e.getLocation();
            String at = loc != null && loc.getLineNr() > 0 ? ":" + loc.getLineNr() : "";
            throw new UserError(file + at + ": not valid YAML: " + e.getOriginalMessage().split("\n")[0]);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    private static void merge(ObjectNode base, ObjectNode user, String prefix, String source, Map<String, String> origins) {
        for (Iterator<String> it = user.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            String path = prefix + key;
            JsonNode def = base.get(key);
            if (def == null) throw unknownKey(source, path, base, prefix);
            JsonNode val = user.get(key);
            if (def.isObject()) {
                if (!val.isObject()) throw new UserError(source + ": '" + path + "' must be a mapping of "
                        + fieldList((ObjectNode) def));
                merge((ObjectNode) def, (ObjectNode) val, path + ".", source, origins);
            } else {
                base.set(key, val);
                origins.put(path, source);
            }
        }
    }

    private static void applySet(ObjectNode tree, String assignment, Map<String, String> origins) {
        int eq = assignment.indexOf('=');
        if (eq <= 0) throw new UserError("--set '" + assignment + "': expected key.path=value, e.g. --set model.nLayer=4");
        String path = assignment.substring(0, eq).trim();
        String raw = assignment.substring(eq + 1).trim();
        String[] parts = path.split("\\.");
        ObjectNode node = tree;
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            JsonNode child = node.get(parts[i]);
            if (child == null) throw unknownKey("--set", prefix + parts[i], node, prefix.toString());
            if (i == parts.length - 1) {
                if (child.isObject()) throw new UserError("--set " + path + ": is a section; set one of its keys: "
                        + fieldList((ObjectNode) child));
                node.set(parts[i], parseScalar(raw));
                origins.put(path, "--set " + assignment);
            } else {
                if (!child.isObject()) throw new UserError("--set " + path + ": '" + prefix + parts[i] + "' is not a section");
                node = (ObjectNode) child;
                prefix.append(parts[i]).append('.');
            }
        }
    }

    private static JsonNode parseScalar(String raw) {
        try {
            JsonNode n = YAML.readTree(raw.isEmpty() ? "''" : raw);
            return n == null ? Json.MAPPER.getNodeFactory().textNode(raw) : n;
        } catch (IOException e) {
            return Json.MAPPER.getNodeFactory().textNode(raw);
        }
    }

    private static UserError unknownKey(String source, String path, ObjectNode where, String prefix) {
        String key = path.substring(path.lastIndexOf('.') + 1);
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (Iterator<String> it = where.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            int d = distance(key.toLowerCase(), k.toLowerCase());
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        String hint = best != null && bestD <= Math.max(2, key.length() / 3)
                ? "did you mean '" + prefix + best + "'?" : "known keys: " + fieldList(where);
        return new UserError(source + ": unknown key '" + path + "'; " + hint);
    }

    private static String fieldList(ObjectNode n) {
        List<String> keys = new ArrayList<>();
        n.fieldNames().forEachRemaining(keys::add);
        return String.join(", ", keys);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
