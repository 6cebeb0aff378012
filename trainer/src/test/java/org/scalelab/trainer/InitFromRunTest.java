package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A run started from another run's weights begins where the parent ended and records its lineage. */
class InitFromRunTest {

    private static List<String> cfg(Path corpus, String... extra) {
        List<String> o = new ArrayList<>(List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16",
                "model.nHead=2", "model.nCtx=8", "train.batchSize=4", "train.lr=3e-3", "train.warmupSteps=0",
                "train.evalEvery=10", "train.evalBatches=2", "train.checkpointEvery=0"));
        o.addAll(List.of(extra));
        return o;
    }

    @Test
    void childStartsFromParentWeights(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path parent = tmp.resolve("parent"), child = tmp.resolve("child");
        RunResult p = Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=30"))), parent,
                Trainer.Options.defaults());
        // Same corpus and eval seed: the child's evaluation at step 0 sees the parent's final weights.
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=5", "train.init=" + parent))),
                child, Trainer.Options.defaults());
        var first = Json.MAPPER.readTree(Files.readAllLines(child.resolve("metrics.jsonl")).get(0));
        assertEquals(0, first.get("step").asInt());
        assertEquals(p.finalValLoss(), first.get("val_loss").asDouble(), 1e-6);
        var parentFirst = Json.MAPPER.readTree(Files.readAllLines(parent.resolve("metrics.jsonl")).get(0));
        assertTrue(first.get("val_loss").asDouble() < parentFirst.get("val_loss").asDouble() - 0.1,
                "child starts below a random initialisation: " + first + " vs " + parentFirst);
        var lineage = Json.MAPPER.readTree(child.resolve("spec.json").toFile()).get("lineage");
        assertEquals(p.runId(), lineage.get("parent_run_id").asText());
        assertEquals(30, lineage.get("parent_step").asInt());
    }

    @Test
    void parentOfAnotherShapeIsRefused(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path parent = tmp.resolve("parent");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=2"))), parent, Trainer.Options.defaults());
        var prep = Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=2", "model.dModel=32", "train.init=" + parent)));
        UserError e = assertThrows(UserError.class, () -> Trainer.train(prep, tmp.resolve("child"), Trainer.Options.defaults()));
        assertTrue(e.getMessage().contains("train.init") && e.getMessage().contains("dModel=16"), e.getMessage());
    }

    /**
     * A child on another text uses the parent's char tokenizer: a text in a subset of the parent's
     * characters trains with the parent's ids (its own alphabet would have given other ids and another
     * vocabulary size); a text of the same vocabulary size but one character the parent never saw is
     * refused, naming both vocabularies and the fix.
     */
    @Test
    void childUsesTheParentsTokenizerOrIsRefused(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path parent = tmp.resolve("parent");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=3"))), parent, Trainer.Options.defaults());
        String text = Files.readString(corpus);
        Path subset = Files.writeString(tmp.resolve("subset.txt"), text.replace("k", "").replace("v", ""));
        var prep = Trainer.prepare(ConfigLoader.load(null, cfg(subset, "train.steps=2", "train.init=" + parent)));
        var own = org.scalelab.datasets.CharTokenizer.fit(Files.readString(subset));
        var theirs = org.scalelab.datasets.Tokenizers.load(parent.resolve("tokenizer.json"));
        assertTrue(own.vocabSize() < theirs.vocabSize(), "the subset's own vocabulary is smaller");
        assertEquals(theirs, prep.data().tokenizer());
        assertEquals(theirs.vocabSize(), prep.config().model().nVocab());
        int[] ids = new int[20];
        prep.train().read(0, ids, 0, ids.length);
        assertEquals(Files.readString(subset).substring(0, 20), theirs.decode(ids), "ids are the parent's");
        Path child = tmp.resolve("child");
        Trainer.train(prep, child, Trainer.Options.defaults());
        assertEquals(theirs, org.scalelab.datasets.Tokenizers.load(child.resolve("tokenizer.json")));
        var lineage = Json.MAPPER.readTree(child.resolve("spec.json").toFile()).get("lineage");
        assertEquals("char", lineage.get("parent_tokenizer").asText());
        assertEquals(theirs.vocabSize(), lineage.get("parent_vocab_size").asInt());

        // same number of distinct characters as the parent's text, but 'k' is now 'Z'
        Path shifted = Files.writeString(tmp.resolve("shifted.txt"), text.replace('k', 'Z'));
        assertEquals(theirs.vocabSize(), org.scalelab.datasets.CharTokenizer.fit(Files.readString(shifted)).vocabSize());
        UserError e = assertThrows(UserError.class,
                () -> Trainer.prepare(ConfigLoader.load(null, cfg(shifted, "train.steps=2", "train.init=" + parent))));
        String m = e.getMessage();
        assertTrue(m.contains("char, " + theirs.vocabSize() + " symbols") && m.contains("1 character ('Z')")
                && m.contains("data.tokenizer=byte") && m.contains(parent.toString()), m);
    }

    /** A byte-level parent encodes any text, so its child fine-tunes on a text with other characters as is. */
    @Test
    void aByteParentsChildTakesAnyText(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path parent = tmp.resolve("parent");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=2", "data.tokenizer=byte"))), parent,
                Trainer.Options.defaults());
        Path other = Files.writeString(tmp.resolve("other.txt"), Files.readString(corpus).toUpperCase().replace('E', 'é'));
        var prep = Trainer.prepare(ConfigLoader.load(null, cfg(other, "train.steps=2", "train.init=" + parent)));
        assertEquals("byte", prep.data().tokenizer().kind());
        assertEquals(256, prep.config().model().nVocab());
        UserError e = assertThrows(UserError.class, () -> Trainer.prepare(ConfigLoader.load(null,
                cfg(other, "train.steps=2", "data.tokenizer=bpe:300", "train.init=" + parent))));
        assertTrue(e.getMessage().contains("data.tokenizer 'bpe:300'") && e.getMessage().contains("byte"), e.getMessage());
    }

    /**
     * Synthetic corpora share their tokenizer: a shifted mixture keeps the parent's ids, a smaller
     * vocabulary maps onto the parent's, a larger one is refused.
     */
    @Test
    void syntheticChildrenShareTheParentsVocabulary(@TempDir Path tmp) throws IOException {
        Path parent = tmp.resolve("parent");
        List<String> base = List.of("model.nLayer=1", "model.dModel=16", "model.nHead=2", "model.nCtx=8", "train.batchSize=4",
                "train.evalEvery=10", "train.evalBatches=2", "train.checkpointEvery=0", "train.warmupSteps=0");
        List<String> p = new ArrayList<>(base);
        p.addAll(List.of("data.corpus=synthetic:tokens=20000,vocab=32", "train.steps=2"));
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, p)), parent, Trainer.Options.defaults());
        for (String c : List.of("synthetic:tokens=20000,vocab=32,zipf=0.3,seed=7", "synthetic:tokens=20000,vocab=16")) {
            List<String> k = new ArrayList<>(base);
            k.addAll(List.of("data.corpus=" + c, "train.steps=2", "train.init=" + parent));
            var prep = Trainer.prepare(ConfigLoader.load(null, k));
            assertEquals(32, prep.config().model().nVocab(), c);
            var own = org.scalelab.datasets.SyntheticCorpus.dataset(c);
            int[] a = new int[50], b = new int[50];
            own.val().read(0, a, 0, 50);
            prep.data().val().read(0, b, 0, 50);
            assertEquals(own.tokenizer().decode(a), prep.data().tokenizer().decode(b), c + ": the same symbols");
        }
        List<String> k = new ArrayList<>(base);
        k.addAll(List.of("data.corpus=synthetic:tokens=20000,vocab=48", "train.steps=2", "train.init=" + parent));
        UserError e = assertThrows(UserError.class, () -> Trainer.prepare(ConfigLoader.load(null, k)));
        assertTrue(e.getMessage().contains("char, 48 symbols") && e.getMessage().contains("char, 32 symbols"), e.getMessage());
    }

    /**
     * train.init as a sweep reference: a run id or its prefix, the best run, the best run at the N
     * closest to a target; the lineage records the reference and what it selected.
     */
    @Test
    void sweepReferencesSelectARunAndAreRecorded(@TempDir Path tmp) throws IOException {
        Path corpus = TestCorpora.writeText(tmp, 5_000);
        Path sweep = tmp.resolve("sweep"), runs = sweep.resolve("runs");
        List<RunResult> rs = new ArrayList<>();
        for (String[] v : new String[][]{{"16", "1"}, {"16", "2"}, {"24", "1"}}) {
            var prep = Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=" + (v[1].equals("1") ? 2 : 4),
                    "model.dModel=" + v[0], "train.seed=" + v[1])));
            rs.add(Trainer.train(prep, runs.resolve(prep.runId()), Trainer.Options.defaults()));
        }
        RunResult small = rs.get(0).bestValLoss() < rs.get(1).bestValLoss() ? rs.get(0) : rs.get(1);
        RunResult best = rs.stream().min(java.util.Comparator.comparingDouble(RunResult::bestValLoss)).orElseThrow();
        assertEquals(best.runId(), Lineage.resolve("sweep:" + sweep + "#best").runDir().getFileName().toString());
        assertEquals(small.runId(), Lineage.resolve("sweep:" + sweep + "#best@N=" + rs.get(0).nonEmbeddingParams()).runDir().getFileName().toString());
        assertEquals(rs.get(2).runId(), Lineage.resolve("sweep:" + sweep + "#best@N=1e9").runDir().getFileName().toString(), "the largest N");
        assertEquals(rs.get(2).runId(), Lineage.resolve("sweep:" + sweep + "#" + rs.get(2).runId()).runDir().getFileName().toString());
        UserError e = assertThrows(UserError.class, () -> Lineage.resolve("sweep:" + sweep + "#L1-"));
        assertTrue(e.getMessage().contains("3 runs of"), e.getMessage());
        e = assertThrows(UserError.class, () -> Lineage.resolve("sweep:" + tmp.resolve("nowhere") + "#best"));
        assertTrue(e.getMessage().contains("not a sweep directory"), e.getMessage());

        Path child = tmp.resolve("child");
        String ref = "sweep:" + sweep + "#best@N=" + rs.get(0).nonEmbeddingParams();
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, cfg(corpus, "train.steps=2", "train.init=" + ref))), child,
                Trainer.Options.defaults());
        var lineage = Json.MAPPER.readTree(child.resolve("spec.json").toFile()).get("lineage");
        assertEquals(ref, lineage.get("init_ref").asText());
        assertEquals(small.runId(), lineage.get("parent_run_id").asText());
        assertEquals("best@N=" + rs.get(0).nonEmbeddingParams(), lineage.get("parent_selected_by").asText());
        assertEquals(small.bestValLoss(), lineage.get("parent_best_val_loss").asDouble(), 1e-12);
    }

    /**
     * The run id hashes train.init relative to the output folder: the same parent under a moved (or
     * differently spelled) folder gives the same id, another parent another id; runs without init keep
     * the id they always had.
     */
    @Test
    void runIdsHashTheParentRelativeToTheOutputFolder(@TempDir Path tmp) {
        java.util.function.BiFunction<String, String, String> id = (out, init) ->
                RunIds.of(ConfigLoader.load(null, List.of("data.corpus=x.txt", "out=" + out, "train.init=" + init)));
        String a = id.apply(tmp + "/a/runs", tmp + "/a/runs/L1-parent");
        assertEquals(a, id.apply(tmp + "/b/runs", tmp + "/b/runs/L1-parent"));
        assertEquals(a, id.apply(tmp + "/b/runs", tmp + "/b/runs/L1-parent/checkpoint"));
        assertEquals(a, id.apply(tmp + "/a/./runs", tmp + "/a/runs/../runs/L1-parent"));
        assertTrue(!a.equals(id.apply(tmp + "/a/runs", tmp + "/a/runs/L1-other")));
        assertEquals(id.apply("x/runs", "sweep:x/pre#best"), id.apply("y/z/runs", "sweep:y/z/pre#best"));
        RunConfig plain = ConfigLoader.load(null, List.of("data.corpus=x.txt", "out=" + tmp));
        assertEquals(RunIds.legacyOf(plain), RunIds.of(plain));
        RunConfig child = ConfigLoader.load(null, List.of("data.corpus=x.txt", "out=" + tmp, "train.init=" + tmp + "/p"));
        assertTrue(!RunIds.legacyOf(child).equals(RunIds.of(child)), "the legacy id hashed the path as written");
    }
}
