package org.scalelab.scaling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A table of runs to fit: the rows of a CSV whose {@code status} is {@code done} (every row when there is
 * no status column) and, for a sweep directory, each run's learning curve from
 * {@code runs/<run_id>/metrics.jsonl}. Rows with another status (failed, diverged, running, …) and the
 * candidates of a learning-rate search (phase lr-search) and the undecayed main runs of cooldown branches
 * (phase main) are counted in {@link #otherStatuses} and never fitted.
 */
public final class Table {
    /** One validation point of a learning curve: the step, the tokens trained so far and the loss (nats/token). */
    public record Point(long step, double tokens, double valLoss) {}

    /** One finished run: its CSV line (header = line 1), its cells, and its learning curve (empty without one). */
    public record Run(int line, Map<String, String> row, List<Point> curve) {
        public String id() {
            return row.getOrDefault("run_id", "");
        }
    }

    private final Path source, sweepDir;
    private final List<String> columns;
    private final List<Run> runs;
    private final Map<String, Integer> otherStatuses;

    private Table(Path source, Path sweepDir, List<String> columns, List<Run> runs, Map<String, Integer> otherStatuses) {
        this.source = source;
        this.sweepDir = sweepDir;
        this.columns = List.copyOf(columns);
        this.runs = List.copyOf(runs);
        this.otherStatuses = java.util.Collections.unmodifiableMap(new TreeMap<>(otherStatuses));
    }

    /** A sweep directory: {@code results.csv} plus the learning curves of its finished runs. */
    public static Table sweep(Path dir) {
        if (!Files.isDirectory(dir)) throw new ScalingError(dir + ": no such sweep directory");
        Path csv = dir.resolve("results.csv");
        if (!Files.isRegularFile(csv)) throw new ScalingError(csv + ": not found; run the sweep first (scalelab sweep run SPEC) or pass --csv FILE");
        return read(csv, dir);
    }

    /** Any CSV table with a header row; no learning curves. */
    public static Table csv(Path file) {
        if (!Files.isRegularFile(file)) throw new ScalingError(file + ": no such file; give a CSV table with a header row");
        return read(file, null);
    }

    /** A table built in memory (for callers that hold rows already); line numbers count from 2. */
    public static Table of(String name, List<String> columns, List<Map<String, String>> rows) {
        List<Run> runs = new ArrayList<>();
        Map<String, Integer> other = new TreeMap<>();
        for (int i = 0; i < rows.size(); i++) keep(rows.get(i), i + 2, null, runs, other);
        return new Table(Path.of(name), null, columns, runs, other);
    }

    private static Table read(Path file, Path sweepDir) {
        try {
            if (Files.size(file) == 0) throw new ScalingError(file + ": empty file; a table needs a header row and one row per run");
        } catch (IOException e) {
            throw new ScalingError(file + ": cannot read (" + e.getMessage() + ")");
        }
        List<String> cols = new ArrayList<>();
        List<Run> runs = new ArrayList<>();
        Map<String, Integer> other = new TreeMap<>();
        try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
            int line = 1;
            while (it.hasNext()) {
                Map<String, String> row = new LinkedHashMap<>(it.next());
                line++;
                keep(row, line, sweepDir, runs, other);
            }
            CsvSchema schema = ((CsvParser) it.getParser()).getSchema();
            for (CsvSchema.Column c : schema) cols.add(c.getName());
        } catch (IOException | RuntimeException e) {
            if (e instanceof ScalingError s) throw s;
            throw new ScalingError(file + ": not a readable CSV table (" + String.valueOf(e.getMessage()).split("\n")[0] + ")");
        }
        if (cols.isEmpty()) throw new ScalingError(file + ": empty file; a table needs a header row and one row per run");
        return new Table(file, sweepDir, cols, runs, other);
    }

    private static void keep(Map<String, String> row, int line, Path sweepDir, List<Run> runs, Map<String, Integer> other) {
        String status = row.get("status");
        if (status != null && !status.trim().equals("done")) {
            other.merge(status.isBlank() ? "(blank)" : status.trim(), 1, Integer::sum);
            return;
        }
        // the candidates of a sweep's learning-rate search tune its runs (most at a poor lr): not points of a law
        if ("lr-search".equals(row.getOrDefault("phase", "").trim())) {
            other.merge("lr-search candidates", 1, Integer::sum);
            return;
        }
        // the constant-learning-rate main runs of a budgets sweep never decay; their cooldown branches are the points
        if ("main".equals(row.getOrDefault("phase", "").trim())) {
            other.merge("main runs of cooldown branches", 1, Integer::sum);
            return;
        }
        List<Point> curve = sweepDir == null ? List.of()
                : readCurve(sweepDir.resolve("runs").resolve(row.getOrDefault("run_id", "")).resolve("metrics.jsonl"));
        runs.add(new Run(line, row, curve));
    }

    /**
     * The validation points of a metrics.jsonl (lines with a numeric {@code val_loss}); a line cut short by
     * a crash is skipped, a non-positive loss is an error.
     */
    static List<Point> readCurve(Path metrics) {
        List<Point> pts = new ArrayList<>();
        if (!Files.isRegularFile(metrics)) return pts;
        ObjectMapper om = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(metrics)) {
            int line = 0;
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                JsonNode n;
                try {
                    n = om.readTree(s);
                } catch (IOException torn) {
                    continue;
                }
                JsonNode v = n.get("val_loss");
                if (v == null || !v.isNumber()) continue;
                if (!(v.asDouble() > 0)) {
                    throw new ScalingError(metrics + ", line " + line + ": val_loss is " + v.asDouble() + "; losses must be positive (fix or delete the line)");
                }
                pts.add(new Point(n.path("step").asLong(), n.path("tokens").asDouble(), v.asDouble()));
            }
        } catch (IOException e) {
            throw new ScalingError(metrics + ": cannot read (" + e.getMessage() + ")");
        }
        return pts;
    }

    /** The CSV file (or the in-memory table's name). */
    public Path source() { return source; }

    /** The sweep directory, or null for a plain CSV. */
    public Path sweepDir() { return sweepDir; }

    public List<String> columns() { return columns; }

    /** The finished runs, in file order. */
    public List<Run> runs() { return runs; }

    /** Rows not fitted, counted by their status. */
    public Map<String, Integer> otherStatuses() { return otherStatuses; }

    public int size() { return runs.size(); }

    public boolean has(String column) {
        return column != null && columns.contains(column);
    }

    /** Whether any finished run has a learning curve with two or more validation points. */
    public boolean hasCurves() {
        return runs.stream().anyMatch(r -> r.curve().size() >= 2);
    }

    /** "results.csv, line 7 (run r12)": where row {@code i} is, for messages. */
    public String label(int i) {
        Run r = runs.get(i);
        return "line " + r.line() + (r.id().isEmpty() ? "" : " (run " + r.id() + ")");
    }

    /** The column's values as numbers; a blank cell is NaN, text is an error naming the cell. */
    public double[] numbers(String column) {
        if (!has(column)) throw new ScalingError(source + ": no column '" + column + "'; the columns are " + columns);
        double[] v = new double[runs.size()];
        for (int i = 0; i < v.length; i++) {
            String s = runs.get(i).row().get(column);
            try {
                v[i] = s == null || s.isBlank() ? Double.NaN : Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new ScalingError(source + ", " + label(i) + ": column '" + column + "' holds '" + s + "', not a number");
            }
        }
        return v;
    }
}
