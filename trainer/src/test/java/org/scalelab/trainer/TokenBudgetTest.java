package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.TokenSource;
import org.scalelab.datasets.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a run with a token budget trains on, and what result.json and spec.json say about the data. */
class TokenBudgetTest {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
    private static final int BLOCKS = 10, HALF = Dataset.BUDGET_BLOCK / 2;

    /**
     * A corpus of 10 budget blocks; block i writes its first half with the two characters
     * ALPHABET[4i], ALPHABET[4i+1] and its second half with ALPHABET[4i+2], ALPHABET[4i+3]. With
     * valFraction 0.1 the last block is validation and the training split is 9 whole blocks.
     */
    private static Path blockCorpus(Path dir) throws IOException {
        Rng rng = new Rng(7);
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < BLOCKS; b++) {
            for (int half = 0; half < 2; half++) {
                for (int i = 0; i < HALF; i++) sb.append(ALPHABET.charAt(4 * b + 2 * half + (int) rng.nextLong(2)));
            }
        }
        return Files.writeString(dir.resolve("blocks.txt"), sb.toString());
    }

    /**
     * With data.tokens = D = half a block, every window the sampler draws lies in the first D tokens of
     * the shuffle: the untied token embedding of a character that never appears in an input window gets
     * no gradient, and without weight decay on embeddings AdamW leaves its row exactly at its initial
     * value. So exactly the two characters of one block's first half may move; the other 38 must not.
     */
    @Test
    void aRunWithBudgetDTrainsOnlyOnTheFirstDTokens(@TempDir Path tmp) throws IOException {
        Path corpus = blockCorpus(tmp);
        int steps = 24, batch = 8, ctx = 16;
        List<String> set = new ArrayList<>(List.of("data.corpus=" + corpus, "data.tokens=" + HALF, "model.nLayer=1", "model.dModel=32",
                "model.nHead=2", "model.nCtx=" + ctx, "model.tiedOutput=false", "train.batchSize=" + batch, "train.steps=" + steps,
                "train.lr=1e-2", "train.warmupSteps=2", "train.evalBatches=1", "train.checkpointEvery=0"));
        Trainer.Prepared prep = Trainer.prepare(ConfigLoader.load(null, set));
        Tokenizer tok = prep.data().tokenizer();
        assertEquals(ALPHABET.length(), tok.vocabSize());
        assertEquals(BLOCKS * 2L * HALF * 9 / 10, prep.data().train().size(), "the training split is 9 whole blocks");

        // The budget's tokens: the first half of one block, and all of it.
        TokenSource budget = prep.train();
        assertEquals(HALF, budget.size());
        Set<Character> seen = new HashSet<>();
        int[] ids = new int[(int) budget.size()];
        budget.read(0, ids, 0, ids.length);
        for (char c : tok.decode(ids).toCharArray()) seen.add(c);
        assertEquals(2, seen.size(), "one block's first half: " + seen);
        int k = ALPHABET.indexOf(seen.iterator().next()) / 4;
        assertEquals(Set.of(ALPHABET.charAt(4 * k), ALPHABET.charAt(4 * k + 1)), seen);

        Path run = tmp.resolve("run");
        RunResult r = Trainer.train(prep, run, Trainer.Options.defaults());
        assertEquals("done", r.status());

        ModelConfig mc = prep.config().model();
        INDArray init = Models.cpu(mc, prep.config().train().seed()).weights().byName().get("wte");
        var trained = Models.cpu(mc, prep.config().train().seed()).weights().byName();
        Checkpoint.load(run.resolve("checkpoint"), trained, null);
        INDArray wte = trained.get("wte");
        Set<Character> moved = new HashSet<>();
        for (char c : ALPHABET.toCharArray()) {
            int id = tok.encode(String.valueOf(c))[0];
            if (!wte.getRow(id).equals(init.getRow(id))) moved.add(c);
        }
        assertEquals(seen, moved, "embedding rows that trained: exactly the characters of the budget");

        long trainedTokens = (long) steps * batch * ctx;
        assertEquals(trainedTokens, r.tokens());
        assertEquals(HALF, r.uniqueTokens());
        assertEquals(trainedTokens / (double) HALF, r.epochs(), 1e-12);
        JsonNode res = Json.MAPPER.readTree(run.resolve("result.json").toFile());
        assertEquals(HALF, res.get("unique_tokens").asLong());
        assertEquals(1.5, res.get("epochs").asDouble(), 1e-12);
        assertTrue(res.get("loss_floor").isNull() && res.get("loss_floor_ctx").isNull(), "no floor for a text corpus");
        JsonNode spec = Json.MAPPER.readTree(run.resolve("spec.json").toFile());
        assertEquals(HALF, spec.get("data").get("train_tokens").asLong());
    }

    /** A synthetic run records both floors: the whole-document one and the one at its nCtx, which lies above it. */
    @Test
    void aSyntheticRunRecordsTheFloorAtItsContextLength(@TempDir Path tmp) throws IOException {
        String corpus = "synthetic:tokens=20000,val=5000,langs=4,vocab=16";
        int ctx = 8;
        RunConfig cfg = ConfigLoader.load(null, List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16", "model.nHead=2",
                "model.nCtx=" + ctx, "train.batchSize=4", "train.steps=2", "train.evalBatches=1", "train.checkpointEvery=0"));
        Path run = tmp.resolve("run");
        RunResult r = Trainer.train(Trainer.prepare(cfg), run, Trainer.Options.defaults());
        Dataset d = Dataset.open(new DataSpec(corpus, "char", 0.1, 0, DataSpec.DEFAULT.seed()));
        double full = d.lossFloorNats().getAsDouble(), atCtx = d.lossFloorNats(ctx).getAsDouble();
        assertTrue(atCtx > full, "a window of " + ctx + " tokens knows less than the whole document: " + atCtx + " vs " + full);
        assertEquals(full, r.lossFloor(), 1e-12);
        assertEquals(atCtx, r.lossFloorCtx(), 1e-12);
        JsonNode res = Json.MAPPER.readTree(run.resolve("result.json").toFile());
        assertEquals(atCtx, res.get("loss_floor_ctx").asDouble(), 1e-12);
        JsonNode data = Json.MAPPER.readTree(run.resolve("spec.json").toFile()).get("data");
        assertEquals(full, data.get("loss_floor").asDouble(), 1e-12);
        assertEquals(atCtx, data.get("loss_floor_ctx").asDouble(), 1e-12);
    }
}
