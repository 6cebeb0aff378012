package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run directory written by ScaleLab 0.1.0 before the model was rewritten into layers, interrupted after
 * step 3 of 6 ({@code src/test/resources/fixtures/run-0.1-step3}), and what that version wrote when it ran
 * the same config without interruption ({@code run-0.1-uninterrupted}: result.json, metrics.jsonl). Today's
 * code keeps the run's id, loads its checkpoint (weights and AdamW state, checksums and shapes verified) and
 * resumes it to the same losses: training loss and gradient norm of every logged step within 1e-6 relative,
 * validation losses within 1e-5 (evaluation now runs on the CPU engine, then on the one-hot graph).
 */
class PreviousVersionCheckpointTest {

    @Test
    void resumesToTheLossesThatVersionReached(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        copy(Path.of("src/test/resources/fixtures/run-0.1-step3"), run);
        Path ref = Path.of("src/test/resources/fixtures/run-0.1-uninterrupted");
        JsonNode spec = Json.MAPPER.readTree(run.resolve("spec.json").toFile());
        JsonNode old = Json.MAPPER.readTree(ref.resolve("result.json").toFile());
        RunConfig cfg = Specs.readConfig(run.resolve("spec.json"));
        assertEquals(spec.get("run_id").asText(), RunIds.of(cfg), "the run id of a config without variants");

        RunResult r = Trainer.train(Trainer.prepare(cfg), run, Trainer.Options.defaults());
        assertEquals("done", r.status());
        assertEquals(old.get("steps_done").asInt(), r.stepsDone());
        assertEquals(old.get("final_train_loss").asDouble(), r.finalTrainLoss(), 1e-6 * r.finalTrainLoss());
        assertEquals(old.get("final_val_loss").asDouble(), r.finalValLoss(), 1e-5 * r.finalValLoss());

        List<String> want = Files.readAllLines(ref.resolve("metrics.jsonl")), got = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(want.size(), got.size(), "metrics lines");
        for (int i = 0; i < want.size(); i++) {
            JsonNode a = Json.MAPPER.readTree(want.get(i)), b = Json.MAPPER.readTree(got.get(i));
            assertEquals(a.get("step").asInt(), b.get("step").asInt());
            for (String k : new String[]{"train_loss", "grad_norm", "val_loss"}) {
                if (a.path(k).isNumber()) {
                    double x = a.get(k).asDouble(), tol = (k.equals("val_loss") ? 1e-5 : 1e-6) * Math.abs(x);
                    assertEquals(x, b.path(k).asDouble(Double.NaN), tol, k + " at step " + a.get("step"));
                }
            }
        }
        assertTrue(r.finalValLoss() < Math.log(cfg.model().nVocab()), "the run trained: " + r.finalValLoss());
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}
