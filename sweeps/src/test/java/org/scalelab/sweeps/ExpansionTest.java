package org.scalelab.sweeps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExpansionTest {

    @Test
    void gridZipAndPointsMultiply(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  model.nLayer: [1, 2]\n  train.seed: [1, 2, 3]\n"
                + "zip:\n  model.dModel: [16, 32]\n  model.nHead: [2, 4]\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), tmp.resolve("runs").toString());
        assertEquals(2 * 3 * 2, pts.size());
        Set<String> pairs = pts.stream().map(p -> p.config().model().dModel() + "/" + p.config().model().nHead()).collect(Collectors.toSet());
        assertEquals(Set.of("16/2", "32/4"), pairs, "zipped axes move together");
        assertEquals(pts.size(), new HashSet<>(pts.stream().map(Expansion.Point::runId).toList()).size(), "distinct ids");
    }

    @Test
    void idsAreStableAndIndependentOfAxisOrder(@TempDir Path tmp) throws IOException {
        Path a = SweepTestSupport.spec(tmp.resolve(""), "grid:\n  model.nLayer: [1, 2]\n  train.seed: [1, 2]\n");
        Set<String> first = ids(a, tmp);
        assertEquals(first, ids(a, tmp), "same spec, same ids");
        Files.writeString(a, Files.readString(a).replace("grid:\n  model.nLayer: [1, 2]\n  train.seed: [1, 2]\n",
                "grid:\n  train.seed: [2, 1]\n  model.nLayer: [2, 1]\n"));
        assertEquals(first, ids(a, tmp), "reordered axes, same ids");
    }

    private static Set<String> ids(Path spec, Path tmp) {
        return Expansion.expand(SweepSpec.read(spec), tmp.resolve("runs").toString()).stream()
                .map(Expansion.Point::runId).collect(Collectors.toSet());
    }

    @Test
    void shapeFamiliesHitTheirTargets() {
        for (double n : new double[]{1e4, 1e5, 1e6, 1e7}) {
            Shapes.Shape s = Shapes.resolve("standard", n, 16, 16), d = Shapes.resolve("deepnarrow", n, 16, 16);
            assertEquals(1.0, s.kaplanN() / n, 0.35, s.toString());
            assertEquals(1.0, d.kaplanN() / n, 0.35, d.toString());
            assertTrue(d.nLayer() > s.nLayer() && d.dModel() < s.dModel(), "deepnarrow is deeper and narrower: " + s + " " + d);
            assertEquals(0, s.dModel() % 16);
            assertEquals(s.dModel() / 16, s.nHead());
        }
    }

    @Test
    void shardsCoverEveryRunExactlyOnce(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  model.nLayer: [1, 2, 3]\n  train.seed: [1, 2, 3, 4, 5]\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), tmp.resolve("runs").toString());
        for (int n : new int[]{1, 2, 4, 7, 20}) {
            List<String> all = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) Runner.shard(pts, i, n).forEach(p -> all.add(p.runId()));
            assertEquals(pts.size(), all.size(), n + " shards");
            assertEquals(pts.size(), new HashSet<>(all).size(), n + " shards, no run twice");
        }
    }

    @Test
    void badSpecsNameTheLine(@TempDir Path tmp) throws IOException {
        UserError unknownKey = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(
                SweepTestSupport.spec(tmp, "grid:\n  model.nLayr: [1, 2]\n")), "runs"));
        assertTrue(unknownKey.getMessage().contains("spec.yaml:7:") && unknownKey.getMessage().contains("model.nLayr"), unknownKey.getMessage());
        UserError impossible = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(
                SweepTestSupport.spec(tmp, "grid:\n  model.nHead: [3]\n")), "runs"));
        assertTrue(impossible.getMessage().contains("spec.yaml:7:") && impossible.getMessage().contains("divisible"), impossible.getMessage());
        UserError empty = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(
                SweepTestSupport.spec(tmp, "grid:\n  model.nLayer: []\n")), "runs"));
        assertTrue(empty.getMessage().contains("spec.yaml:7:") && empty.getMessage().contains("empty"), empty.getMessage());
        UserError zip = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(
                SweepTestSupport.spec(tmp, "zip:\n  model.dModel: [16, 32]\n  model.nHead: [2]\n")), "runs"));
        assertTrue(zip.getMessage().contains("spec.yaml:8:"), zip.getMessage());
        UserError section = assertThrows(UserError.class, () -> SweepSpec.read(SweepTestSupport.spec(tmp, "gird:\n  a: [1]\n")));
        assertTrue(section.getMessage().contains("spec.yaml:6:") && section.getMessage().contains("gird"), section.getMessage());
    }

    /** Golden ids: if this fails, every existing sweep directory would stop resuming (its runs get new ids). */
    @Test
    void runIdsDoNotChangeAcrossVersions(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("golden.yaml");
        Files.writeString(f, "name: golden\nbase:\n  data: {corpus: \"synthetic:tokens=20000\"}\n"
                + "  model: {nLayer: 1, dModel: 16, nHead: 2, nCtx: 8}\n  train: {steps: 6, batchSize: 4}\n"
                + "grid:\n  train.seed: [1, 2]\n");
        List<String> ids = Expansion.expand(SweepSpec.read(f), tmp.resolve("a/runs").toString()).stream().map(Expansion.Point::runId).toList();
        assertEquals(List.of(GOLDEN_1, GOLDEN_2), ids, "a change to the run config's fields or to RunIds changes every run id");
        List<String> elsewhere = Expansion.expand(SweepSpec.read(f), "/elsewhere/runs").stream().map(Expansion.Point::runId).toList();
        assertEquals(ids, elsewhere, "ids do not depend on the sweep directory");
    }

    static final String GOLDEN_1 = "L1-d16-h2-T8-7714c97fa8", GOLDEN_2 = "L1-d16-h2-T8-ca156aa9b6";

    @Test
    void shapeFamiliesInASpec(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "shapes:\n  family: [standard, deepnarrow]\n  N: [2e4, 1e5]\n  aspect: 16\n  headSize: 8\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), "runs");
        assertEquals(4, pts.size());
        for (String n : List.of("20000", "100000")) {
            Expansion.Point std = pts.stream().filter(p -> p.coords().get("target_N").equals(n) && p.coords().get("family").equals("standard")).findFirst().orElseThrow();
            Expansion.Point deep = pts.stream().filter(p -> p.coords().get("target_N").equals(n) && p.coords().get("family").equals("deepnarrow")).findFirst().orElseThrow();
            long nStd = org.scalelab.trainer.model.Accounting.of(std.config().model().withVocab(1)).nonEmbedding();
            long nDeep = org.scalelab.trainer.model.Accounting.of(deep.config().model().withVocab(1)).nonEmbedding();
            assertEquals(1.0, nStd / Double.parseDouble(n), 0.25, "standard N " + nStd + " for target " + n);
            assertEquals(1.0, nDeep / Double.parseDouble(n), 0.25, "deepnarrow N " + nDeep + " for target " + n);
            assertTrue(deep.config().model().nLayer() > std.config().model().nLayer(), "deeper");
            assertEquals(8, std.config().model().headSize());
            assertEquals(8, deep.config().model().headSize());
        }
    }

    @Test
    void moreSpecMistakesNameTheirLine(@TempDir Path tmp) throws IOException {
        // lines: 1 name, 2 base:, 3 data, 4 model, 5 train, 6.. the axes
        assertLine(tmp, "grid:\n  model.nLayer: [1]\n", s -> s.replace("nLayer: 1,", "nLayr: 1,"), 4, "nLayr");
        assertLine(tmp, "grid:\n  model.nLayer: [1, 2]\nzip:\n  model.nLayer: [3]\n", s -> s, 9, "both");
        assertLine(tmp, "lr: kaplan\npoints:\n  - {train.lr: 0.1}\n", s -> s, 8, "kaplan");
        assertLine(tmp, "grid:\n  data.corpus: [nowhere.txt]\n", s -> s, 7, "no such file");
        assertLine(tmp, "grid:\n  train.seed: [1]\n", s -> s.replace("base:\n", "base:\n  name: fixed\n"), 3, "base.name");
        assertLine(tmp, "grid:\n  train.seed: [1]\n  train.seed: [2]\n", s -> s, 8, "Duplicate");
        assertLine(tmp, "shapes:\n  N: [1e4]\n  aspct: 16\n", s -> s, 8, "aspct");
        assertLine(tmp, "points:\n  - {train.seed: 1}\n  - 5\n", s -> s, 8, "mapping");
        assertLine(tmp, "grid:\n  model: [1]\n", s -> s, 7, "section");
    }

    private static void assertLine(Path tmp, String axes, java.util.function.UnaryOperator<String> edit, int line, String words) throws IOException {
        Path f = SweepTestSupport.spec(tmp, axes);
        Files.writeString(f, edit.apply(Files.readString(f)));
        UserError e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(f), "runs"), axes);
        assertTrue(e.getMessage().contains("spec.yaml:" + line + ":") && e.getMessage().contains(words), e.getMessage());
    }

    @Test
    void wholeNumbersInFloatNotationAreAccepted(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  data.tokens: [1e4, 2.0e4]\n  train.steps: [1e1]\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), "runs");
        assertEquals(List.of(10_000L, 20_000L), pts.stream().map(p -> p.config().data().tokens()).toList());
        assertEquals(10, pts.get(0).config().train().steps());
        assertEquals("10000", pts.get(0).coords().get("data.tokens"));
    }

    @Test
    void kaplanLearningRateRule(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "lr: kaplan\ngrid:\n  model.nLayer: [1, 4]\n");
        for (Expansion.Point p : Expansion.expand(SweepSpec.read(f), "runs")) {
            double n = org.scalelab.trainer.model.Accounting.of(p.config().model().withVocab(1)).nonEmbedding();
            assertEquals(0.003239 - 0.0001395 * Math.log(n), p.config().train().lr(), 1e-8);
        }
    }

    /**
     * data.corpus may name a token store folder written by data prepare, a catalogue name (downloaded when
     * a run opens it) or a glob, as in train; a path that exists nowhere is refused with the spec's line.
     */
    @Test
    void corporaAreTokenStoresCatalogueNamesAndGlobs(@TempDir Path tmp) throws IOException {
        Path text = SweepTestSupport.corpus(tmp);
        Path store = tmp.resolve("store");
        SweepCommandTest.Out prep = SweepCommandTest.cli("data", "prepare", "--corpus", text.toString(), "--tokenizer", "char",
                "--out", store.toString());
        assertEquals(0, prep.code(), prep.err());
        Path f = SweepTestSupport.spec(tmp, "grid:\n  data.corpus: [" + store + ", tinyshakespeare, '" + tmp + "/*.txt']\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), tmp.resolve("runs").toString());
        assertEquals(List.of(store.toString(), "tinyshakespeare", tmp + "/*.txt"), pts.stream().map(p -> p.config().data().corpus()).toList());
        assertLine(tmp, "grid:\n  data.corpus: [" + tmp.resolve("no-store") + "]\n", s -> s, 7, "not a catalogue name");

        // a run on the store trains (in this JVM), and the plan reads the store's vocabulary
        Path one = SweepTestSupport.spec(tmp, "grid:\n  data.corpus: [" + store + "]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> run = Expansion.expand(SweepSpec.read(one), dir.resolve("runs").toString());
        assertEquals(1, Runner.run(dir, run, RunnerTest.inProcess()));
        assertEquals(List.of("done"), RunnerTest.statuses(dir));
        SweepCommandTest.Out plan = SweepCommandTest.cli("sweep", "plan", one.toString(), "--dir", tmp.resolve("d").toString());
        assertEquals(0, plan.code(), plan.err());
        String line = plan.out().lines().filter(l -> l.startsWith(run.get(0).runId())).findFirst().orElseThrow();
        assertTrue(!plan.err().contains("not on this disk") && !line.matches(".*\\s\\?\\s+(ok|no) .*"), "epochs known: " + plan.err() + line);
    }
}
