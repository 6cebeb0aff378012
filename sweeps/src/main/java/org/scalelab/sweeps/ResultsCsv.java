package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.trainer.Accounting;
import org.scalelab.trainer.RunConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code results.csv}: one row per run of the sweep, rebuilt from the run directories (result.json,
 * failure.json) every time, so it is never the only copy of anything and a crash while writing it
 * loses nothing. Written atomically.
 */
public final class ResultsCsv {
    static final List<String> RESULT_FIELDS = List.of("N", "N_total", "N_kaplan", "D", "C", "C_attn", "C_unembed",
            "tokens_per_step", "steps_done", "unique_tokens", "epochs", "final_train_loss", "final_val_loss",
            "best_val_loss", "best_step", "loss_floor", "wall_s", "tokens_per_s", "stop_reason");
    static final List<String> CONFIG_FIELDS = List.of("n_layer", "d_model", "n_head", "d_ff", "n_ctx", "n_vocab",
            "batch_size", "lr", "steps", "seed", "corpus");

    private ResultsCsv() {}

    /** The status of a run directory: done, diverged, failed, interrupted, running (locked) or pending. */
    static String status(Path runDir, long lockTimeoutMs) {
        JsonNode r = readJson(runDir.resolve("result.json"));
        if (r != null && !r.path("status").asText().equals("interrupted")) return r.path("status").asText();
        if (Files.exists(runDir.resolve("failure.json"))) return "failed";
        if (Locks.isHeld(runDir, lockTimeoutMs)) return "running";
        return r != null ? "interrupted" : "pending";
    }

    /** A run file such as result.json, or null when it is missing or unreadable (a crash mid-write). */
    public static JsonNode readJson(Path f) {
        if (!Files.isRegularFile(f)) return null;
        try {
            return Json.MAPPER.readTree(f.toFile());
        } catch (IOException e) {
            return null;
        }
    }

    public static void rebuild(Path sweepDir, List<Expansion.Point> points, long lockTimeoutMs) {
        Set<String> coordCols = new LinkedHashSet<>();
        for (Expansion.Point p : points) coordCols.addAll(p.coords().keySet());
        List<String> header = new ArrayList<>(List.of("run_id", "status"));
        header.addAll(coordCols);
        header.addAll(RESULT_FIELDS);
        header.addAll(CONFIG_FIELDS);
        header.add("failure");
        StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
        for (Expansion.Point p : points) {
            Path dir = sweepDir.resolve("runs").resolve(p.runId());
            JsonNode r = readJson(dir.resolve("result.json"));
            JsonNode f = readJson(dir.resolve("failure.json"));
            List<String> row = new ArrayList<>();
            row.add(p.runId());
            row.add(status(dir, lockTimeoutMs));
            for (String c : coordCols) row.add(p.coords().getOrDefault(c, ""));
            for (String k : RESULT_FIELDS) {
                JsonNode v = r == null ? null : r.get(k);
                if ((v == null || v.isNull()) && (k.equals("N") || k.equals("N_total") || k.equals("N_kaplan"))) {
                    // known before training: useful for plans and for pending rows
                    Accounting a = Accounting.of(p.config().model().withVocab(Math.max(1, p.config().model().nVocab())));
                    row.add(Long.toString(k.equals("N") ? a.nonEmbedding() : k.equals("N_total") ? a.total() : a.kaplanApprox()));
                } else {
                    row.add(v == null || v.isNull() ? "" : v.asText());
                }
            }
            RunConfig c = p.config();
            JsonNode spec = readJson(dir.resolve("spec.json"));
            int vocab = spec != null ? spec.path("config").path("model").path("nVocab").asInt(c.model().nVocab()) : c.model().nVocab();
            row.addAll(List.of(Integer.toString(c.model().nLayer()), Integer.toString(c.model().dModel()),
                    Integer.toString(c.model().nHead()), Integer.toString(c.model().ff()), Integer.toString(c.model().nCtx()),
                    Integer.toString(vocab), Integer.toString(c.train().batchSize()),
                    String.format(Locale.ROOT, "%.6g", c.train().lr()), Integer.toString(c.train().steps()),
                    Long.toString(c.train().seed()), String.valueOf(c.data().corpus())));
            row.add(f == null ? "" : f.path("reason").asText());
            sb.append(String.join(",", row.stream().map(ResultsCsv::csv).toList())).append('\n');
        }
        Files2.writeAtomic(sweepDir.resolve("results.csv"), sb.toString());
    }

    static String csv(String v) {
        if (v.contains(",") || v.contains("\"") || v.contains("\n")) return "\"" + v.replace("\"", "\"\"") + "\"";
        return v;
    }

}
