package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
        Gpt gpt = Gpt.build(Specs.readConfig(run.resolve("spec.json")).model(), org.nd4j.linalg.api.buffer.DataType.FLOAT, 0);
        Checkpoint.load(run.resolve("checkpoint"), gpt.paramArrays(), null);
        assertEquals(loss, Trainer.evaluate(gpt, val, Trainer.evalPositions(val, 2, 8, 8, new Rng(12345)), 8, gpt.config().nVocab()), 1e-9);

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

}
