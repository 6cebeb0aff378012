package org.scalelab.scaling.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What a report reads from a sweep directory: the rows of {@code results.csv} and, per run, the
 * validation points and a thinned sample of the training steps of {@code runs/<id>/metrics.jsonl}.
 * Only plain files, no trainer classes.
 */
public final class SweepData {
    /** One validation point of a learning curve. */
    public record Point(long step, double tokens, double valLoss) {}

    /**
     * One logged training step; a field the line lacks (or holds as null) is NaN. {@code noiseScale} is the
     * gradient noise scale B_simple in tokens (metrics.jsonl's noise_scale; logged by runs with accumulation).
     */
    public record Step(long step, double tokens, double trainLoss, double lr, double gradNorm, double noiseScale) {}

    /**
     * One run: its results row, its learning curve (every validation point) and a sample of its training
     * steps: a few hundred of them at most however long the run, spread evenly in step and in log step.
     */
    public record Run(Map<String, String> row, List<Point> curve, List<Step> steps) {
        public Run(Map<String, String> row, List<Point> curve) {
            this(row, curve, List.of());
        }

        public String id() {
            return row.getOrDefault("run_id", "?");
        }

        public String status() {
            return row.getOrDefault("status", "");
        }

        public OptionalDouble num(String column) {
            String v = row.get(column);
            if (v == null || v.isBlank()) return OptionalDouble.empty();
            try {
                double d = Double.parseDouble(v);
                return Double.isFinite(d) ? OptionalDouble.of(d) : OptionalDouble.empty();
            } catch (NumberFormatException e) {
                return OptionalDouble.empty();
            }
        }

        /** The run's loss: best validation loss, else final validation loss. */
        public OptionalDouble loss() {
            OptionalDouble b = num("best_val_loss");
            return b.isPresent() ? b : num("final_val_loss");
        }
    }

    private final Path dir;
    private final List<String> columns;
    private final List<Run> runs;

    private SweepData(Path dir, List<String> columns, List<Run> runs) {
        this.dir = dir;
        this.columns = columns;
        this.runs = runs;
    }

    public Path dir() { return dir; }

    /** The runs for which {@code keep} holds, with the same directory and columns. */
    public SweepData filter(java.util.function.Predicate<Run> keep) {
        return new SweepData(dir, columns, runs.stream().filter(keep).toList());
    }

    public List<String> columns() { return columns; }

    public List<Run> runs() { return runs; }

    /** Runs whose status is done and that have a loss and N. */
    public List<Run> done() {
        return runs.stream().filter(r -> r.status().equals("done") && r.loss().isPresent() && r.num("N").isPresent()).toList();
    }

    /**
     * Finished runs grouped by their training compute C = 6·N·D, runs within 10% (in ln C) of a group's
     * first run sharing its group: the budgets of an IsoFLOP sweep.
     */
    public java.util.TreeMap<Double, List<Run>> byCompute() {
        java.util.TreeMap<Double, List<Run>> groups = new java.util.TreeMap<>();
        for (Run r : done()) {
            if (r.num("D").isEmpty()) continue;
            double c = 6 * r.num("N").getAsDouble() * r.num("D").getAsDouble();
            Double key = groups.keySet().stream().filter(k -> Math.abs(Math.log(k / c)) < 0.1).findFirst().orElse(c);
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    /** Reads {@code dir/results.csv} and each run's metrics.jsonl (missing curves are empty). */
    public static SweepData read(Path dir) {
        Path csv = dir.resolve("results.csv");
        if (!Files.isRegularFile(csv)) {
            throw new org.scalelab.scaling.ScalingError(csv + ": not found; run the sweep first (scalelab sweep run SPEC)");
        }
        List<String> columns = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = new CsvMapper()
                .readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader()).readValues(csv.toFile())) {
            while (it.hasNext()) {
                Map<String, String> row = new LinkedHashMap<>(it.next());
                if (columns.isEmpty()) columns.addAll(row.keySet());
                runs.add(readRun(row, dir.resolve("runs").resolve(row.getOrDefault("run_id", "")).resolve("metrics.jsonl")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(csv + ": cannot read", e);
        }
        return new SweepData(dir, columns, runs);
    }

    /** The run of a results row with its metrics.jsonl; a run without one has empty curves. */
    static Run readRun(Map<String, String> row, Path metrics) {
        List<Point> pts = new ArrayList<>();
        StepSample<Step> steps = new StepSample<>(Step::step);
        if (!Files.isRegularFile(metrics)) return new Run(row, pts, List.of());
        ObjectMapper om = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(metrics)) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = om.readTree(line);
                } catch (IOException torn) {
                    continue; // a line cut by a crash
                }
                long step = n.path("step").asLong();
                double tokens = n.path("tokens").isNumber() ? n.get("tokens").asDouble() : Double.NaN;
                JsonNode v = n.get("val_loss");
                if (v != null && v.isNumber()) pts.add(new Point(step, n.path("tokens").asDouble(), v.asDouble()));
                // fields other than these (time, elapsed_s, tokens_per_s_avg, ...) are not drawn
                Step s = new Step(step, tokens, numOrNaN(n, "train_loss"), numOrNaN(n, "lr"), numOrNaN(n, "grad_norm"),
                        numOrNaN(n, "noise_scale"));
                if (Double.isFinite(s.trainLoss()) || Double.isFinite(s.lr()) || Double.isFinite(s.gradNorm())
                        || Double.isFinite(s.noiseScale())) steps.add(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(metrics + ": cannot read", e);
        }
        return new Run(row, pts, steps.points());
    }

    private static double numOrNaN(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }
}
