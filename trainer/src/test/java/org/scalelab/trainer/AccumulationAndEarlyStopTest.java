package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccumulationAndEarlyStopTest {

    private static List<String> base(Path corpus) {
        return new ArrayList<>(List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=32", "model.nHead=2",
                "model.nCtx=16", "train.batchSize=8", "train.lr=3e-3", "train.warmupSteps=2", "train.logEvery=1",
                "train.evalBatches=2", "train.checkpointEvery=0"));
    }

    /** Batch 8 in one pass and batch 8 as 4 micro-batches of 2 see the same windows and take the same steps. */
    @Test
    void microBatchesGiveTheSameStepsAsOneBatch(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 10_000);
        List<String> one = base(corpus), four = base(corpus);
        one.add("train.steps=6");
        four.add("train.steps=6");
        four.add("train.microBatch=2");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, one)), tmp.resolve("one"), Trainer.Options.defaults());
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, four)), tmp.resolve("four"), Trainer.Options.defaults());
        List<JsonNode> a = metrics(tmp.resolve("one")), b = metrics(tmp.resolve("four"));
        assertEquals(a.size(), b.size());
        for (int i = 1; i < a.size(); i++) {
            // float32 sums in a different order: equal to ~1e-6 relative, checked at 1e-4
            assertEquals(a.get(i).get("train_loss").asDouble(), b.get(i).get("train_loss").asDouble(), 1e-4, "step " + i);
            assertEquals(a.get(i).get("grad_norm").asDouble(), b.get(i).get("grad_norm").asDouble(),
                    1e-3 * a.get(i).get("grad_norm").asDouble(), "step " + i);
        }
    }

    /** With a constant learning rate far too small to help, val loss stalls and patience 2 ends the run early. */
    @Test
    void earlyStoppingStopsAfterPatienceEvaluations(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 10_000);
        List<String> o = base(corpus);
        o.addAll(List.of("train.steps=400", "train.lr=1e-12", "train.schedule=constant", "train.evalEvery=2",
                "train.earlyStopPatience=2"));
        RunResult r = Trainer.train(Trainer.prepare(ConfigLoader.load(null, o)), tmp.resolve("run"), Trainer.Options.defaults());
        assertEquals("done", r.status());
        assertEquals("early_stop", r.stopReason());
        assertTrue(r.stepsDone() < 400, "steps " + r.stepsDone());
        assertTrue(r.stepsDone() >= r.bestStep() + 4, "stopped two evaluations after the best");
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(Json.MAPPER.readTree(line));
        return out;
    }
}
