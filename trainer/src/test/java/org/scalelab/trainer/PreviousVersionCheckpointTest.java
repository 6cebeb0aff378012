package org.scalelab.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run directory written by ScaleLab 0.1.0 before the model was rewritten into layers
 * ({@code src/test/resources/fixtures/run-0.1}: a 6-step run on the synthetic corpus, checkpoint at step 6):
 * its config keeps its run id, its checkpoint loads (weights and AdamW state, checksums and shapes
 * verified) into today's model, and evaluating it on the run's own validation windows gives the loss that
 * version recorded (within 1e-5: the same function, computed by another engine).
 */
class PreviousVersionCheckpointTest {

    @Test
    void loadsEvaluatesAndResumes(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        copy(Path.of("src/test/resources/fixtures/run-0.1"), run);
        JsonNode spec = Json.MAPPER.readTree(run.resolve("spec.json").toFile());
        JsonNode old = Json.MAPPER.readTree(run.resolve("result.json").toFile());
        RunConfig cfg = Specs.readConfig(run.resolve("spec.json"));
        assertEquals(spec.get("run_id").asText(), RunIds.of(cfg), "the run id of a config without variants");

        // resume: the same config, the checkpoint's weights and optimizer state; the run is complete
        RunResult r = Trainer.train(Trainer.prepare(cfg), run, Trainer.Options.defaults());
        assertEquals("done", r.status());
        assertEquals(old.get("steps_done").asInt(), r.stepsDone());
        assertEquals(old.get("final_val_loss").asDouble(), r.finalValLoss(), 1e-6);

        // the loaded weights evaluate to the recorded loss
        Trainer.Prepared prep = Trainer.prepare(cfg);
        var engine = Models.cpu(prep.config().model(), 0);
        Checkpoint.load(run.resolve("checkpoint"), engine.weights().byName(), null);
        TrainConfig tc = cfg.train();
        var val = prep.data().val();
        double loss = Trainer.evaluate(engine, val, Trainer.evalPositions(val, tc.evalBatches(), tc.micro(), cfg.model().nCtx(),
                new Rng(tc.seed() ^ Trainer.EVAL_SALT)), cfg.model().nCtx());
        assertEquals(old.get("final_val_loss").asDouble(), loss, 1e-5);
        // and those are the checkpoint's weights, not a fresh initialisation that would evaluate alike
        var fresh = Models.cpu(prep.config().model(), 0).weights().byName();
        double moved = 0;
        for (var e : engine.weights().byName().entrySet()) {
            moved = Math.max(moved, e.getValue().sub(fresh.get(e.getKey())).amaxNumber().doubleValue());
        }
        assertTrue(moved > 1e-3, "largest change from the initialisation " + moved);
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
