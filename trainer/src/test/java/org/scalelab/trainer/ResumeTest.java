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
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 20 uninterrupted steps equal 10 steps, a checkpoint, a fresh process state loading it, and 10 more:
 * the logged losses, gradient norms, validation losses and gradient noise scales, and every final weight, within
 * 1e-6. Dropout and gradient accumulation are on, so their RNG and buffers, and the noise scale's moving
 * averages kept in the checkpoint, are part of what is checked.
 */
class ResumeTest {

    @Test
    void resumedRunEqualsUninterruptedRun(@TempDir Path tmp) throws IOException {
        resumeEqualsUninterrupted(tmp, List.of());
    }

    /** The parameterizations change the update (per-tensor learning rates, ε) and the forward, not resumption. */
    @Test
    void resumedCompletePRunEqualsUninterruptedRun(@TempDir Path tmp) throws IOException {
        resumeEqualsUninterrupted(tmp, List.of("model.parameterization=completep", "model.baseWidth=16", "model.baseDepth=1"));
    }

    private static void resumeEqualsUninterrupted(Path tmp, List<String> extra) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 20_000);
        List<String> sets = new ArrayList<>(List.of(
                "data.corpus=" + corpus, "model.nLayer=2", "model.dModel=32", "model.nHead=2", "model.nCtx=16",
                "model.dropout=0.1", "train.steps=20", "train.batchSize=8", "train.microBatch=4",
                "train.warmupSteps=3", "train.lr=3e-3", "train.evalEvery=5", "train.evalBatches=2",
                "train.logEvery=1", "train.checkpointEvery=0"));
        sets.addAll(extra);
        RunConfig cfg = ConfigLoader.load(null, sets);
        Trainer.Prepared prep = Trainer.prepare(cfg);

        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        RunResult whole = Trainer.train(prep, a, Trainer.Options.defaults());
        assertEquals("done", whole.status());

        RunResult half = Trainer.train(prep, b, new Trainer.Options(true, Progress.silent(), new AtomicBoolean(), 10));
        assertEquals("interrupted", half.status());
        assertEquals(10, half.stepsDone());
        RunResult rest = Trainer.train(Trainer.prepare(cfg), b, Trainer.Options.defaults());
        assertEquals("done", rest.status());
        assertEquals(20, rest.stepsDone());

        List<JsonNode> ma = metrics(a), mb = metrics(b);
        assertEquals(ma.size(), mb.size(), "metrics lines");
        for (int i = 0; i < ma.size(); i++) {
            for (String k : new String[]{"step", "tokens", "train_loss", "lr", "grad_norm", "val_loss", "noise_scale"}) {
                JsonNode x = ma.get(i).get(k), y = mb.get(i).get(k);
                assertEquals(x == null || x.isNull(), y == null || y.isNull(), k + " at line " + i);
                if (x != null && !x.isNull()) assertEquals(x.asDouble(), y.asDouble(), 1e-6, k + " at line " + i);
            }
        }
        assertTrue(mb.get(mb.size() - 1).path("noise_scale").isNumber() && mb.get(11).path("noise_scale").isNumber(),
                "the noise scale is measured after the resume too: " + mb.get(11));
        // the clock fields: UTC ISO-8601 time and elapsed seconds never go back, across the resume too;
        // the interval rate and the session average are positive after step 0
        java.time.Instant prevTime = java.time.Instant.EPOCH;
        double prevElapsed = 0;
        for (JsonNode m : mb) {
            java.time.Instant t = java.time.Instant.parse(m.path("time").asText());
            assertTrue(m.path("time").asText().endsWith("Z") && !t.isBefore(prevTime), "time " + m.path("time"));
            assertTrue(m.path("elapsed_s").asDouble() >= prevElapsed, "elapsed_s " + m);
            prevTime = t;
            prevElapsed = m.path("elapsed_s").asDouble();
            boolean first = m.path("step").asInt() == 0;
            assertEquals(first, m.path("tokens_per_s").isNull(), "tokens_per_s " + m);
            if (!first) assertTrue(m.path("tokens_per_s").asDouble() > 0 && m.path("tokens_per_s_avg").asDouble() > 0, m.toString());
        }
        assertEquals(whole.finalValLoss(), rest.finalValLoss(), 1e-6);
        assertEquals(whole.bestValLoss(), rest.bestValLoss(), 1e-6);

        List<float[]> wa = Models.checkpointWeights(prep.config().model(), a.resolve("checkpoint"));
        double maxDiff = Models.maxDiff(wa, Models.checkpointWeights(prep.config().model(), b.resolve("checkpoint")));
        assertTrue(maxDiff <= 1e-6, "largest weight difference " + maxDiff);
        // and training did move the weights: the comparison is not between two untouched initialisations
        var init = org.scalelab.trainer.model.Weights.init(org.scalelab.trainer.model.ParamLayout.of(prep.config().model()),
                org.nd4j.linalg.api.buffer.DataType.FLOAT, cfg.train().seed()).byName();
        List<float[]> w0 = new ArrayList<>();
        for (var arr : init.values()) w0.add(arr.data().asFloat());
        double moved = Models.maxDiff(wa, w0);
        assertTrue(moved > 1e-2, "largest change from the initial weights " + moved);
        assertTrue(whole.finalTrainLoss() < Math.log(prep.config().model().nVocab()), "the loss fell below ln V");
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(Json.MAPPER.readTree(line));
        return out;
    }
}
