package org.scalelab.trainer.cli;

import org.scalelab.trainer.run.*;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code scalelab generate}: sample text from a trained run. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample text from a run's latest checkpoint.",
        footer = {"", "Example:", "  scalelab generate --run runs/L2-d64-h2-T64-0123456789 --prompt \"ROMEO:\" --tokens 200"})
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--run", required = true, paramLabel = "DIR", description = "Run directory.")
    Path run;

    @Option(names = "--prompt", defaultValue = "", description = "Text to continue (default: empty).")
    String prompt;

    @Option(names = "--tokens", defaultValue = "200", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Sample among the k most likely tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", defaultValue = "0", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (tokens < 0) throw new org.scalelab.datasets.UserError("--tokens must be ≥ 0, got " + tokens);
        Generator g = Generator.load(run);
        System.out.println(prompt + g.generate(prompt, tokens, temperature, topK, seed));
        return 0;
    }
}
