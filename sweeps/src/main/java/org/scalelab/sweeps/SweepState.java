package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.Json;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A sweep directory read back: each run's status, its last logged step and loss, and from the finished
 * runs a time model for the ETA of the rest. Everything comes from the run directories, never from
 * results.csv.
 */
final class SweepState {
    static final List<String> STATUSES = List.of("done", "running", "interrupted", "pending", "diverged", "failed");

    private SweepState() {}

    /**
     * @param step      last logged step (0 when nothing is logged)
     * @param trainLoss last logged train loss, NaN when none
     * @param tokensPerS last logged throughput, NaN when none
     * @param vocab     the run's vocabulary when known (spec.json, synthetic settings), else a guess
     */
    record Run(Expansion.Point point, Path dir, String status, JsonNode result, JsonNode failure,
               long step, double trainLoss, double tokensPerS, int vocab) {
        double tokens() {
            var t = point.config().train();
            return (double) t.steps() * t.batchSize() * point.config().model().nCtx();
        }

        double flopsPerToken() {
            return TimeModel.flopsPerToken(point.config().model(), vocab);
        }

        /** Fraction of the run's steps still to train. */
        double left() {
            return switch (status) {
                case "done", "diverged", "failed" -> 0;
                default -> 1 - Math.min(1, step / (double) point.config().train().steps());
            };
        }
    }

    static List<Run> scan(Path sweepDir, List<Expansion.Point> points, long lockTimeoutMs) {
        List<Run> out = new ArrayList<>();
        for (Expansion.Point p : points) out.add(read(sweepDir.resolve("runs").resolve(p.runId()), p, lockTimeoutMs));
        return out;
    }

    /** One run directory read back; a lock left in a done run (a kill after its result) is removed on the way. */
    static Run read(Path dir, Expansion.Point p, long lockTimeoutMs) {
        Locks.removeIfDone(dir);
        String status = ResultsCsv.status(dir, lockTimeoutMs);
        JsonNode last = lastMetrics(dir.resolve("metrics.jsonl"));
        JsonNode spec = Json.readOrNull(dir.resolve("spec.json"));
        int vocab = spec != null ? spec.path("data").path("vocab_size").asInt(0) : 0;
        if (vocab == 0 && p.config().model().nVocab() > 0) vocab = p.config().model().nVocab();
        if (vocab == 0) {
            try {
                vocab = Corpora.quick(p.config().data()).vocab();
            } catch (RuntimeException e) {
                vocab = 0;
            }
        }
        if (vocab == 0) vocab = TimeModel.VOCAB_GUESS;
        return new Run(p, dir, status, Json.readOrNull(dir.resolve("result.json")), Json.readOrNull(dir.resolve("failure.json")),
                last == null ? 0 : last.path("step").asLong(), last == null ? Double.NaN : last.path("train_loss").asDouble(Double.NaN),
                last == null ? Double.NaN : last.path("tokens_per_s").asDouble(Double.NaN), vocab);
    }

    /** The last complete line of a metrics.jsonl, reading only its end. */
    static JsonNode lastMetrics(Path f) {
        if (!Files.isRegularFile(f)) return null;
        try (RandomAccessFile r = new RandomAccessFile(f.toFile(), "r")) {
            long len = r.length();
            int n = (int) Math.min(len, 8192);
            byte[] buf = new byte[n];
            r.seek(len - n);
            r.readFully(buf);
            String[] lines = new String(buf, StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                try {
                    JsonNode j = Json.MAPPER.readTree(lines[i]);
                    if (j != null && j.has("step")) return j;
                } catch (IOException torn) {
                    // a line cut by the read window or by a crash: try the one before
                }
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    static Map<String, Integer> counts(List<Run> runs) {
        Map<String, Integer> c = new LinkedHashMap<>();
        for (String k : STATUSES) c.put(k, 0);
        for (Run r : runs) c.merge(r.status(), 1, Integer::sum);
        return c;
    }

    /** "3 done, 1 running, 4 pending" (statuses with no runs left out). */
    static String summary(Map<String, Integer> counts) {
        List<String> parts = new ArrayList<>();
        counts.forEach((k, v) -> {
            if (v > 0) parts.add(v + " " + k);
        });
        return parts.isEmpty() ? "no runs" : String.join(", ", parts);
    }

    /** The default time model refitted to this sweep's finished runs. */
    static TimeModel model(List<Run> runs) {
        List<TimeModel.Sample> samples = new ArrayList<>();
        for (Run r : runs) {
            if (!"done".equals(r.status()) || r.result() == null) continue;
            samples.add(new TimeModel.Sample(r.result().path("D").asDouble(), r.point().config().model().nLayer(),
                    r.flopsPerToken(), r.result().path("wall_s").asDouble()));
        }
        return TimeModel.defaults().calibrate(samples);
    }

    /** Seconds of work left in these runs for one worker (startup included for runs not yet started). */
    static double remainingSeconds(List<Run> runs, TimeModel m) {
        double s = 0;
        for (Run r : runs) {
            double left = r.left();
            if (left <= 0) continue;
            double train = m.trainSeconds(r.tokens(), r.point().config().model().nLayer(), r.flopsPerToken());
            s += left * train + ("running".equals(r.status()) ? 0 : m.startupS());
        }
        return s;
    }
}
