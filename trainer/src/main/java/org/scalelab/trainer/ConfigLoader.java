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
import java.util.Iterator;
import java.util.List;
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
        if (file != null) {
            JsonNode user = readYaml(file);
            if (user != null && !user.isNull() && !user.isMissingNode()) {
                if (!user.isObject()) throw new UserError(file + ": expected a mapping of sections (model:, data:, train:)");
                merge(tree, (ObjectNode) user, "", source);
            }
        }
        for (String o : overrides == null ? List.<String>of() : overrides) applySet(tree, o);
        return bind(tree, source);
    }

    /**
     * A config from a tree already read (e.g. a sweep spec's {@code base:}), overlaid by overrides;
     * {@code source} names where the tree came from in error messages.
     */
    public static RunConfig fromTree(JsonNode user, String source, List<String> overrides) {
        ObjectNode tree = Json.MAPPER.valueToTree(RunConfig.DEFAULT);
        if (user != null && !user.isNull() && !user.isMissingNode()) {
            if (!user.isObject()) throw new UserError(source + ": expected a mapping of sections (model:, data:, train:)");
            merge(tree, (ObjectNode) user, "", source);
        }
        for (String o : overrides == null ? List.<String>of() : overrides) applySet(tree, o);
        return bind(tree, source);
    }

    /** Binds a complete config tree (e.g. a spec.json's {@code config}) and validates it. */
    public static RunConfig bind(JsonNode tree, String source) {
        try {
            return YAML.treeToValue(tree, RunConfig.class);
        } catch (JsonMappingException e) {
            // a value a config type refused itself (e.g. model.norm: batchnorm) says what it wants already
            if (e.getCause() instanceof UserError u) throw new UserError(source + ": " + u.getMessage());
            String path = e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            String msg = e.getOriginalMessage();
            int cut = msg.indexOf('\n');
            if (cut > 0) msg = msg.substring(0, cut);
            throw new UserError(source + ": bad value for '" + path + "': " + msg);
        } catch (IOException e) {
            throw new UserError(source + ": " + e.getMessage());
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

    private static void merge(ObjectNode base, ObjectNode user, String prefix, String source) {
        for (Iterator<String> it = user.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            String path = prefix + key;
            JsonNode def = base.get(key);
            if (def == null) throw unknownKey(source, path, base, prefix);
            JsonNode val = user.get(key);
            if (def.isObject()) {
                if (!val.isObject()) throw new UserError(source + ": '" + path + "' must be a mapping of "
                        + fieldList((ObjectNode) def));
                merge((ObjectNode) def, (ObjectNode) val, path + ".", source);
            } else {
                base.set(key, val);
            }
        }
    }

    private static void applySet(ObjectNode tree, String assignment) {
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
