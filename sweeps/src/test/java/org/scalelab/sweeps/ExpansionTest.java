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

    @Test
    void kaplanLearningRateRule(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "lr: kaplan\ngrid:\n  model.nLayer: [1, 4]\n");
        for (Expansion.Point p : Expansion.expand(SweepSpec.read(f), "runs")) {
            double n = org.scalelab.trainer.Accounting.of(p.config().model().withVocab(1)).nonEmbedding();
            assertEquals(0.003239 - 0.0001395 * Math.log(n), p.config().train().lr(), 1e-8);
        }
    }
}
