package org.scalelab.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each bad input: exit code 2 and exactly one line on stderr that names the culprit; no stack trace. */
class BadInputTest {
    @TempDir
    Path tmp;

    private record Outcome(int code, String err) {}

    private Outcome run(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
        return new Outcome(code, err.toString());
    }

    private void assertOneLineError(Outcome o, String... mustContain) {
        assertEquals(2, o.code(), o.err());
        String[] lines = o.err().strip().split("\n");
        assertEquals(1, lines.length, "expected one line, got:\n" + o.err());
        assertTrue(lines[0].startsWith("error: "), lines[0]);
        for (String s : mustContain) assertTrue(lines[0].contains(s), "'" + s + "' missing in: " + lines[0]);
    }

    private Path corpus(String text) throws IOException {
        Path f = tmp.resolve("c.txt");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void missingCorpusFile() {
        assertOneLineError(run("train", "--set", "data.corpus=" + tmp.resolve("nope.txt")), "nope.txt", "no such file");
    }

    @Test
    void emptyCorpusFile() throws IOException {
        assertOneLineError(run("train", "--set", "data.corpus=" + corpus("")), "c.txt", "empty");
    }

    @Test
    void corpusShorterThanOneWindow() throws IOException {
        assertOneLineError(run("train", "--set", "data.corpus=" + corpus("to be or not to be, that is the question"),
                "--set", "model.nCtx=64"), "c.txt", "nCtx");
    }

    @Test
    void unknownConfigKeyInFile() throws IOException {
        Path cfg = tmp.resolve("run.yaml");
        Files.writeString(cfg, "model:\n  nLayers: 4\n");
        assertOneLineError(run("train", "--config", cfg.toString()), "run.yaml", "model.nLayers", "model.nLayer");
    }

    @Test
    void unknownKeyInSet() {
        assertOneLineError(run("train", "--set", "train.stepz=10"), "train.stepz", "train.steps");
    }

    @Test
    void invalidSizes() throws IOException {
        Path c = corpus("abcdefghij".repeat(200));
        assertOneLineError(run("train", "--set", "data.corpus=" + c, "--set", "model.dModel=30", "--set", "model.nHead=4"),
                "model.dModel", "model.nHead");
        assertOneLineError(run("train", "--set", "data.corpus=" + c, "--set", "model.nLayer=-1"), "model.nLayer", "> 0");
        assertOneLineError(run("train", "--set", "data.corpus=" + c, "--set", "train.steps=abc"), "train.steps");
    }

    @Test
    void invalidUtf8() throws IOException {
        Path f = tmp.resolve("latin1.txt");
        Files.write(f, new byte[]{'a', 'b', (byte) 0xE9, 'c'});
        assertOneLineError(run("train", "--set", "data.corpus=" + f), "latin1.txt", "UTF-8");
    }

    @Test
    void generateFromMissingRun() {
        assertOneLineError(run("generate", "--run", tmp.resolve("no-run").toString()), "no-run");
    }
}
