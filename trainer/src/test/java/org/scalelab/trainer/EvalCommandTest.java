package org.scalelab.trainer;

import org.scalelab.trainer.run.*;
import org.junit.jupiter.api.Test;
import org.scalelab.trainer.cli.*;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {

    @Test
    void evaluatesOnOtherCorporaThroughTheRunsTokenizer(@TempDir Path tmp) throws Exception {
        Path corpus = TestCorpora.writeText(tmp, 6_000);
        Path run = tmp.resolve("run");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16",
                "model.nHead=2", "model.nCtx=8", "train.steps=20", "train.batchSize=4", "train.evalEvery=20", "train.evalBatches=2"))),
                run, Trainer.Options.defaults());
        // the same text, shifted: every character is in the run's vocabulary
        Path other = tmp.resolve("other.txt");
        Files.writeString(other, Files.readString(corpus).substring(1000));
        assertEquals(0, new CommandLine(new EvalCommand()).execute("--run", run.toString(), "--corpus", other.toString(),
                "--batches", "2"));
        var eval = Json.MAPPER.readTree(run.resolve("eval.json").toFile()).get(other.toString());
        double loss = eval.get("val_loss").asDouble();
        assertTrue(loss > 0 && loss < Math.log(30), "loss " + loss);
        // same windows as Trainer.evaluate would draw: the numbers agree
        var tok = org.scalelab.datasets.CharTokenizer.load(run.resolve("tokenizer.json"));
        var val = EvalCommand.validationTokens(other.toString(), 0.1, tok);
        var engine = Models.graph(Specs.readConfig(run.resolve("spec.json")).model(), org.nd4j.linalg.api.buffer.DataType.FLOAT, 0);
        Checkpoint.load(run.resolve("checkpoint"), engine.weights().byName(), null);
        // through the graph engine: the CPU engine that `eval` ran computes the same loss
        assertEquals(loss, Trainer.evaluate(engine, val, Trainer.evalPositions(val, 2, 8, 8, new Rng(12345)), 8), 1e-5);

        // --sweep: every finished run under DIR/runs, the same number for the same run
        Path sweep = tmp.resolve("sweep");
        Files.createDirectories(sweep.resolve("runs"));
        Files.move(run, sweep.resolve("runs/r1"));
        Files.delete(sweep.resolve("runs/r1/eval.json"));
        assertEquals(0, new CommandLine(new EvalCommand()).execute("--sweep", sweep.toString(), "--corpus", other.toString(), "--batches", "2"));
        assertEquals(loss, Json.MAPPER.readTree(sweep.resolve("runs/r1/eval.json").toFile()).get(other.toString()).get("val_loss").asDouble(), 0);
        assertEquals(2, new CommandLine(new EvalCommand()).execute("--corpus", other.toString()), "--run or --sweep is required");

        Path foreign = tmp.resolve("foreign.txt");
        Files.writeString(foreign, "ñ".repeat(200));
        UserError e = assertThrows(UserError.class, () -> EvalCommand.validationTokens(foreign.toString(), 0.1, tok));
        assertTrue(e.getMessage().contains("not in the character vocabulary"), e.getMessage());
    }


    /** --corpus resolves as data.corpus does: folders, globs, JSONL and token stores, in the run's vocabulary. */
    @Test
    void evaluatesOnEveryKindOfCorpusARunCanTrainOn(@TempDir Path tmp) throws Exception {
        Path corpus = TestCorpora.writeText(tmp, 6_000);
        Path run = tmp.resolve("run");
        Trainer.train(Trainer.prepare(ConfigLoader.load(null, List.of("data.corpus=" + corpus, "model.nLayer=1", "model.dModel=16",
                "model.nHead=2", "model.nCtx=8", "train.steps=4", "train.batchSize=4", "train.evalBatches=1"))),
                run, Trainer.Options.defaults());
        var tok = org.scalelab.datasets.Tokenizers.load(run.resolve("tokenizer.json"));
        String text = Files.readString(corpus);

        // Text in any form: the validation text is the one a run on that corpus validates on, encoded with the run's tokenizer.
        Path books = Files.createDirectories(tmp.resolve("books"));
        Files.writeString(books.resolve("a.txt"), text.substring(0, 2500));
        Files.writeString(books.resolve("b.txt"), text.substring(2500, 5000));
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 40; i++) jsonl.append(Json.line(java.util.Map.of("body", text.substring(i * 100, i * 100 + 100)))).append('\n');
        Path stories = Files.writeString(tmp.resolve("stories.jsonl"), jsonl);
        for (String c : List.of(books.toString(), books + "/*.txt", stories + "#body")) {
            var own = org.scalelab.datasets.Dataset.open(new org.scalelab.datasets.DataSpec(c, "char", 0.1, 0, DataSpec.DEFAULT.seed()));
            var val = EvalCommand.validationTokens(c, 0.1, tok);
            assertEquals(decode(own.tokenizer(), own.val()), decode(tok, val), c);
            assertTrue(val.size() > 8, c + ": " + val.size() + " tokens");
        }

        // A store prepared from the run's own corpus has the run's character vocabulary: accepted, read as stored.
        Path same = tmp.resolve("store-char");
        org.scalelab.datasets.Prepare.toStore(corpus.toString(), org.scalelab.datasets.Prepare.Options.of("char", 0.1, 1), same, false);
        var storeVal = org.scalelab.datasets.Dataset.open(new org.scalelab.datasets.DataSpec(same.toString(), "auto", 0.1, 0, 1)).val();
        var evalVal = EvalCommand.validationTokens(same.toString(), 0.1, tok);
        assertEquals(storeVal.size(), evalVal.size());
        assertEquals(decode(tok, storeVal), decode(tok, evalVal));
        assertEquals(0, new CommandLine(new EvalCommand()).execute("--run", run.toString(), "--corpus", same.toString(), "--batches", "1"));
        double loss = Json.MAPPER.readTree(run.resolve("eval.json").toFile()).get(same.toString()).get("val_loss").asDouble();
        assertTrue(loss > 0 && loss < 2 * Math.log(tok.vocabSize()), "loss " + loss);

        // A store in another tokenizer, or in another character vocabulary, is refused with both named.
        Path bytes = tmp.resolve("store-byte");
        org.scalelab.datasets.Prepare.toStore(corpus.toString(), org.scalelab.datasets.Prepare.Options.of("byte", 0.1, 1), bytes, false);
        UserError e = assertThrows(UserError.class, () -> EvalCommand.validationTokens(bytes.toString(), 0.1, tok));
        assertTrue(e.getMessage().startsWith(bytes + ": its tokenizer is byte (256 ids) but the run's is char (" + tok.vocabSize() + " ids)"),
                e.getMessage());
        Path narrow = tmp.resolve("narrow.txt");
        Files.writeString(narrow, text.substring(0, 3000).replace("k", ""));
        Path other = tmp.resolve("store-other-chars");
        org.scalelab.datasets.Prepare.toStore(narrow.toString(), org.scalelab.datasets.Prepare.Options.of("char", 0.1, 1), other, false);
        e = assertThrows(UserError.class, () -> EvalCommand.validationTokens(other.toString(), 0.1, tok));
        assertTrue(e.getMessage().contains("its tokenizer is char (" + (tok.vocabSize() - 1) + " ids) but the run's is char ("
                + tok.vocabSize() + " ids)"), e.getMessage());
        // The synthetic corpus has its own vocabulary too.
        e = assertThrows(UserError.class, () -> EvalCommand.validationTokens("synthetic:tokens=20000,val=5000", 0.1, tok));
        assertTrue(e.getMessage().contains("synthetic:tokens=20000,val=5000: its tokenizer is char (64 ids)"), e.getMessage());
        // Text with a character the run never saw names the corpus.
        Path foreign = Files.writeString(tmp.resolve("foreign.txt"), "ñ".repeat(200));
        e = assertThrows(UserError.class, () -> EvalCommand.validationTokens(foreign.toString(), 0.1, tok));
        assertTrue(e.getMessage().startsWith(foreign + ": character 'ñ'"), e.getMessage());
    }

    private static String decode(org.scalelab.datasets.Tokenizer t, org.scalelab.datasets.TokenSource s) {
        int[] a = new int[(int) s.size()];
        s.read(0, a, 0, a.length);
        return t.decode(a);
    }
}
