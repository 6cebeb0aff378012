package org.scalelab.trainer.run;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.*;
import org.scalelab.trainer.optim.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.TokenSource;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.engine.Engine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.model.ParamLayout;
import org.scalelab.trainer.model.Parameterization;
import org.scalelab.trainer.model.Pass;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The training loop: one run from a resolved {@link RunConfig} to a run directory
 * ({@code spec.json}, {@code metrics.jsonl}, {@code result.json}, {@code checkpoint/}).
 * Reads top to bottom like nanoGPT's train.py; the step itself is in {@link #train}.
 */
public final class Trainer {

    /**
     * @param resume       continue from the run directory's checkpoint if it has one (else start fresh)
     * @param progress     where progress goes
     * @param stop         set from another thread (Ctrl-C) to checkpoint and return as "interrupted"
     * @param stopAtStep   tests: behave as if interrupted once this many steps are done (0 = never)
     */
    public record Options(boolean resume, Progress progress, AtomicBoolean stop, int stopAtStep) {
        public static Options defaults() {
            return new Options(true, Progress.silent(), new AtomicBoolean(false), 0);
        }
    }

    /**
     * What {@link #prepare} resolves before training: the data, the model shape, the run id and, for a run
     * started from another run's weights ({@code train.init}), that parent, for a cooldown branch
     * ({@code train.branch}) the run it continues (each null otherwise).
     */
    public record Prepared(RunConfig config, Dataset data, TokenSource train, String runId, Accounting acc, Lineage.Parent parent,
                           Branch.Parent branch) {}

    /** Salt of the evaluation windows' seed (train.seed ^ EVAL_SALT). */
    public static final long EVAL_SALT = 0x5EEDE7A1L;

    private Trainer() {}

    /**
     * Opens the data, fills in nVocab, validates everything and derives the run id. A run started from
     * another run resolves that parent here and encodes its corpus with the parent's tokenizer.
     */
    public static Prepared prepare(RunConfig cfg) {
        cfg.train().validate();
        Lineage.Parent parent = cfg.train().init().isEmpty() ? null : Lineage.resolve(cfg.train().init());
        Dataset data = parent == null ? Dataset.open(cfg.data())
                : Dataset.open(cfg.data(), Lineage.tokenizer(parent), Lineage.label(parent));
        int vocab = data.tokenizer().vocabSize();
        ModelConfig m = cfg.model();
        if (m.nVocab() == 0) m = m.withVocab(vocab);
        else if (m.nVocab() < vocab) {
            throw new UserError("model.nVocab (" + m.nVocab() + ") is smaller than the tokenizer's vocabulary (" + vocab
                    + "); set model.nVocab=0 to take it from the tokenizer");
        }
        m.validate();
        RunConfig resolved = cfg.withModel(m);
        TokenSource train = data.train(cfg.data().tokens());
        int need = m.nCtx() + 1;
        if (train.size() < need) {
            throw new UserError(cfg.data().corpus() + ": the training split has " + train.size()
                    + " tokens, fewer than model.nCtx+1 = " + need + "; use a larger corpus or a smaller model.nCtx");
        }
        if (data.val().size() < need) {
            throw new UserError(cfg.data().corpus() + ": the validation split has " + data.val().size()
                    + " tokens, fewer than model.nCtx+1 = " + need
                    + "; use a larger corpus, a larger data.valFraction or a smaller model.nCtx");
        }
        Branch.Parent branch = cfg.train().branch().isEmpty() ? null : Branch.resolve(cfg.train());
        return new Prepared(resolved, data, train, RunIds.of(resolved), Accounting.of(m), parent, branch);
    }

    /** Trains into {@code runDir}; returns the result also written to result.json. */
    public static RunResult train(Prepared prep, Path runDir, Options opt) {
        RunConfig cfg = prep.config();
        ModelConfig mc = cfg.model();
        TrainConfig tc = cfg.train();
        Accounting acc = prep.acc();
        TokenSource trainData = prep.train(), valData = prep.data().val();
        int T = mc.nCtx(), V = mc.nVocab(), micro = tc.micro(), accum = tc.accumulation();
        long tokensPerStep = (long) tc.batchSize() * T;
        RunFiles files = new RunFiles(runDir);
        Path ckDir = runDir.resolve("checkpoint");
        Checkpoint.removeTemporaries(ckDir);   // what a save interrupted by a kill or a full disk left

        // ---- model, optimizer, RNG streams -------------------------------------------------------
        // Opening and encoding the corpus leaves garbage on the heap (for a BPE tokenizer, hundreds of MB);
        // collect it before the model's buffers are allocated, so that G1 returns it to the system rather
        // than adding it to the run's peak memory.
        System.gc();
        MemoryCheck.check(mc, micro, MemoryCheck.physicalBytes());   // a model that cannot fit: the numbers, not an allocation failure
        Nd4j.getEnvironment().setDebug(false);
        Nd4j.getEnvironment().setVerbose(false);
        Engine engine = Engines.fresh(mc, DataType.FLOAT, tc.seed(), Pass.Options.defaults());
        ParamLayout layout = engine.weights().layout();
        Map<String, INDArray> params = engine.weights().byName();
        double[] decay = decayRates(layout, tc, mc);
        AdamW adam = adamW(layout, tc, mc);
        LrSchedule schedule = LrSchedule.of(tc);
        Rng dataRng = new Rng(tc.seed() * 0x9E3779B97F4A7C15L + 1);
        Rng dropRng = new Rng(tc.seed() * 0x9E3779B97F4A7C15L + 2);
        long[][] evalStarts = evalPositions(valData, tc.evalBatches(), micro, T, new Rng(tc.seed() ^ EVAL_SALT));

        // ---- fresh start or resume ------------------------------------------------------------------
        int step = 0;
        double bestVal = Double.NaN, lastVal = Double.NaN, lastTrain = Double.NaN, wallBefore = 0;
        int bestStep = 0, evalsSinceBest = 0;
        // early stopping's curve: the losses, or their moving average (train.earlyStopSmoothing), and its best
        double smoothedVal = Double.NaN, bestWatched = Double.NaN;
        double noiseGradSq = 0, noiseTrace = 0;   // the noise scale's moving averages (TrainStep.NoiseScale)
        // a resumed run continues from its own checkpoint, a new cooldown branch from the one its parent kept
        Path from = null;
        if (opt.resume() && Checkpoint.exists(ckDir)) {
            files.checkSameConfig(cfg);
            from = ckDir;
        } else if (prep.branch() != null) {
            Branch.check(prep.branch(), cfg);
            files.start(cfg, prep, acc, Branch.lineage(prep.branch()), engine.name());
            files.writeMetrics(Branch.metricsUpTo(prep.branch()));
            from = prep.branch().checkpoint();
        } else {
            ObjectNode lineage = prep.parent() == null ? null : Lineage.initialise(prep.parent(), prep.data().tokenizer(), mc, params);
            files.start(cfg, prep, acc, lineage, engine.name());
        }
        if (from != null) {
            ObjectNode s = Checkpoint.load(from, params, adam);
            step = s.get("step").asInt();
            dataRng.setState(s.get("data_rng").asLong());
            dropRng.setState(s.get("dropout_rng").asLong());
            bestVal = s.path("best_val_loss").asDouble(Double.NaN);
            bestStep = s.path("best_step").asInt();
            lastVal = s.path("last_val_loss").asDouble(Double.NaN);
            lastTrain = s.path("last_train_loss").asDouble(Double.NaN);
            evalsSinceBest = s.path("evals_since_best").asInt();
            smoothedVal = s.path("smoothed_val_loss").asDouble(Double.NaN);
            // a checkpoint from before smoothing watched the losses themselves
            bestWatched = s.path("best_watched_val_loss").asDouble(bestVal);
            wallBefore = s.path("wall_s").asDouble();
            noiseGradSq = s.path("noise_grad_sq_ema").asDouble(0);
            noiseTrace = s.path("noise_trace_ema").asDouble(0);
            if (from == ckDir) files.truncateMetrics(step);
        }

        EarlyStop stopper = new EarlyStop(tc.earlyStopPatience(), tc.earlyStopSmoothing(), smoothedVal, bestWatched, evalsSinceBest);

        // ---- the loop ----------------------------------------------------------------------------
        TrainStep.NoiseScale noise = tc.measuresNoiseScale() ? new TrainStep.NoiseScale(tc.noiseScaleEma()) : null;
        if (noise != null) noise.restore(noiseGradSq, noiseTrace);
        TrainStep trainStep = new TrainStep(engine, adam, decay, tc.gradClip(), noise);
        opt.progress().note(Engines.describe(engine) + "; model " + mc.variants());
        String status = "done", reason = "completed";
        long t0 = System.nanoTime();
        int startStep = step;
        if (step == 0 && Double.isNaN(lastVal)) {
            lastVal = evaluate(engine, valData, evalStarts, T);
            files.appendMetrics(metricsLine(0, 0, Double.NaN, 0, Double.NaN, null, null, Double.NaN, Double.NaN, wallBefore, lastVal));
        }
        long lastLogNanos = System.nanoTime();
        int lastLogStep = step;
        opt.progress().update(step, Double.NaN, lastVal, 0, Double.NaN, true);

        while (step < tc.steps()) {
            double lr = schedule.at(step);
            List<Batch> batches = new ArrayList<>(accum);
            for (int k = 0; k < accum; k++) batches.add(Batch.sample(trainData, micro, T, dataRng));
            TrainStep.Result res = trainStep.run(batches, dropRng, lr, step + 1);
            double loss = res.loss(), gradNorm = res.gradNorm();
            if (!res.finite()) {
                status = "diverged";
                reason = "diverged";
                opt.progress().finish();
                System.err.printf("step %d: loss %s, grad norm %s — run diverged; last good train loss %.4f%n",
                        step + 1, loss, gradNorm, lastTrain);
                break;
            }
            step++;
            lastTrain = loss;

            // ---- bookkeeping: eval, metrics, checkpoint, progress --------------------------------
            double elapsed = (System.nanoTime() - t0) / 1e9;
            double tps = (step - startStep) * tokensPerStep / Math.max(elapsed, 1e-9);
            boolean evalNow = step % tc.evalEvery() == 0 || step == tc.steps();
            double val = Double.NaN;
            boolean stopEarly = false;
            long evalStartNanos = System.nanoTime();
            if (evalNow) {
                val = evaluate(engine, valData, evalStarts, T);
                lastVal = val;
                if (Double.isNaN(bestVal) || val < bestVal) {
                    bestVal = val;
                    bestStep = step;
                }
                stopEarly = stopper.observe(val);
            }
            boolean logNow = evalNow || step % tc.logEvery() == 0;
            if (logNow) {
                // the rate of the steps since the last line, measured before this step's evaluation
                double interval = (evalStartNanos - lastLogNanos) / 1e9;
                double tpsNow = (step - lastLogStep) * tokensPerStep / Math.max(interval, 1e-9);
                files.appendMetrics(metricsLine(step, step * tokensPerStep, loss, lr, gradNorm, res, noise, tpsNow, tps,
                        wallBefore + (System.nanoTime() - t0) / 1e9, val));
                lastLogStep = step;
            }
            boolean early = evalNow && stopEarly;
            boolean stopping = opt.stop().get() || (opt.stopAtStep() > 0 && step >= opt.stopAtStep());
            boolean last = step == tc.steps() || early || stopping;
            boolean keep = tc.keepCheckpoints().contains(step);
            if (last || keep || (tc.checkpointEvery() > 0 && step % tc.checkpointEvery() == 0)) {
                ObjectNode s = Json.MAPPER.createObjectNode();
                s.put("step", step);
                s.put("tokens", step * tokensPerStep);
                s.put("data_rng", dataRng.state());
                s.put("dropout_rng", dropRng.state());
                s.put("best_val_loss", bestVal);
                s.put("best_step", bestStep);
                s.put("last_val_loss", lastVal);
                s.put("last_train_loss", lastTrain);
                s.put("evals_since_best", stopper.since());
                s.put("smoothed_val_loss", stopper.smoothed());
                s.put("best_watched_val_loss", stopper.best());
                // the clock when saved, after this step's evaluation: a resumed run's elapsed_s never goes back
                s.put("wall_s", wallBefore + (System.nanoTime() - t0) / 1e9);
                if (noise != null) {
                    s.put("noise_grad_sq_ema", noise.state()[0]);
                    s.put("noise_trace_ema", noise.state()[1]);
                }
                Checkpoint.save(ckDir, params, adam, s);
                if (keep) Checkpoint.save(Branch.kept(runDir, step), params, adam, s);   // where cooldown branches start
            }
            double eta = (tc.steps() - step) * elapsed / (step - startStep);
            opt.progress().update(step, loss, lastVal, tps, eta, evalNow);
            if (logNow) lastLogNanos = System.nanoTime();
            if (early) {
                reason = "early_stop";
                break;
            }
            if (stopping && step < tc.steps()) {
                status = "interrupted";
                reason = "interrupted";
                break;
            }
        }
        opt.progress().finish();

        double wall = wallBefore + (System.nanoTime() - t0) / 1e9;
        long D = step * tokensPerStep;
        RunResult r = new RunResult(prep.runId(), status, reason, tc.steps(), step, tokensPerStep, D, trainData.size(),
                D / (double) trainData.size(), acc.nonEmbedding(), acc.total(), acc.kaplanApprox(),
                acc.trainingFlops(D), acc.trainingFlopsWithAttention(D), acc.unembedFlops(D),
                acc.trainingFlops(D) / Accounting.PF_DAY, nan2null(lastTrain), nan2null(lastVal), nan2null(bestVal),
                bestStep, nan2null(bestVal / Math.log(2)), orNull(prep.data().lossFloorNats()), orNull(prep.data().lossFloorNats(T)),
                wall, step == 0 ? 0 : D / wall);
        files.writeResult(r);
        return r;
    }

    /** {@link #decayRates(ParamLayout, TrainConfig)} times the parameterization's decay multipliers (1 in SP). */
    static double[] decayRates(ParamLayout layout, TrainConfig tc, ModelConfig mc) {
        double[] decay = decayRates(layout, tc), mult = Parameterization.of(mc).weightDecayMultipliers(layout);
        for (int i = 0; i < decay.length; i++) decay[i] *= mult[i];
        return decay;
    }

    /** The run's AdamW: the config's betas, and ε and per-tensor learning rates from the parameterization (none in SP). */
    static AdamW adamW(ParamLayout layout, TrainConfig tc, ModelConfig mc) {
        Parameterization pz = Parameterization.of(mc);
        return new AdamW(layout.sizes(), tc.beta1(), tc.beta2(), tc.eps() * pz.adamEpsMultiplier(),
                mc.parameterization() == ModelConfig.Parameterization.SP ? null : pz.learningRateMultipliers(layout));
    }

    /**
     * The weight decay of each parameter tensor (in {@code names} order): {@code train.weightDecay}, or 0
     * for embeddings (and an untied head) and for norms and biases unless the config decays them too.
     */
    public static double[] decayRates(ParamLayout layout, TrainConfig tc) {
        double[] decay = new double[layout.size()];
        for (ParamLayout.Tensor t : layout.tensors()) {
            boolean on = switch (t.decay()) {
                case WEIGHTS -> true;
                case EMBEDDINGS -> tc.decayEmbeddings();
                case NORMS_AND_BIASES -> tc.decayNormsAndBiases();
            };
            decay[t.index()] = on ? tc.weightDecay() : 0;
        }
        return decay;
    }

    /** Mean validation loss over the fixed evaluation windows. */
    public static double evaluate(Engine engine, TokenSource val, long[][] starts, int T) {
        double sum = 0;
        for (long[] s : starts) {
            Batch b = Batch.at(val, s, T);
            sum += engine.loss(b.inputs, b.targets);
        }
        return sum / starts.length;
    }

    /** Evaluation windows, drawn once so every evaluation of a run (and of a resumed run) sees the same ones. */
    public static long[][] evalPositions(TokenSource val, int batches, int micro, int T, Rng rng) {
        long positions = val.size() - T;
        long[][] out = new long[batches][micro];
        for (long[] b : out) for (int i = 0; i < micro; i++) b[i] = rng.nextLong(positions);
        return out;
    }

    /**
     * One metrics.jsonl line: {@code tps} is the throughput since the previous line, {@code tpsAvg} since this
     * session of the run started (evaluations included), {@code elapsed} the run's wall-clock seconds summed
     * over its sessions. The noise scale is null when it is not measured ({@code noise} null) or not yet
     * positive; the step's two squared norms behind it ({@code res}) are written only when measured.
     */
    private static Map<String, Object> metricsLine(long step, long tokens, double loss, double lr, double gradNorm,
                                                   TrainStep.Result res, TrainStep.NoiseScale noise,
                                                   double tps, double tpsAvg, double elapsed, double val) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("tokens", tokens);
        m.put("train_loss", nan2null(loss));
        m.put("lr", lr);
        m.put("grad_norm", nan2null(gradNorm));
        m.put("noise_scale", noise == null ? null : nan2null(noise.value()));
        if (res != null && Double.isFinite(res.gradSqSmall())) {
            m.put("grad_sq_small", res.gradSqSmall());
            m.put("grad_sq_big", res.gradSqBig());
        }
        m.put("tokens_per_s", nan2null(tps));
        m.put("tokens_per_s_avg", nan2null(tpsAvg));
        m.put("time", java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
        m.put("elapsed_s", Math.round(elapsed * 1000) / 1000.0);
        if (!Double.isNaN(val)) m.put("val_loss", val);
        return m;
    }

    private static Double orNull(java.util.OptionalDouble x) {
        return x.isPresent() ? x.getAsDouble() : null;
    }

    private static Double nan2null(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** The run directory's files (everything but the checkpoint). */
    static final class RunFiles {
        final Path dir;

        RunFiles(Path dir) {
            this.dir = dir;
        }

        void start(RunConfig cfg, Prepared prep, Accounting acc, ObjectNode lineage, String engine) {
            try {
                Files.createDirectories(dir);
                Files.deleteIfExists(dir.resolve("metrics.jsonl"));
                Files.deleteIfExists(dir.resolve("result.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Files2.writeAtomic(dir.resolve("spec.json"), Json.pretty(Specs.spec(cfg, prep, acc, lineage, engine)));
            prep.data().tokenizer().save(dir.resolve("tokenizer.json"));
        }

        void checkSameConfig(RunConfig cfg) {
            RunConfig old = Specs.readConfig(dir.resolve("spec.json"));
            // where the run and its parent lie is not what is trained: a moved or respelled folder resumes
            if (!RunIds.hashedText(RunIds.hashed(old)).equals(RunIds.hashedText(RunIds.hashed(cfg)))
                    || !java.util.Objects.equals(old.name(), cfg.name())) {
                throw new UserError(dir.resolve("spec.json") + ": the run was started with a different config; "
                        + "resume it with the same config, or train into a new --out directory");
            }
        }

        void appendMetrics(Map<String, Object> line) {
            try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                w.write(Json.line(line));
                w.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Replaces metrics.jsonl with {@code lines} (whole lines, each ending in a newline). */
        void writeMetrics(String lines) {
            Files2.writeAtomic(dir.resolve("metrics.jsonl"), lines);
        }

        /** Drops metrics lines past the checkpoint's step: the resumed run writes them again. */
        void truncateMetrics(int step) {
            Path f = dir.resolve("metrics.jsonl");
            if (!Files.exists(f)) return;
            try {
                StringBuilder keep = new StringBuilder();
                for (String line : Files.readAllLines(f)) {
                    if (line.isBlank()) continue;
                    try {
                        if (Json.MAPPER.readTree(line).path("step").asLong() <= step) keep.append(line).append('\n');
                    } catch (IOException torn) {
                        // A line torn by a crash mid-write: drop it, the resumed run rewrites that step.
                    }
                }
                Files2.writeAtomic(f, keep.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void writeResult(RunResult r) {
            Files2.writeAtomic(dir.resolve("result.json"), Json.pretty(r));
        }
    }
}
