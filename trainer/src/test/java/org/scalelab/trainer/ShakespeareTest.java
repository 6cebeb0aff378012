package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.TokenSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A short run on real text learns more than character frequencies: its validation loss ends below the
 * unigram entropy of the training split (≈ 3.3 nats/char), which no model ignoring context can beat.
 * The full-length run (val loss below 2.0 nats/char) is in the README; this one is cut short for CI.
 */
class ShakespeareTest {

    @Test
    void shortRunBeatsTheUnigramEntropy(@TempDir Path tmp) throws IOException {
        var src = TestCorpora.tinyShakespeare();
        Assumptions.assumeTrue(src.isPresent(), "shared/corpora/tinyshakespeare.txt not found");
        Path corpus = tmp.resolve("shakespeare-300k.txt");
        Files.writeString(corpus, Files.readString(src.get()).substring(0, 300_000));
        RunConfig cfg = ConfigLoader.load(null, List.of("data.corpus=" + corpus, "model.nLayer=2", "model.dModel=64",
                "model.nHead=2", "model.nCtx=32", "train.steps=150", "train.batchSize=16", "train.lr=3e-3",
                "train.warmupSteps=20", "train.evalEvery=75", "train.evalBatches=4", "train.checkpointEvery=0"));
        Trainer.Prepared prep = Trainer.prepare(cfg);
        RunResult r = Trainer.train(prep, tmp.resolve("run"), Trainer.Options.defaults());
        assertEquals("done", r.status());
        double unigram = unigramEntropy(prep.data().train(), prep.config().model().nVocab());
        System.out.printf("val loss %.4f nats/char vs unigram entropy %.4f%n", r.finalValLoss(), unigram);
        assertTrue(r.finalValLoss() < unigram - 0.2, "val " + r.finalValLoss() + " vs unigram " + unigram);
        // the files a run promises
        for (String f : new String[]{"spec.json", "metrics.jsonl", "result.json", "tokenizer.json", "checkpoint/LATEST"}) {
            assertTrue(Files.exists(tmp.resolve("run").resolve(f)), f);
        }
        String sample = Generator.load(tmp.resolve("run")).generate("ROMEO:", 40, 0.8, 0, 1);
        assertEquals(40, sample.length());
    }

    static double unigramEntropy(TokenSource s, int vocab) {
        long[] counts = new long[vocab];
        for (long i = 0; i < s.size(); i++) counts[s.get(i)]++;
        double h = 0;
        for (long c : counts) if (c > 0) h -= c / (double) s.size() * Math.log(c / (double) s.size());
        return h;
    }

}
