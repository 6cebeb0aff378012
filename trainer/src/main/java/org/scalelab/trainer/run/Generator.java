package org.scalelab.trainer.run;

import org.scalelab.trainer.*;

import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.trainer.engine.Engine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.model.Pass;
import org.scalelab.datasets.CharTokenizer;
import org.scalelab.datasets.Tokenizer;
import org.scalelab.datasets.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Samples text from a trained run: the checkpoint's weights, the run's tokenizer, autoregressively. */
public final class Generator {
    private final Engine engine;
    private final Tokenizer tokenizer;

    public Generator(Engine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
    }

    /** Loads the latest checkpoint of a run directory. */
    public static Generator load(Path runDir) {
        if (!Files.isDirectory(runDir)) throw new UserError(runDir + ": no such run directory");
        RunConfig cfg = Specs.readConfig(runDir.resolve("spec.json"));
        Path ck = runDir.resolve("checkpoint");
        if (!Checkpoint.exists(ck)) throw new UserError(ck + ": no checkpoint yet; train the run first");
        Engine engine = Engines.fresh(cfg.model(), DataType.FLOAT, cfg.train().seed(), Pass.Options.defaults());
        Checkpoint.load(ck, engine.weights().byName(), null);
        return new Generator(engine, org.scalelab.datasets.Tokenizers.load(runDir.resolve("tokenizer.json")));
    }

    /**
     * Continues {@code prompt} by {@code n} tokens. Temperature 0 is greedy; topK 0 keeps the whole
     * vocabulary. The context is the last nCtx tokens; positions after it are padding that the causal
     * mask keeps from influencing the logits read.
     */
    public String generate(String prompt, int n, double temperature, int topK, long seed) {
        int T = engine.model().config().nCtx();
        int[] ids = prompt.isEmpty() ? new int[]{0} : tokenizer.encode(prompt);
        int[] all = Arrays.copyOf(ids, ids.length + n);
        int len = ids.length;
        Rng rng = new Rng(seed);
        for (int i = 0; i < n; i++) {
            int start = Math.max(0, len - T), ctx = len - start;
            int[] window = new int[T];
            System.arraycopy(all, start, window, 0, ctx);
            float[] logits = engine.logitsAt(window, ctx - 1);
            double[] row = new double[logits.length];
            for (int v = 0; v < row.length; v++) row[v] = logits[v];
            all[len++] = sample(row, temperature, topK, tokenizer.vocabSize(), rng);
        }
        return tokenizer.decode(Arrays.copyOfRange(all, ids.length, len));
    }

    static int sample(double[] logits, double temperature, int topK, int usable, Rng rng) {
        int V = Math.min(usable, logits.length);
        if (temperature <= 0) {
            int best = 0;
            for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
            return best;
        }
        double cutoff = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < V) {
            double[] sorted = Arrays.copyOf(logits, V);
            Arrays.sort(sorted);
            cutoff = sorted[V - topK];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) max = Math.max(max, logits[v]);
        double[] p = new double[V];
        double z = 0;
        for (int v = 0; v < V; v++) {
            p[v] = logits[v] < cutoff ? 0 : Math.exp((logits[v] - max) / temperature);
            z += p[v];
        }
        double u = rng.nextDouble() * z;
        for (int v = 0; v < V; v++) {
            u -= p[v];
            if (u <= 0 && p[v] > 0) return v;
        }
        return V - 1;
    }
}
