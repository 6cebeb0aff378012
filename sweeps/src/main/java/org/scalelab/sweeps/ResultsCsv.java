package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.RunConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code results.csv}: one row per run of the sweep, rebuilt from the run directories (result.json,
 * failure.json, the lock) every time, so it is never the only copy of anything and a crash while writing
 * it loses nothing. Written atomically; workers sharing a directory rebuild it one at a time, so the
 * last rebuild, which saw every finished run, is the one that stays.
 *
 * <p>Columns: {@code run_id, status}, the coordinates the spec's axes set (config keys such as
 * {@code model.nLayer}, and {@code family, target_N} for shape families), every number of result.json,
 * the resolved shape and training settings, and {@code failure} (why a run failed).
 */
public final class ResultsCsv {
    static final List<String> RESULT_FIELDS = List.of("N", "N_total", "N_kaplan", "D", "C", "C_attn", "C_unembed", "pf_days",
            "tokens_per_step", "steps_done", "unique_tokens", "epochs", "final_train_loss", "final_val_loss",
            "best_val_loss", "best_step", "best_val_bits_per_token", "loss_floor", "loss_floor_ctx", "wall_s", "tokens_per_s", "stop_reason");
    static final List<String> CONFIG_FIELDS = List.of("n_layer", "d_model", "n_head", "d_ff", "n_ctx", "n_vocab",
            "batch_size", "lr", "steps", "seed", "corpus", "data_tokens");

    private static final ReentrantLock IN_JVM = new ReentrantLock();

    private ResultsCsv() {}

    /** The status of a run directory: done, diverged, failed, interrupted, running (locked) or pending. */
    static String status(Path runDir, long lockTimeoutMs) {
        JsonNode r = Json.readOrNull(runDir.resolve("result.json"));
        if (r != null && !r.path("status").asText().equals("interrupted")) return r.path("status").asText();
        if (Files.exists(runDir.resolve("failure.json"))) return "failed";
        if (Locks.isHeld(runDir, lockTimeoutMs)) return "running";
        return r != null || Files.exists(runDir.resolve("checkpoint")) ? "interrupted" : "pending";
    }

    public static void rebuild(Path sweepDir, List<Expansion.Point> points, long lockTimeoutMs) {
        IN_JVM.lock();
        try {
            Files.createDirectories(sweepDir);
            try (FileChannel ch = FileChannel.open(sweepDir.resolve(".results.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock held = lockOrNull(ch)) {
                removeStaleTemporaries(sweepDir, held != null);
                Files2.writeAtomic(sweepDir.resolve("results.csv"), table(sweepDir, points, lockTimeoutMs));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + sweepDir.resolve("results.csv"), e);
        } finally {
            IN_JVM.unlock();
        }
    }

    /**
     * Deletes the temporary files of results.csv that a worker killed while writing it left behind. Under
     * the lock every one of them is stale (writers hold it); without a lock, only those older than an hour.
     */
    static void removeStaleTemporaries(Path sweepDir, boolean locked) throws IOException {
        long cutoff = System.currentTimeMillis() - 3_600_000;
        try (var s = Files.newDirectoryStream(sweepDir, ".results.csv.*.tmp")) {
            for (Path f : s) {
                try {
                    if (locked || Files.getLastModifiedTime(f).toMillis() < cutoff) Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // gone already, or not ours to delete: it is never read
                }
            }
        }
    }

    /** An exclusive lock across processes where the file system supports one; else none (writes stay atomic). */
    private static FileLock lockOrNull(FileChannel ch) {
        try {
            return ch.lock();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    static String table(Path sweepDir, List<Expansion.Point> points, long lockTimeoutMs) {
        Set<String> coordCols = new LinkedHashSet<>();
        for (Expansion.Point p : points) coordCols.addAll(p.coords().keySet());
        List<String> header = new ArrayList<>(List.of("run_id", "status"));
        header.addAll(coordCols);
        header.addAll(RESULT_FIELDS);
        header.addAll(CONFIG_FIELDS);
        header.add("failure");
        StringBuilder sb = new StringBuilder(String.join(",", header.stream().map(ResultsCsv::csv).toList())).append('\n');
        for (Expansion.Point p : points) {
            Path dir = sweepDir.resolve("runs").resolve(p.runId());
            JsonNode r = Json.readOrNull(dir.resolve("result.json"));
            JsonNode f = Json.readOrNull(dir.resolve("failure.json"));
            JsonNode spec = Json.readOrNull(dir.resolve("spec.json"));
            RunConfig c = p.config();
            int vocab = spec != null ? spec.path("config").path("model").path("nVocab").asInt(c.model().nVocab()) : c.model().nVocab();
            List<String> row = new ArrayList<>();
            row.add(p.runId());
            row.add(status(dir, lockTimeoutMs));
            for (String col : coordCols) row.add(p.coords().getOrDefault(col, ""));
            Accounting a = Accounting.of(c.model().withVocab(Math.max(1, vocab)));
            for (String k : RESULT_FIELDS) {
                JsonNode v = r == null ? null : r.get(k);
                if (v != null && !v.isNull()) {
                    row.add(v.asText());
                } else if (k.equals("N")) {           // known before training: plans and pending rows use it
                    row.add(Long.toString(a.nonEmbedding()));
                } else if (k.equals("N_kaplan")) {
                    row.add(Long.toString(a.kaplanApprox()));
                } else if (k.equals("N_total") && vocab > 0) {
                    row.add(Long.toString(a.total()));
                } else {
                    row.add("");
                }
            }
            row.addAll(List.of(Integer.toString(c.model().nLayer()), Integer.toString(c.model().dModel()),
                    Integer.toString(c.model().nHead()), Integer.toString(c.model().ff()), Integer.toString(c.model().nCtx()),
                    vocab > 0 ? Integer.toString(vocab) : "", Integer.toString(c.train().batchSize()),
                    String.format(Locale.ROOT, "%.6g", c.train().lr()), Integer.toString(c.train().steps()),
                    Long.toString(c.train().seed()), String.valueOf(c.data().corpus()), Long.toString(c.data().tokens())));
            row.add(f == null ? "" : f.path("reason").asText());
            sb.append(String.join(",", row.stream().map(ResultsCsv::csv).toList())).append('\n');
        }
        return sb.toString();
    }

    /** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
    static String csv(String v) {
        if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) return "\"" + v.replace("\"", "\"\"") + "\"";
        return v;
    }

    /** Parses CSV text written by {@link #table} (RFC 4180 quoting) into rows of fields. */
    static List<List<String>> parse(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    f.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                row.add(f.toString());
                f.setLength(0);
            } else if (ch == '\n') {
                row.add(f.toString());
                f.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else if (ch != '\r') {
                f.append(ch);
            }
        }
        if (f.length() > 0 || !row.isEmpty()) {
            row.add(f.toString());
            rows.add(row);
        }
        return rows;
    }
}
