package org.scalelab.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.run.Branch;
import org.scalelab.trainer.run.Checkpoint;
import org.scalelab.trainer.run.RunIds;
import org.scalelab.trainer.run.RunResult;
import org.scalelab.trainer.run.Trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cooldown branch equals the run it stands for: a constant-learning-rate main run keeps its checkpoints
 * at steps 20 and 30; branches from them, decaying over their last quarter (wsd, 27 and 40 steps), give the
 * same metrics, losses and weights (within 1e-6) as uninterrupted wsd runs of 27 and 40 steps. Dropout and
 * accumulation are on, so their RNG state is part of what the kept checkpoint must carry. A branch whose
 * schedule disagrees with its parent's before the branch point, or from a step the parent did not keep, is
 * refused with the setting to change.
 */
class BranchTest {

    @Test
    void branchesEqualUninterruptedDecayedRuns(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 20_000);
        List<String> base = List.of("data.corpus=" + corpus, "model.nLayer=2", "model.dModel=32", "model.nHead=2", "model.nCtx=16",
                "model.dropout=0.1", "train.batchSize=8", "train.microBatch=4", "train.warmupSteps=5", "train.lr=3e-3",
                "train.evalEvery=5", "train.evalBatches=2", "train.logEvery=1", "train.checkpointEvery=0", "train.minLrRatio=0.1");
        Path main = tmp.resolve("main");
        RunResult m = Trainer.train(Trainer.prepare(cfg(base, "train.steps=30", "train.schedule=constant",
                "train.keepCheckpoints=[20, 30]")), main, Trainer.Options.defaults());
        assertEquals("done", m.status());
        assertTrue(Checkpoint.exists(Branch.kept(main, 20)) && Checkpoint.exists(Branch.kept(main, 30)));

        for (int[] c : new int[][]{{27, 20}, {40, 30}}) {
            int steps = c[0], at = c[1];
            String[] wsd = {"train.steps=" + steps, "train.schedule=wsd", "train.decayFraction=0.25"};
            Path whole = tmp.resolve("whole-" + steps), branch = tmp.resolve("branch-" + steps);
            RunResult w = Trainer.train(Trainer.prepare(cfg(base, wsd)), whole, Trainer.Options.defaults());
            List<String> bs = new ArrayList<>(List.of(wsd));
            bs.add("train.branch=" + main + "@" + at);
            RunResult b = Trainer.train(Trainer.prepare(cfg(base, bs.toArray(String[]::new))), branch, Trainer.Options.defaults());
            assertEquals("done", b.status());
            assertEquals(steps, b.stepsDone());
            assertEquals(w.finalValLoss(), b.finalValLoss(), 1e-6, "final val loss, " + steps + " steps");
            assertEquals(w.bestValLoss(), b.bestValLoss(), 1e-6);
            assertEquals(w.bestStep(), b.bestStep());
            assertEquals(w.finalTrainLoss(), b.finalTrainLoss(), 1e-6);
            assertEquals(w.tokens(), b.tokens());

            List<JsonNode> mw = metrics(whole), mb = metrics(branch);
            assertEquals(mw.size(), mb.size(), "the branch's metrics start with its parent's lines up to the branch point");
            for (int i = 0; i < mw.size(); i++) {
                for (String k : new String[]{"step", "train_loss", "lr", "grad_norm", "val_loss", "noise_scale"}) {
                    JsonNode x = mw.get(i).get(k), y = mb.get(i).get(k);
                    assertEquals(x == null || x.isNull(), y == null || y.isNull(), k + " at line " + i);
                    if (x != null && !x.isNull()) assertEquals(x.asDouble(), y.asDouble(), 1e-6, k + " at line " + i);
                }
            }
            assertTrue(mb.get(mb.size() - 1).path("lr").asDouble() < 3e-3 * 0.2, "the branch decayed: " + mb.get(mb.size() - 1));
            assertEquals(maxWeightDiff(whole, branch), 0, 1e-6, "weights after " + steps + " steps");
            JsonNode lineage = Json.readOrNull(branch.resolve("spec.json")).path("lineage");
            assertEquals(at, lineage.path("branch_step").asInt(), lineage.toString());
            assertEquals(main.toAbsolutePath().normalize().toString(), lineage.path("branch_of").asText());
        }
        // the main run really trained past its warm-up: the comparison is not between untouched weights
        assertTrue(m.finalTrainLoss() < Math.log(Trainer.prepare(cfg(base, "train.steps=30")).config().model().nVocab()));
    }

    @Test
    void branchThatDisagreesWithItsParentIsRefused(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 20_000);
        List<String> base = List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16", "model.nHead=2", "model.nCtx=16",
                "train.batchSize=4", "train.warmupSteps=2", "train.lr=3e-3", "train.evalEvery=5", "train.evalBatches=1",
                "train.checkpointEvery=0");
        Path main = tmp.resolve("main");
        Trainer.train(Trainer.prepare(cfg(base, "train.steps=10", "train.schedule=constant", "train.keepCheckpoints=[8]")),
                main, Trainer.Options.defaults());
        // decay starting at step 6, before the branch point 8
        UserError early = assertThrows(UserError.class, () -> Trainer.train(Trainer.prepare(cfg(base, "train.steps=12",
                "train.schedule=wsd", "train.decayFraction=0.5", "train.branch=" + main + "@8")), tmp.resolve("b1"), Trainer.Options.defaults()));
        assertTrue(early.getMessage().contains("at step 7") && early.getMessage().contains("must agree"), early.getMessage());
        UserError notKept = assertThrows(UserError.class, () -> Trainer.train(Trainer.prepare(cfg(base, "train.steps=12",
                "train.schedule=wsd", "train.decayFraction=0.25", "train.branch=" + main + "@9")), tmp.resolve("b2"), Trainer.Options.defaults()));
        assertTrue(notKept.getMessage().contains("kept no checkpoint at step 9") && notKept.getMessage().contains("keepCheckpoints"),
                notKept.getMessage());
        UserError otherLr = assertThrows(UserError.class, () -> Trainer.train(Trainer.prepare(cfg(base, "train.steps=12", "train.lr=1e-3",
                "train.schedule=wsd", "train.decayFraction=0.25", "train.branch=" + main + "@8")), tmp.resolve("b3"), Trainer.Options.defaults()));
        assertTrue(otherLr.getMessage().contains("train.lr 0.003 there, 0.001 here"), otherLr.getMessage());
        UserError syntax = assertThrows(UserError.class, () -> cfg(base, "train.steps=12", "train.branch=" + main).train().validate());
        assertTrue(syntax.getMessage().contains("RUN_DIR@STEP"), syntax.getMessage());
        assertFalse(Files.exists(tmp.resolve("b2").resolve("result.json")));
    }

    /** Which checkpoints a run keeps does not change what it trains, so not its id; a branch point does. */
    @Test
    void keptCheckpointsLeaveTheIdAndTheBranchSetsIt(@TempDir Path tmp) {
        List<String> base = List.of("data.corpus=synthetic", "train.steps=100");
        RunConfig plain = cfg(base), kept = cfg(base, "train.keepCheckpoints=[50]");
        assertEquals(RunIds.of(plain), RunIds.of(kept));
        RunConfig b1 = cfg(base, "train.branch=" + tmp.resolve("m") + "@50"), b2 = cfg(base, "train.branch=" + tmp.resolve("m") + "@60");
        assertFalse(RunIds.of(b1).equals(RunIds.of(b2)) || RunIds.of(b1).equals(RunIds.of(plain)));
    }

    private static RunConfig cfg(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return ConfigLoader.load(null, all);
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    private static double maxWeightDiff(Path a, Path b) {
        RunConfig c = org.scalelab.trainer.run.Specs.readConfig(a.resolve("spec.json"));
        return Models.maxDiff(Models.checkpointWeights(c.model(), a.resolve("checkpoint")), Models.checkpointWeights(c.model(), b.resolve("checkpoint")));
    }
}
