package org.scalelab.trainer.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.TrainConfig;
import org.scalelab.trainer.optim.LrSchedule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A cooldown branch ({@code train.branch: RUN_DIR@STEP}, Hägele et al. 2024, arXiv 2405.18392): a run that
 * starts from the whole training state another run kept at STEP ({@code train.keepCheckpoints}) — weights,
 * Adam moments, the data order's RNG, the step, the best validation loss so far — and goes on with its own
 * schedule, typically a decay to the floor over its last steps. When the learning rates of the first STEP
 * steps agree and every other setting that shapes training is the parent's, the branch computes exactly
 * what an uninterrupted run of its own config would: the parent only did its first STEP steps for it. So
 * one constant-learning-rate run per size and one short branch per token budget give an N × D grid of
 * fully decayed runs for little more than the cost of the largest budget.
 */
public final class Branch {
    private Branch() {}

    /** The folder of the copy of the checkpoint a run keeps at {@code step}. */
    public static Path kept(Path runDir, int step) {
        return runDir.resolve("checkpoints").resolve(String.format(Locale.ROOT, "step-%07d", step));
    }

    /** A resolved {@code train.branch}: the parent's run directory, the step, the kept checkpoint. */
    public record Parent(Path runDir, int step, Path checkpoint) {}

    /** Resolves {@code train.branch} (a run directory must exist; its kept checkpoint is checked when the branch starts). */
    public static Parent resolve(TrainConfig tc) {
        Path dir = Path.of(tc.branchRun());
        if (!Files.isRegularFile(dir.resolve("spec.json"))) {
            throw new UserError("train.branch: " + dir + " is not a run directory (no spec.json); give the run the branch "
                    + "continues, as RUN_DIR@STEP");
        }
        return new Parent(dir, tc.branchStep(), kept(dir, tc.branchStep()));
    }

    /**
     * Checks that {@code child} continues {@code parent} faithfully: the parent kept the checkpoint, the model,
     * data and every training setting but the schedule's length and shape are the same, and the two schedules
     * give the same learning rate at every step before the branch point.
     */
    public static void check(Parent p, RunConfig child) {
        if (!Checkpoint.exists(p.checkpoint())) {
            throw new UserError("train.branch: " + p.runDir() + " has kept no checkpoint at step " + p.step() + " (" + p.checkpoint()
                    + "); train it with train.keepCheckpoints containing " + p.step() + " (a sweep's budgets: section does this), "
                    + "or branch at a step it kept");
        }
        RunConfig parent = Specs.readConfig(p.runDir().resolve("spec.json"));
        if (!parent.model().equals(child.model())) {
            throw new UserError("train.branch: " + p.runDir() + " trains another model (" + parent.model() + "); a branch continues "
                    + "the parent's model, so set the same model: keys");
        }
        if (!parent.data().equals(child.data())) {
            throw new UserError("train.branch: " + p.runDir() + " trains on other data (" + parent.data() + "); set the same data: keys");
        }
        TrainConfig a = comparable(parent.train()), b = comparable(child.train());
        if (!a.equals(b)) {
            throw new UserError("train.branch: " + p.runDir() + " was trained with other settings (" + differences(a, b) + "); a branch "
                    + "may change only train.steps, schedule, decayFraction, minLrRatio, checkpointEvery, keepCheckpoints and "
                    + "earlyStopPatience");
        }
        LrSchedule sa = LrSchedule.of(parent.train()), sb = LrSchedule.of(child.train());
        for (int s = 0; s < p.step(); s++) {
            if (sa.at(s) != sb.at(s)) {
                throw new UserError(String.format(Locale.ROOT, "train.branch: at step %d the parent's learning rate is %.6g but this "
                        + "run's schedule gives %.6g; a branch at step %d must agree with its parent before it (e.g. a constant "
                        + "parent and a wsd branch whose decay starts at or after step %d)", s + 1, sa.at(s), sb.at(s), p.step(), p.step()));
            }
        }
    }

    /** The training settings with those a branch may change set to the child's defaults, for comparison. */
    private static TrainConfig comparable(TrainConfig t) {
        TrainConfig d = TrainConfig.DEFAULT;
        return new TrainConfig(d.steps(), t.batchSize(), t.microBatch(), t.lr(), d.minLrRatio(), t.warmupSteps(), d.schedule(),
                d.decayFraction(), t.weightDecay(), t.decayEmbeddings(), t.decayNormsAndBiases(), t.beta1(), t.beta2(), t.eps(),
                t.gradClip(), t.evalEvery(), t.evalBatches(), d.logEvery(), d.checkpointEvery(), d.earlyStopPatience(), t.seed(),
                t.init(), t.noiseScaleEma(), List.of(), "", t.earlyStopSmoothing());
    }

    private static String differences(TrainConfig a, TrainConfig b) {
        JsonNode x = Json.MAPPER.valueToTree(a), y = Json.MAPPER.valueToTree(b);
        List<String> out = new ArrayList<>();
        x.fieldNames().forEachRemaining(k -> {
            if (!x.get(k).equals(y.get(k))) out.add("train." + k + " " + x.get(k) + " there, " + y.get(k) + " here");
        });
        return String.join("; ", out);
    }

    /** The lineage record of a branch in spec.json. */
    static ObjectNode lineage(Parent p) {
        ObjectNode l = Json.MAPPER.createObjectNode();
        l.put("branch_of", p.runDir().toAbsolutePath().normalize().toString());
        JsonNode s = Json.readOrNull(p.runDir().resolve("spec.json"));
        l.put("parent_run_id", s == null ? p.runDir().getFileName().toString() : s.path("run_id").asText(p.runDir().getFileName().toString()));
        l.put("branch_step", p.step());
        return l;
    }

    /** The parent's metrics.jsonl lines up to the branch point, which begin the branch's own (its curve is then whole). */
    static String metricsUpTo(Parent p) {
        Path f = p.runDir().resolve("metrics.jsonl");
        if (!Files.exists(f)) return "";
        StringBuilder keep = new StringBuilder();
        try {
            for (String line : Files.readAllLines(f)) {
                if (line.isBlank()) continue;
                try {
                    if (Json.MAPPER.readTree(line).path("step").asLong() <= p.step()) keep.append(line).append('\n');
                } catch (IOException torn) {
                    // a torn last line of a killed parent: not part of what the branch continues
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keep.toString();
    }
}
