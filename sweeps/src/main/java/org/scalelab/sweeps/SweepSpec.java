package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.scalelab.datasets.UserError;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.List;

/**
 * A sweep spec as written: {@code name}, {@code base} (a run config), and the axes {@code grid}
 * (cartesian product), {@code zip} (lists varied together), {@code points} (explicit assignments),
 * {@code shapes} (a shape family at target sizes) and {@code lr} (the per-N learning-rate rule
 * {@code kaplan}, or a learning-rate search whose winner every run trains with: {@link LrSearch}). Keeps
 * the line of every key so that errors can name it. {@code transfer} turns the sizes into a transfer
 * study (pre-training, fine-tuning and from-scratch runs; see {@link Expansion}); {@code budgets} trains each
 * size at several token budgets, as cooldown branches of one run ({@link Budgets}); {@code converge} trains each
 * size until its validation loss stops improving ({@link Converge}).
 */
public final class SweepSpec {
    static final List<String> SECTIONS = List.of("name", "description", "base", "grid", "zip", "points", "shapes", "lr", "transfer", "budgets", "converge");

    final Path file;
    final String text;
    final JsonNode root;
    private final Map<String, Integer> lines = new HashMap<>();

    private SweepSpec(Path file, String text, JsonNode root) {
        this.file = file;
        this.text = text;
        this.root = root;
    }

    public static SweepSpec read(Path file) {
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no such sweep spec");
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")");
        }
        return parse(file, text);
    }

    static SweepSpec parse(Path file, String text) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .readTree(text);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var loc = e.getLocation();
            throw new UserError(file + (loc != null ? ":" + loc.getLineNr() : "") + ": not valid YAML: "
                    + e.getOriginalMessage().split("\n")[0]);
        }
        if (root == null || !root.isObject()) throw new UserError(file + ": a sweep spec is a mapping with base: and grid:/zip:/points:/shapes:");
        SweepSpec s = new SweepSpec(file, text, root);
        s.index(new Yaml().compose(new StringReader(text)), "");
        root.fieldNames().forEachRemaining(k -> {
            if (!SECTIONS.contains(k)) throw s.error(k, "unknown section '" + k + "'; a spec has " + String.join(", ", SECTIONS));
        });
        JsonNode name = root.get("name");
        if (name != null && (!name.isTextual() || !name.asText().matches("[A-Za-z0-9][A-Za-z0-9._-]*"))) {
            throw s.error("name", "name: '" + name.asText() + "' must be letters, digits, '.', '_' or '-' (it names the sweep's directory)");
        }
        return s;
    }

    private void index(Node n, String prefix) {
        if (n instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k) {
                    String path = prefix.isEmpty() ? k.getValue() : prefix + "/" + k.getValue();
                    lines.putIfAbsent(path, k.getStartMark().getLine() + 1);
                    index(t.getValueNode(), path);
                }
            }
        } else if (n instanceof SequenceNode sq) {
            for (int i = 0; i < sq.getValue().size(); i++) {
                String path = prefix + "/" + i;
                lines.putIfAbsent(path, sq.getValue().get(i).getStartMark().getLine() + 1);
                index(sq.getValue().get(i), path);
            }
        }
    }

    /** True when the spec has a key or list entry at this slash-separated path. */
    boolean hasLine(String path) {
        return lines.containsKey(path);
    }

    /** "spec.yaml:LINE: message" for the key at a slash-separated path (e.g. grid/model.nLayer). */
    UserError error(String path, String message) {
        Integer line = lines.get(path);
        while (line == null && path.contains("/")) {
            path = path.substring(0, path.lastIndexOf('/'));
            line = lines.get(path);
        }
        return new UserError(file + (line != null ? ":" + line : "") + ": " + message);
    }

    public String name() {
        String n = root.path("name").asText("");
        if (!n.isEmpty()) return n;
        String f = file.getFileName().toString();
        return f.replaceAll("\\.ya?ml$", "");
    }
}
