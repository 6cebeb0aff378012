package org.scalelab.scaling.fit;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import org.scalelab.scaling.ScalingError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A table of runs read from CSV: one map per row, only rows whose {@code status} is done when there is one. */
public record ResultsTable(Path file, List<String> columns, List<Map<String, String>> rows) {

    public static ResultsTable read(Path file) {
        if (!Files.isRegularFile(file)) throw new ScalingError(file + ": no such file");
        List<Map<String, String>> rows = new ArrayList<>();
        List<String> cols = new ArrayList<>();
        try (MappingIterator<Map<String, String>> it = new CsvMapper().readerForMapOf(String.class)
                .with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile())) {
            while (it.hasNext()) {
                Map<String, String> r = new LinkedHashMap<>(it.next());
                if (cols.isEmpty()) cols.addAll(r.keySet());
                if (!r.containsKey("status") || "done".equals(r.get("status"))) rows.add(r);
            }
        } catch (IOException | RuntimeException e) {
            throw new ScalingError(file + ": not a readable CSV table (" + e.getMessage().split("\n")[0] + ")");
        }
        if (cols.isEmpty()) throw new ScalingError(file + ": empty table; it needs a header and one row per run");
        return new ResultsTable(file, cols, rows);
    }

    public boolean has(String column) {
        return columns.contains(column);
    }

    /** The column's values as numbers; a missing or non-numeric cell is NaN. */
    public double[] numbers(String column) {
        if (!has(column)) throw new ScalingError(file + ": no column '" + column + "'; columns are " + columns);
        double[] v = new double[rows.size()];
        for (int i = 0; i < v.length; i++) {
            String s = rows.get(i).get(column);
            try {
                v[i] = s == null || s.isBlank() ? Double.NaN : Double.parseDouble(s.trim());
            } catch (NumberFormatException e) {
                throw new ScalingError(file + ": row " + (i + 2) + ", column '" + column + "' is '" + s + "', not a number");
            }
        }
        return v;
    }
}
