package org.scalelab.trainer.cli;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.run.*;
import org.scalelab.trainer.*;

import org.scalelab.datasets.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** {@code scalelab train}: one run from a YAML config plus overrides. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train one decoder-only transformer and write a run directory "
                + "(spec.json, metrics.jsonl, result.json, checkpoint/).",
        footer = {"", "Examples:",
                "  scalelab train --config examples/shakespeare-char.yaml",
                "  scalelab train --config run.yaml --set model.nLayer=4 --set train.steps=2000",
                "  scalelab train --out runs/my-run --resume      (continue after Ctrl-C or a crash)",
                "", "Exit codes: 0 done, 2 bad input, 3 diverged, 130 interrupted (checkpoint written)."})
public final class TrainCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Run config (YAML); defaults when omitted.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key, e.g. train.steps=500 (repeatable).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: <out>/<run id> from the config).")
    Path out;

    @Option(names = "--resume", description = "Continue from the run directory's checkpoint.")
    boolean resume;

    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() {
        RunConfig cfg = ConfigLoader.load(config, sets);
        Trainer.Prepared prep = Trainer.prepare(cfg);
        Path dir = out != null ? out : Path.of(prep.config().out()).resolve(prep.runId());
        if (!resume && Checkpoint.exists(dir.resolve("checkpoint"))) {
            throw new UserError(dir + " already holds a run; pass --resume to continue it, or --out DIR for a new one");
        }
        if (!quiet) System.err.println(describe(prep, dir));
        AtomicBoolean stop = new AtomicBoolean(false);
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(120, TimeUnit.SECONDS);  // let the loop write its checkpoint before the JVM exits
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "checkpoint-on-exit");
        Runtime.getRuntime().addShutdownHook(hook);
        RunResult r;
        try {
            Progress progress = quiet ? Progress.silent() : Progress.forConsole(prep.config().train().steps(), prep.runId());
            r = Trainer.train(prep, dir, new Trainer.Options(resume, progress, stop, 0));
        } finally {
            finished.countDown();
        }
        if (!stop.get()) Runtime.getRuntime().removeShutdownHook(hook);
        if (!quiet) System.err.println(summary(r, dir));
        return switch (r.status()) {
            case "done" -> 0;
            case "diverged" -> 3;
            default -> 130;
        };
    }

    static String describe(Trainer.Prepared p, Path dir) {
        ModelConfig m = p.config().model();
        TrainConfig t = p.config().train();
        Accounting a = p.acc();
        long tps = (long) t.batchSize() * m.nCtx();
        double D = (double) t.steps() * tps;
        return String.format(Locale.ROOT,
                "run %s -> %s%n  model: nLayer=%d dModel=%d nHead=%d dFf=%d nCtx=%d nVocab=%d%n"
                        + "  N (non-embedding) = %,d   N_total = %,d   12·nLayer·dModel² = %,d%n"
                        + "  data: %s, %,d train / %,d val tokens (%s)%n"
                        + "  tokens per step = %,d (batch %d × nCtx %d, %d micro-batch(es))   D = %.3g tokens = %.2f epochs%n"
                        + "  C = 6·N·D = %.3g FLOP (%.3g PF-days)",
                p.runId(), dir, m.nLayer(), m.dModel(), m.nHead(), m.ff(), m.nCtx(), m.nVocab(),
                a.nonEmbedding(), a.total(), a.kaplanApprox(), p.data().name(), p.train().size(), p.data().val().size(),
                p.data().tokenizer().kind(), tps, t.batchSize(), m.nCtx(), t.accumulation(), D, D / p.train().size(),
                a.trainingFlops(D), a.trainingFlops(D) / Accounting.PF_DAY);
    }

    static String summary(RunResult r, Path dir) {
        return String.format(Locale.ROOT, "%s: %s after %d/%d steps, val loss %s (best %s at step %d), %.0f s, %s tok/s -> %s",
                r.runId(), r.status(), r.stepsDone(), r.steps(), fmt(r.finalValLoss()), fmt(r.bestValLoss()), r.bestStep(),
                r.wallSeconds(), Progress.human(r.tokensPerSecond()), dir.resolve("result.json"));
    }

    private static String fmt(Double x) {
        return x == null ? "n/a" : String.format(Locale.ROOT, "%.4f", x);
    }
}
