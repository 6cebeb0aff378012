package org.scalelab.sweeps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.trainer.ConfigLoader;
import org.scalelab.trainer.RunConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every file in examples/ is a valid preset: sweep specs expand and plan, run configs load. */
class ExamplesTest {
    /** examples/ of the repository (the tests run in the sweeps module's folder). */
    static Path examples() {
        Path dir = Path.of("..", "examples").toAbsolutePath().normalize();
        assertTrue(Files.isDirectory(dir), "examples/ not found at " + dir);
        return dir;
    }

    static List<Path> yamls() throws IOException {
        try (Stream<Path> s = Files.list(examples())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** A sweep spec has a base: section; the other examples are single run configs. */
    static boolean isSweep(Path f) throws IOException {
        return Files.readAllLines(f).stream().anyMatch(l -> l.startsWith("base:"));
    }

    @Test
    void everySweepPresetExpandsAndPlans(@TempDir Path tmp) throws IOException {
        List<Path> sweeps = new ArrayList<>();
        for (Path f : yamls()) if (isSweep(f)) sweeps.add(f);
        assertTrue(sweeps.size() >= 5, "the presets are found: " + sweeps);
        for (Path f : sweeps) {
            SweepSpec s = SweepSpec.read(f);
            assertEquals(f.getFileName().toString().replace(".yaml", ""), s.name(), f + ": name matches the file");
            Expansion.Expanded e = Expansion.expandAll(s, tmp.resolve(s.name()).resolve("runs").toString(), false);
            assertFalse(e.points().isEmpty(), f + " expands to runs");
            assertEquals(e.points().size(), new HashSet<>(e.points().stream().map(Expansion.Point::runId).toList()).size(), f + ": distinct run ids");
            // no data: a preset's real corpus (a store prepared first) need not exist on the test machine
            SweepCommandTest.Out r = SweepCommandTest.cli("sweep", "plan", f.toString(), "--no-data", "--dir", tmp.resolve(s.name()).toString());
            assertEquals(0, r.code(), f + ": " + r.err());
            // the sweep's own runs (with those waiting for a learning-rate search) in the totals, the search apart
            List<Expansion.Point> pts = e.listed();
            long own = pts.stream().filter(p -> !LrSearch.PHASE.equals(p.coords().get("phase"))).count();
            assertTrue(r.out().contains(own + " runs; C = 6·N·D"), f + ":\n" + r.out());
            assertEquals(!e.searches().isEmpty(), r.out().contains("\nlr search: "), f + ":\n" + r.out());
            long rows = r.out().lines().filter(l -> pts.stream().anyMatch(p -> l.startsWith(p.runId()))).count();
            assertEquals(pts.size(), rows, f + ": a plan line per run");
        }
    }

    @Test
    void everyRunConfigExampleLoads() throws IOException {
        int n = 0;
        for (Path f : yamls()) {
            if (isSweep(f)) continue;
            RunConfig c = ConfigLoader.load(f, List.of());
            c.model().withVocab(Math.max(1, c.model().nVocab())).validate();
            c.train().validate();
            n++;
        }
        assertTrue(n >= 1, "examples/shakespeare-char.yaml is a run config");
    }

    /** The README's presets section names every sweep preset with the command that runs it. */
    @Test
    void readmeListsEveryPreset() throws IOException {
        String readme = Files.readString(examples().resolveSibling("README.md"));
        for (Path f : yamls()) {
            if (!isSweep(f)) continue;
            String cmd = "sweep run examples/" + f.getFileName();
            assertTrue(readme.contains(cmd), "README.md has `" + cmd + "`");
        }
    }
}
