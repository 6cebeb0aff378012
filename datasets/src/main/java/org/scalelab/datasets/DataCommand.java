package org.scalelab.datasets;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code scalelab data …}: look at a corpus the way a run will see it. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Corpora: describe what a run would train on.",
        subcommands = {DataCommand.Info.class})
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Tokenizer, vocabulary, split sizes and, for the synthetic corpus, its exact loss floor.",
            footer = {"", "Examples:", "  scalelab data info synthetic", "  scalelab data info synthetic:langs=32,vocab=128",
                    "  scalelab data info input.txt --val-fraction 0.05", "  scalelab data info input.txt --json"})
    static final class Info implements Callable<Integer> {
        @Parameters(paramLabel = "CORPUS", description = "A text file, or synthetic[:settings].") String corpus;
        @Option(names = "--val-fraction", defaultValue = "0.1", description = "Validation fraction of a text file (default: ${DEFAULT-VALUE}).") double valFraction;
        @Option(names = "--json", description = "Print JSON.") boolean json;

        @Override
        public Integer call() {
            Dataset d = Dataset.open(new DataSpec(corpus, "char", valFraction, 0, DataSpec.DEFAULT.seed()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("corpus", d.name());
            m.put("tokenizer", d.tokenizer().kind());
            m.put("vocab_size", d.tokenizer().vocabSize());
            m.put("train_tokens", d.train().size());
            m.put("val_tokens", d.val().size());
            m.put("uniform_loss_nats", Math.log(d.tokenizer().vocabSize()));
            if (d.lossFloorNats().isPresent()) m.put("loss_floor_nats", d.lossFloorNats().getAsDouble());
            if (json) {
                System.out.print(Json.pretty(m));
            } else {
                m.forEach((k, v) -> System.out.printf(java.util.Locale.ROOT, "%-18s %s%n", k, v instanceof Double x ? String.format(java.util.Locale.ROOT, "%.4f", x) : v));
            }
            return 0;
        }
    }
}
