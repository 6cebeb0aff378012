package org.scalelab.trainer;

import org.scalelab.datasets.UserError;

import java.util.List;

/**
 * How a run trains (the {@code train:} section of a run config).
 *
 * @param steps             optimizer steps; D = steps · batchSize · nCtx tokens
 * @param batchSize         sequences per optimizer step (tokens per step = batchSize · nCtx)
 * @param microBatch        sequences per forward/backward pass; batchSize must be a multiple of it.
 *                          0 means batchSize (no accumulation). Lower it to fit memory, not to change results
 * @param lr                peak learning rate
 * @param minLrRatio        floor of the decay as a fraction of lr (cosine / linear / wsd end there)
 * @param warmupSteps       linear warm-up from 0 to lr
 * @param schedule          cosine | linear | constant | wsd (warmup–stable–decay)
 * @param decayFraction     wsd only: the final fraction of steps spent decaying linearly to the floor
 * @param weightDecay       decoupled (AdamW) decay, applied per step as p ← p·(1 − lr·wd)
 * @param decayEmbeddings   also decay the token/position embeddings (and an untied head); off by default
 * @param decayNormsAndBiases also decay layer-norm gains and biases; off by default
 * @param beta1             Adam first-moment decay
 * @param beta2             Adam second-moment decay (0.95 is nanoGPT's choice for small batches)
 * @param eps               Adam denominator offset
 * @param gradClip          global L2-norm clip of the gradient; 0 disables
 * @param evalEvery         steps between validation evaluations (and always at the last step)
 * @param evalBatches       fixed validation batches per evaluation (drawn once from evalSeed)
 * @param logEvery          steps between metrics.jsonl lines
 * @param checkpointEvery   steps between checkpoints; one is always written at the end; 0 = only at the end
 * @param earlyStopPatience stop after this many evaluations without a new best val loss (of the smoothed curve
 *                          when {@code earlyStopSmoothing} > 0); 0 disables
 * @param seed              seed of initialisation, data order and dropout
 * @param init              a run directory, or a sweep reference (sweep:DIR#RUN_ID, sweep:DIR#best,
 *                          sweep:DIR#best@N=3e4; see {@link Lineage}), whose latest weights initialise this
 *                          run (fine-tuning, transfer); the run uses its tokenizer; optimizer state, step and
 *                          schedule start fresh; empty = random init
 * @param noiseScaleEma     factor of the moving averages behind the gradient noise scale logged as metrics.jsonl's
 *                          noise_scale (measured only with accumulation, microBatch < batchSize; see
 *                          {@link org.scalelab.trainer.run.TrainStep.NoiseScale}): 0.95 weighs about the last 20
 *                          steps, as the per-step estimates are noisy; 0 turns the measurement off. Left out (an
 *                          older spec.json): 0.95
 * @param keepCheckpoints   steps at which a copy of the checkpoint is kept in {@code checkpoints/step-NNNNNNN/}
 *                          (the points cooldown branches start from); empty keeps none
 * @param branch            {@code RUN_DIR@STEP}: start from the whole training state (weights, optimizer
 *                          moments, data order, step, best loss) that run RUN_DIR kept at STEP
 *                          ({@code keepCheckpoints}) and go on with this config's schedule: a cooldown
 *                          branch, equal to an uninterrupted run of this config when the learning rates of
 *                          the first STEP steps agree (checked). Empty: none
 * @param earlyStopSmoothing early stopping watches the exponential moving average s ← β·s + (1 − β)·val of the
 *                          validation losses with this β (0: the losses themselves), so that the noise of one
 *                          evaluation neither stops a run nor keeps it going. Left out (an older spec.json): 0
 */
public record TrainConfig(int steps, int batchSize, int microBatch, double lr, double minLrRatio, int warmupSteps,
                          String schedule, double decayFraction, double weightDecay, boolean decayEmbeddings,
                          boolean decayNormsAndBiases, double beta1, double beta2, double eps, double gradClip,
                          int evalEvery, int evalBatches, int logEvery, int checkpointEvery, int earlyStopPatience,
                          long seed, String init, Double noiseScaleEma, List<Integer> keepCheckpoints,
                          String branch, Double earlyStopSmoothing) {

    /** The default of {@code noiseScaleEma}. */
    public static final double NOISE_SCALE_EMA = 0.95;

    public static final TrainConfig DEFAULT = new TrainConfig(2000, 16, 0, 1e-3, 0.1, 100, "cosine", 0.2,
            0.1, false, false, 0.9, 0.95, 1e-8, 1.0, 200, 8, 10, 500, 0, 1, "", NOISE_SCALE_EMA, List.of(), "", 0.0);

    public TrainConfig {
        if (init == null) init = "";
        if (noiseScaleEma == null) noiseScaleEma = NOISE_SCALE_EMA;
        keepCheckpoints = keepCheckpoints == null ? List.of() : List.copyOf(keepCheckpoints);
        if (branch == null) branch = "";
        if (earlyStopSmoothing == null) earlyStopSmoothing = 0.0;
    }

    /** This config starting from {@code init} instead. */
    public TrainConfig withInit(String init) {
        return new TrainConfig(steps, batchSize, microBatch, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay,
                decayEmbeddings, decayNormsAndBiases, beta1, beta2, eps, gradClip, evalEvery, evalBatches, logEvery, checkpointEvery,
                earlyStopPatience, seed, init, noiseScaleEma, keepCheckpoints, branch, earlyStopSmoothing);
    }

    /** This config branching from {@code branch} ({@code RUN_DIR@STEP}) instead. */
    public TrainConfig withBranch(String branch) {
        return new TrainConfig(steps, batchSize, microBatch, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay,
                decayEmbeddings, decayNormsAndBiases, beta1, beta2, eps, gradClip, evalEvery, evalBatches, logEvery, checkpointEvery,
                earlyStopPatience, seed, init, noiseScaleEma, keepCheckpoints, branch, earlyStopSmoothing);
    }

    /** This config with another seed (initialisation, data order, dropout). */
    public TrainConfig withSeed(long seed) {
        return new TrainConfig(steps, batchSize, microBatch, lr, minLrRatio, warmupSteps, schedule, decayFraction, weightDecay,
                decayEmbeddings, decayNormsAndBiases, beta1, beta2, eps, gradClip, evalEvery, evalBatches, logEvery, checkpointEvery,
                earlyStopPatience, seed, init, noiseScaleEma, keepCheckpoints, branch, earlyStopSmoothing);
    }

    public int micro() {
        return microBatch > 0 ? microBatch : batchSize;
    }

    public int accumulation() {
        return batchSize / micro();
    }

    /** Whether the gradient noise scale is measured: accumulation over two or more micro-batches, and not turned off. */
    public boolean measuresNoiseScale() {
        return accumulation() > 1 && noiseScaleEma > 0;
    }

    public TrainConfig validate() {
        if (steps <= 0) throw new UserError("train.steps must be > 0, got " + steps);
        if (batchSize <= 0) throw new UserError("train.batchSize must be > 0, got " + batchSize);
        if (microBatch < 0) throw new UserError("train.microBatch must be ≥ 0 (0 = batchSize), got " + microBatch);
        if (batchSize % micro() != 0) {
            throw new UserError("train.batchSize (" + batchSize + ") must be a multiple of train.microBatch ("
                    + microBatch + ")");
        }
        if (!(lr > 0)) throw new UserError("train.lr must be > 0, got " + lr);
        if (!(minLrRatio >= 0 && minLrRatio <= 1)) throw new UserError("train.minLrRatio must be in [0, 1], got " + minLrRatio);
        if (warmupSteps < 0) throw new UserError("train.warmupSteps must be ≥ 0, got " + warmupSteps);
        org.scalelab.trainer.optim.LrSchedule.Kind.parse(schedule);   // the schedule names live with the schedules
        if (!(decayFraction > 0 && decayFraction <= 1)) {
            throw new UserError("train.decayFraction must be in (0, 1], got " + decayFraction);
        }
        if (!(weightDecay >= 0)) throw new UserError("train.weightDecay must be ≥ 0, got " + weightDecay);
        if (!(beta1 >= 0 && beta1 < 1)) throw new UserError("train.beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new UserError("train.beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new UserError("train.eps must be > 0, got " + eps);
        if (!(gradClip >= 0)) throw new UserError("train.gradClip must be ≥ 0 (0 disables), got " + gradClip);
        if (evalEvery <= 0) throw new UserError("train.evalEvery must be > 0, got " + evalEvery);
        if (evalBatches <= 0) throw new UserError("train.evalBatches must be > 0, got " + evalBatches);
        if (logEvery <= 0) throw new UserError("train.logEvery must be > 0, got " + logEvery);
        if (checkpointEvery < 0) throw new UserError("train.checkpointEvery must be ≥ 0, got " + checkpointEvery);
        if (earlyStopPatience < 0) throw new UserError("train.earlyStopPatience must be ≥ 0, got " + earlyStopPatience);
        if (!(earlyStopSmoothing >= 0 && earlyStopSmoothing < 1)) {
            throw new UserError("train.earlyStopSmoothing must be in [0, 1) (0: no smoothing), got " + earlyStopSmoothing);
        }
        if (!(noiseScaleEma >= 0 && noiseScaleEma < 1)) {
            throw new UserError("train.noiseScaleEma must be in [0, 1) (0 turns the noise scale off), got " + noiseScaleEma);
        }
        for (int k : keepCheckpoints) {
            if (k <= 0 || k > steps) throw new UserError("train.keepCheckpoints: step " + k + " is outside 1 … train.steps (" + steps + ")");
        }
        if (!branch.isEmpty() && !init.isEmpty()) {
            throw new UserError("train.branch and train.init are both set; a branch continues a run's whole state, init loads only "
                    + "weights: set one of them");
        }
        if (!branch.isEmpty()) {
            int at = branch.lastIndexOf('@');
            int k = -1;
            try {
                if (at > 0) k = Integer.parseInt(branch.substring(at + 1));
            } catch (NumberFormatException e) {
                k = -1;
            }
            if (k <= 0) throw new UserError("train.branch '" + branch + "': write RUN_DIR@STEP, e.g. runs/L2-d32-h2-T64-0123456789@1200");
            if (k >= steps) throw new UserError("train.branch '" + branch + "': the branch step " + k + " must be below train.steps (" + steps + ")");
        }
        return this;
    }

    /** The run directory of {@code branch} (the part before the last '@'). */
    public String branchRun() {
        return branch.isEmpty() ? "" : branch.substring(0, branch.lastIndexOf('@'));
    }

    /** The step of {@code branch} (after the last '@'); 0 without a branch. */
    public int branchStep() {
        return branch.isEmpty() ? 0 : Integer.parseInt(branch.substring(branch.lastIndexOf('@') + 1));
    }
}
