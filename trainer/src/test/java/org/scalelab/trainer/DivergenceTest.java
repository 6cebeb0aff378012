package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DivergenceTest {

    @Test
    void nonFiniteLossEndsTheRunAsDivergedWithLastGoodNumbers(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        // An absurd learning rate: Adam moves each weight by ~lr, products of such weights overflow float.
        RunConfig cfg = ConfigLoader.load(null, List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16",
                "model.nHead=2", "model.nCtx=8", "train.steps=200", "train.batchSize=4", "train.lr=1e30",
                "train.warmupSteps=0", "train.schedule=constant", "train.gradClip=0", "train.weightDecay=0",
                "train.logEvery=1", "train.evalEvery=1000"));
        RunResult r = Trainer.train(Trainer.prepare(cfg), tmp.resolve("run"), Trainer.Options.defaults());
        assertEquals("diverged", r.status());
        assertTrue(r.stepsDone() < 200, "stopped at " + r.stepsDone());
        assertNotNull(r.finalTrainLoss(), "last good train loss kept");
        assertTrue(Double.isFinite(r.finalTrainLoss()));
        var saved = Json.MAPPER.readTree(tmp.resolve("run/result.json").toFile());
        assertEquals("diverged", saved.get("status").asText());
        assertEquals(r.stepsDone(), saved.get("steps_done").asInt());
        // every logged loss is a number: the bad step is not logged
        for (String line : Files.readAllLines(tmp.resolve("run/metrics.jsonl"))) {
            var n = Json.MAPPER.readTree(line);
            if (n.get("step").asInt() > 0) assertTrue(Double.isFinite(n.get("train_loss").asDouble()), line);
        }
    }
}
