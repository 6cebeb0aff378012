package org.scalelab.trainer.cli;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.*;

import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.trainer.engine.Engine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.model.Pass;
import org.scalelab.datasets.CharTokenizer;
import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.TokenSource;
import org.scalelab.datasets.Tokenizer;
import org.scalelab.datasets.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code scalelab eval}: a trained run's loss on other corpora, through the run's own tokenizer.
 * Kaplan et al. found that loss on other distributions tracks the training distribution's with a
 * roughly constant offset; this is how to measure it. Results accumulate in the run's {@code eval.json}.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a run's latest checkpoint on the validation split of one or more corpora.",
        footer = {"", "Examples:", "  scalelab eval --run runs/L2-d64-h2-T64-0123456789 --corpus synthetic:seed=2 --corpus other.txt",
                "  scalelab eval --run runs/shakespeare --corpus data/shakespeare_char --corpus 'plays/*.txt' --corpus tinyshakespeare",
                "  scalelab eval --sweep experiments/kaplan-tiny --corpus synthetic:seed=1,zipf=0.3   # every finished run; the report plots it"})
public final class EvalCommand implements Callable<Integer> {
    @picocli.CommandLine.ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run directory.")
        Path run;

        @Option(names = "--sweep", required = true, paramLabel = "DIR", description = "A sweep directory: every finished run under DIR/runs.")
        Path sweep;
    }

    @Option(names = "--corpus", required = true, paramLabel = "CORPUS",
            description = "Anything data.corpus takes: a text file, folder, glob or FILE.jsonl[#field], a token store or nanoGPT folder, "
                    + "a catalogue name or synthetic[:settings] (repeatable).")
    List<String> corpora;

    @Option(names = "--batches", defaultValue = "16", description = "Evaluation batches of 8 windows each (default: ${DEFAULT-VALUE}).")
    int batches;

    @Override
    public Integer call() throws Exception {
        if (batches <= 0) throw new UserError("--batches must be > 0");
        if (target.run != null) {
            evalRun(target.run);
            return 0;
        }
        Path runs = target.sweep.resolve("runs");
        if (!Files.isDirectory(runs)) throw new UserError(target.sweep + ": no runs/ folder; give a sweep directory (or --run for one run)");
        List<Path> dirs;
        try (var s = Files.list(runs)) {
            dirs = s.filter(d -> Files.isRegularFile(d.resolve("result.json"))).sorted().toList();
        }
        int n = 0;
        for (Path d : dirs) {
            if (!Json.MAPPER.readTree(d.resolve("result.json").toFile()).path("status").asText().equals("done")) continue;
            System.out.println(d.getFileName() + ":");
            evalRun(d);
            n++;
        }
        System.out.println(n + " finished run(s) evaluated; `scalelab report " + target.sweep + "` plots their losses against each other");
        return 0;
    }

    private void evalRun(Path run) throws Exception {
        RunConfig cfg = Specs.readConfig(run.resolve("spec.json"));
        Path ck = run.resolve("checkpoint");
        if (!Checkpoint.exists(ck)) throw new UserError(ck + ": no checkpoint yet; train the run first");
        Engine engine = Engines.fresh(cfg.model(), DataType.FLOAT, cfg.train().seed(), Pass.Options.defaults());
        Checkpoint.load(ck, engine.weights().byName(), null);
        Tokenizer tok = org.scalelab.datasets.Tokenizers.load(run.resolve("tokenizer.json"));
        Path out = run.resolve("eval.json");
        Map<String, Object> all = new LinkedHashMap<>();
        if (Files.exists(out)) Json.MAPPER.readTree(out.toFile()).fields().forEachRemaining(e -> all.put(e.getKey(), e.getValue()));
        for (String c : corpora) {
            TokenSource val = validationTokens(c, cfg.data().valFraction(), tok);
            int T = cfg.model().nCtx();
            if (val.size() < T + 1) throw new UserError(c + ": validation split has " + val.size() + " tokens, fewer than nCtx+1 = " + (T + 1));
            double loss = Trainer.evaluate(engine, val, Trainer.evalPositions(val, batches, 8, T, new Rng(12345)), T);
            System.out.printf(Locale.ROOT, "%-60s %.4f nats/token%n", c, loss);
            all.put(c, Map.of("val_loss", loss, "val_tokens", val.size(), "windows", batches * 8));
        }
        Files2.writeAtomic(out, Json.pretty(all));
    }

    /**
     * The corpus' validation tokens in the run's vocabulary. The corpus is resolved as {@code data.corpus}
     * is (a catalogue name, a token store or nanoGPT folder, a text file, folder, glob or .jsonl, synthetic),
     * split as a run splits it with the run's valFraction; text is encoded with the run's tokenizer, and a
     * store or the synthetic corpus must have that very tokenizer.
     */
    public static TokenSource validationTokens(String corpus, double valFraction, Tokenizer tok) {
        return Dataset.open(new DataSpec(corpus, "auto", valFraction, 0, DataSpec.DEFAULT.seed()), tok).val();
    }
}
