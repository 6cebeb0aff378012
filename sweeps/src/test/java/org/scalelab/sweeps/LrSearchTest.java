package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LrSearchTest {
    /** Two widths under μP with base width 16, three candidates of 4 steps at the base shape. */
    static final String MUP = "grid:\n  model.dModel: [16, 32]\nlr: {search: [1.0e-3, 1.0e-2, 3.0e-2], at: base, steps: 4}\n";

    /** The tiny spec of {@link SweepTestSupport#spec} with base's model in another parameterization. */
    static Path spec(Path dir, String model, String axes) throws IOException {
        Path f = SweepTestSupport.spec(dir, axes);
        Files.writeString(f, Files.readString(f).replace("nCtx: 8}", "nCtx: 8" + model + "}"));
        return f;
    }

    @Test
    void theLowestBestValidationLossWinsAndTiesGoToTheLowerLr() {
        assertEquals(1, LrSearch.choose(new double[]{1e-3, 2e-3, 4e-3}, new double[]{3.0, 2.5, 2.7}));
        // within 1e-9 of the lowest loss is a tie, whatever the order of the candidates
        assertEquals(2, LrSearch.choose(new double[]{4e-3, 1e-3, 2e-3}, new double[]{2.5, 3.0, 2.5 + 5e-10}));
        assertEquals(0, LrSearch.choose(new double[]{2e-3, 4e-3}, new double[]{2.5 + 9e-10, 2.5}));
        // more than 1e-9 lower wins at a higher lr
        assertEquals(1, LrSearch.choose(new double[]{2e-3, 4e-3}, new double[]{2.5, 2.5 - 2e-9}));
        // diverged candidates (no loss) never win; none with a loss, no winner
        assertEquals(0, LrSearch.choose(new double[]{1e-3, 1e-2}, new double[]{3.1, Double.NaN}));
        assertEquals(-1, LrSearch.choose(new double[]{1e-3, 1e-2}, new double[]{Double.NaN, Double.NaN}));
    }

    /**
     * Before anything trains, the μP sweep is its three candidates at the base shape (base's config,
     * dModel = baseWidth, 4 steps) and two runs waiting for the winner; CompleteP's base shape is also
     * baseDepth deep. The plan lists both kinds and the search's compute apart.
     */
    @Test
    void beforeTheSearchTheSweepIsItsCandidatesAndRunsWaitingForTheWinner(@TempDir Path tmp) throws IOException {
        Path f = spec(tmp, ", parameterization: mup, baseWidth: 16", MUP);
        Expansion.Expanded e = Expansion.expandAll(SweepSpec.read(f), tmp.resolve("sweep/runs").toString(), true);
        assertEquals(3, e.points().size());
        for (Expansion.Point p : e.points()) {
            assertEquals("lr-search", p.coords().get("phase"));
            assertEquals(16, p.config().model().dModel());
            assertEquals(4, p.config().train().steps());
        }
        assertEquals(List.of(1e-3, 1e-2, 3e-2), e.points().stream().map(p -> p.config().train().lr()).toList());
        assertEquals(2, e.waiting().size());
        assertEquals(List.of(16, 32), e.waiting().stream().map(p -> p.config().model().dModel()).toList());
        assertEquals(1, e.searches().size());
        assertTrue(e.searches().get(0).onBase());
        assertEquals(-1, e.searches().get(0).winner());

        SweepCommandTest.Out plan = SweepCommandTest.cli("sweep", "plan", f.toString(), "--dir", tmp.resolve("sweep").toString());
        assertEquals(0, plan.code(), plan.err());
        for (Expansion.Point p : e.points()) assertTrue(plan.out().lines().anyMatch(l -> l.startsWith(p.runId()) && l.contains("phase=lr-search")), plan.out());
        assertEquals(2, plan.out().lines().filter(l -> l.startsWith("L1-d") && l.contains(" searched ") && l.contains("…")).count(), plan.out());
        assertTrue(plan.out().contains("\n2 runs; C = 6·N·D"), plan.out());
        assertTrue(plan.out().contains("lr search: 3 run(s) more (1 search(es) of 3 candidates); C = "), plan.out());

        Path deep = spec(tmp, ", parameterization: completep, baseWidth: 16, baseDepth: 1",
                "zip:\n  model.nLayer: [2, 4]\n  model.dModel: [32, 64]\nlr: {search: [1.0e-3, 1.0e-2]}\n");
        Expansion.Expanded c = Expansion.expandAll(SweepSpec.read(deep), tmp.resolve("deep/runs").toString(), true);
        assertEquals(1, c.searches().size());
        for (Expansion.Point p : c.points()) {
            assertEquals(1, p.config().model().nLayer(), "baseDepth");
            assertEquals(16, p.config().model().dModel(), "baseWidth");
            assertEquals(6, p.config().train().steps(), "base's train.steps");
        }
    }

    /**
     * The μP sweep end to end, killed after its search: `sweep run` trains only the two runs of the
     * sweep, each with train.lr = the winner in its spec.json; lr-search.json records the search, results.csv
     * the phase and lr_search columns; status shows the search. A finished sweep run again trains only what
     * is missing.
     */
    @Test
    void aMuPSearchRunsOnceAtTheBaseAndEveryRunTrainsWithItsWinner(@TempDir Path tmp) throws IOException {
        Path f = spec(tmp, ", parameterization: mup, baseWidth: 16", MUP);
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> candidates = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        assertEquals(3, Runner.run(dir, candidates, RunnerTest.inProcess()), "the search alone, as a sweep killed after it");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SweepCommandTest.Out r = quietly(err, () -> SweepCommandTest.cli("sweep", "run", f.toString(), "--dir", dir.toString(), "--in-process"));
        assertEquals(0, r.code(), err + r.err());
        for (Expansion.Point p : candidates) assertEquals(1, RunnerTest.claims(dir.resolve("runs").resolve(p.runId())), "not trained again: " + p.runId());

        JsonNode json = Json.readOrNull(dir.resolve("lr-search.json"));
        assertEquals(1, json.path("searches").size(), String.valueOf(json));
        JsonNode search = json.path("searches").get(0);
        assertEquals("base", search.path("at").asText());
        assertEquals("mup", search.path("parameterization").asText());
        assertEquals(16, search.path("shape").path("dModel").asInt());
        assertEquals(3, search.path("candidates").size());
        double[] lrs = new double[3], losses = new double[3];
        for (int i = 0; i < 3; i++) {
            JsonNode c = search.path("candidates").get(i);
            assertEquals(candidates.get(i).runId(), c.path("run_id").asText());
            JsonNode result = Json.readOrNull(dir.resolve("runs").resolve(c.path("run_id").asText()).resolve("result.json"));
            assertEquals(result.path("best_val_loss").asDouble(), c.path("best_val_loss").asDouble(), 0, "the run's own best val loss");
            lrs[i] = c.path("lr").asDouble();
            losses[i] = c.path("best_val_loss").asDouble();
        }
        double winner = lrs[LrSearch.choose(lrs, losses)];
        assertEquals(winner, search.path("winner").asDouble(), 0);
        assertEquals(2, search.path("runs").asInt());
        assertTrue(err.toString().contains("winner lr "), err.toString());

        List<Expansion.Point> all = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        assertEquals(5, all.size());
        List<Expansion.Point> mains = all.stream().filter(p -> !"lr-search".equals(p.coords().get("phase"))).toList();
        assertEquals(List.of(16, 32), mains.stream().map(p -> p.config().model().dModel()).toList());
        for (Expansion.Point p : mains) {
            JsonNode spec = Json.readOrNull(dir.resolve("runs").resolve(p.runId()).resolve("spec.json"));
            assertEquals(winner, spec.path("config").path("train").path("lr").asDouble(), 0, p.runId());
            assertEquals(6, spec.path("config").path("train").path("steps").asInt(), "base's steps, not the search's");
        }

        List<List<String>> rows = ResultsCsv.parse(Files.readString(dir.resolve("results.csv")));
        List<String> h = rows.get(0);
        assertEquals(6, rows.size(), "a header and five runs");
        long searchRows = rows.stream().skip(1).filter(row -> row.get(h.indexOf("phase")).equals("lr-search")).count();
        assertEquals(3, searchRows);
        for (List<String> row : rows.subList(1, rows.size())) {
            assertEquals("done", row.get(h.indexOf("status")));
            boolean main = row.get(h.indexOf("phase")).isEmpty();
            assertEquals(main, !row.get(h.indexOf("lr_search")).isEmpty(), row.toString());
            if (main) assertEquals(winner, Double.parseDouble(row.get(h.indexOf("lr_search"))), 0);
        }

        // fit and the report's scaling charts are about the sweep's runs, not the candidates
        org.scalelab.scaling.Table fitted = org.scalelab.scaling.Table.sweep(dir);
        assertEquals(2, fitted.size());
        assertEquals(Map.of("lr-search candidates", 3), fitted.otherStatuses());
        org.scalelab.scaling.report.Report.write(dir, dir.resolve("report"));
        assertTrue(Files.isRegularFile(dir.resolve("report/loss_vs_N.png")), "L(N) of the sweep's runs");

        SweepCommandTest.Out st = SweepCommandTest.cli("sweep", "status", dir.toString());
        assertEquals(0, st.code(), st.err());
        assertTrue(st.out().contains("5 runs: 5 done"), st.out());
        assertTrue(st.out().contains("lr search at the base shape (mup; nLayer 1, dModel 16, nHead 2), 3 candidates of 4 steps: 3 done; winner lr "), st.out());

        // a finished sweep trains only what is missing
        Expansion.Point gone = mains.get(1);
        deleteTree(dir.resolve("runs").resolve(gone.runId()));
        r = quietly(err, () -> SweepCommandTest.cli("sweep", "run", f.toString(), "--dir", dir.toString(), "--in-process"));
        assertEquals(0, r.code(), err + r.err());
        for (Expansion.Point p : all) assertEquals(1, RunnerTest.claims(dir.resolve("runs").resolve(p.runId())), p.runId());
        assertEquals(List.of("done"), RunnerTest.statuses(dir).stream().distinct().toList());
    }

    /** Under SP each shape is searched on its own and each run takes its own shape's winner. */
    @Test
    void underSpEveryShapeHasItsOwnSearch(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  model.dModel: [16, 32]\n  train.seed: [1, 2]\nlr: {search: [1.0e-3, 3.0e-2], at: base, steps: 3}\n");
        Path dir = tmp.resolve("sweep");
        SweepSpec s = SweepSpec.read(f);
        List<Expansion.Point> first = Expansion.expand(s, dir.resolve("runs").toString());
        assertEquals(4, first.size(), "two candidates per shape, no run of the sweep yet");
        List<Expansion.Point> all = LrSearch.run(s, dir, first, RunnerTest.inProcess());
        assertEquals(4 + 4, all.size());
        JsonNode json = Json.readOrNull(dir.resolve("lr-search.json"));
        assertEquals(2, json.path("searches").size());
        Map<Integer, Double> winners = new HashMap<>();
        for (JsonNode x : json.path("searches")) {
            assertEquals("shape", x.path("at").asText());
            assertEquals("sp", x.path("parameterization").asText());
            assertEquals(2, x.path("runs").asInt(), "two seeds of the shape");
            double[] lrs = new double[2], losses = new double[2];
            for (int i = 0; i < 2; i++) {
                JsonNode c = x.path("candidates").get(i);
                Path run = dir.resolve("runs").resolve(c.path("run_id").asText());
                JsonNode result = Json.readOrNull(run.resolve("result.json"));
                assertEquals(x.path("shape").path("dModel").asInt(),
                        Json.readOrNull(run.resolve("spec.json")).path("config").path("model").path("dModel").asInt(), "searched at its own shape");
                lrs[i] = c.path("lr").asDouble();
                losses[i] = result.path("best_val_loss").asDouble();
            }
            winners.put(x.path("shape").path("dModel").asInt(), lrs[LrSearch.choose(lrs, losses)]);
            assertEquals(winners.get(x.path("shape").path("dModel").asInt()), x.path("winner").asDouble(), 0);
        }
        assertEquals(java.util.Set.of(16, 32), winners.keySet());
        for (Expansion.Point p : all) {
            if ("lr-search".equals(p.coords().get("phase"))) continue;
            JsonNode spec = Json.readOrNull(dir.resolve("runs").resolve(p.runId()).resolve("spec.json"));
            assertEquals(winners.get(p.config().model().dModel()), spec.path("config").path("train").path("lr").asDouble(), 0, p.runId());
        }
        assertEquals(List.of("done"), RunnerTest.statuses(dir).stream().distinct().toList());
        assertEquals(8, RunnerTest.statuses(dir).size());
    }

    /**
     * A search whose candidates all diverge has no winner: its runs are never expanded, and `sweep run`
     * names them with the reason on its last line and exits with code 4.
     */
    @Test
    void aSearchWithoutAWinnerEndsTheSweepWithExit4(@TempDir Path tmp) throws IOException {
        Path f = spec(tmp, ", parameterization: mup, baseWidth: 16", "grid:\n  model.dModel: [16, 32]\nlr: {search: [1.0e+30, 2.0e+30], steps: 3}\n");
        Files.writeString(f, Files.readString(f).replace("warmupSteps: 1,", "warmupSteps: 0, gradClip: 0,"));
        Path dir = tmp.resolve("sweep");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SweepCommandTest.Out r = quietly(err, () -> SweepCommandTest.cli("sweep", "run", f.toString(), "--dir", dir.toString(), "--in-process"));
        assertEquals(SweepCommand.NOT_DONE, r.code(), err + r.err());
        List<String> last = err.toString().lines().filter(l -> l.contains("not done: ")).toList();
        assertEquals(1, last.size(), err.toString());
        assertTrue(last.get(0).contains("2 run(s) waiting for the lr search at the base shape (mup; nLayer 1, dModel 16, nHead 2) "
                + "(every candidate diverged; add smaller learning rates to lr: search)"), last.get(0));
        assertEquals(List.of("diverged", "diverged"), RunnerTest.statuses(dir));
        JsonNode search = Json.readOrNull(dir.resolve("lr-search.json")).path("searches").get(0);
        assertTrue(search.path("winner").isNull(), search.toString());
        assertEquals("diverged", search.path("candidates").get(1).path("status").asText());
    }

    /** Every mistake in lr: {search: …} is one line with the spec's line. */
    @Test
    void searchMistakesNameTheirLine(@TempDir Path tmp) throws IOException {
        // lines: 1 name, 2 base:, 3 data, 4 model, 5 train, 6.. the axes
        assertLine(tmp, "", "lr: {search: [1.0e-3]}\n", 6, "2 or more");
        assertLine(tmp, "", "lr: {search: [1.0e-3, -2.0e-3]}\n", 6, "'-0.002' is not a learning rate > 0");
        assertLine(tmp, "", "lr:\n  search: [1.0e-3, 2.0e-3]\n  at: widest\n", 8, "at: 'widest' is not known");
        assertLine(tmp, "", "lr:\n  search: [1.0e-3, 2.0e-3]\n  steps: 0\n", 8, "steps: must be a whole number");
        assertLine(tmp, "", "lr:\n  serch: [1.0e-3, 2.0e-3]\n", 7, "unknown key 'serch'");
        assertLine(tmp, "", "lr: {search: [1.0e-3, 2.0e-3]}\ngrid:\n  train.lr: [0.001, 0.002]\n", 8, "train.lr is set here and searched");
        assertLine(tmp, ", parameterization: mup, baseWidth: 15", "grid:\n  model.dModel: [16, 32]\nlr: {search: [1.0e-3, 2.0e-3]}\n", 8,
                "the search runs on the base shape (model.dModel = model.baseWidth = 15, model.nHead = 2 from base:), which is not a valid model: "
                        + "model.dModel (15) must be divisible by model.nHead (2)");
        assertLine(tmp, "", "lr: {search: [1.0e-3, 2.0e-3]}\ntransfer:\n  pretrain: {train.steps: 8}\n  finetune: {train.steps: 4}\n  budgets: [64]\n",
                6, "cannot be combined with transfer");
        Path bad = spec(tmp, "", "lr: {search: [1.0e-3]}\n");
        SweepCommandTest.Out r = SweepCommandTest.cli("sweep", "plan", bad.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("spec.yaml:6: lr: search:") && r.err().lines().count() == 1, r.err());
    }

    private static void assertLine(Path tmp, String model, String axes, int line, String words) throws IOException {
        Path f = spec(tmp, model, axes);
        UserError e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(f), tmp.resolve("runs").toString()), axes);
        assertTrue(e.getMessage().contains("spec.yaml:" + line + ":") && e.getMessage().contains(words), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    /** A sweep without a search expands as before: no waiting runs, no searches, no lr-search.json. */
    @Test
    void aSweepWithoutASearchIsUnchanged(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "lr: kaplan\ngrid:\n  train.seed: [1, 2]\n");
        Expansion.Expanded e = Expansion.expandAll(SweepSpec.read(f), tmp.resolve("runs").toString(), true);
        assertEquals(2, e.points().size());
        assertTrue(e.waiting().isEmpty() && e.searches().isEmpty());
        assertTrue(LrSearch.statusLines(SweepSpec.read(f), tmp, 1000).isEmpty());
        assertNull(Json.readOrNull(tmp.resolve("lr-search.json")));
    }

    private static SweepCommandTest.Out quietly(ByteArrayOutputStream err, java.util.function.Supplier<SweepCommandTest.Out> run) {
        PrintStream was = System.err;
        System.setErr(new PrintStream(err, true));   // sweep run reports on stderr
        try {
            return run.get();
        } finally {
            System.setErr(was);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        List<Path> all = new ArrayList<>();
        try (var w = Files.walk(root)) {
            w.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) Files.delete(all.get(i));
    }
}
