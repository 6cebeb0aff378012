package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run started from another run's weights begins where the parent ended and records its lineage. */
class InitFromRunTest {

    private static List<String> cfg(Path corpus, String... extra) {
        List<String> o = new ArrayList<>(List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16",
                "model.nHead=2", "model.nCtx=8", "train.batchSize=4", "train.lr=3e-3", "train.warmupSteps=0",
                "train.evalEvery=10", "train.evalBatches=2", "train.checkpointEvery=0"));
        o.addAll(List.of(extra));
        return o;
    }

    @Test
    void childStartsFromParentWeights(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path parent = tmp.resolve("parent"), child = tmp.resolve("child");
        RunResult p = Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=30"))), parent,
                Trainer.Options.defaults());
        // Same corpus and eval seed: the child's evaluation at step 0 sees the parent's final weights.
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=5", "train.init=" + parent))),
                child, Trainer.Options.defaults());
        var first = Json.MAPPER.readTree(Files.readAllLines(child.resolve("metrics.jsonl")).get(0));
        assertEquals(0, first.get("step").asInt());
        assertEquals(p.finalValLoss(), first.get("val_loss").asDouble(), 1e-6);
        var parentFirst = Json.MAPPER.readTree(Files.readAllLines(parent.resolve("metrics.jsonl")).get(0));
        assertTrue(first.get("val_loss").asDouble() < parentFirst.get("val_loss").asDouble() - 0.1,
                "child starts below a random initialisation: " + first + " vs " + parentFirst);
        var lineage = Json.MAPPER.readTree(child.resolve("spec.json").toFile()).get("lineage");
        assertEquals(p.runId(), lineage.get("parent_run_id").asText());
        assertEquals(30, lineage.get("parent_step").asInt());
    }

    @Test
    void parentOfAnotherShapeIsRefused(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path parent = tmp.resolve("parent");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=2"))), parent, Trainer.Options.defaults());
        var prep = Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=2", "model.dModel=32", "train.init=" + parent)));
        UserError e = assertThrows(UserError.class, () -> Trainer.train(prep, tmp.resolve("child"), Trainer.Options.defaults()));
        assertTrue(e.getMessage().contains("train.init") && e.getMessage().contains("dModel=16"), e.getMessage());
    }
}
