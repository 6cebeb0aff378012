package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.TrainConfig;
import org.scalelab.trainer.run.Branch;
import org.scalelab.trainer.run.Checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code budgets:} expands each size into a constant-learning-rate main run that keeps its checkpoints at the
 * branch points and one wsd branch per budget; {@code 20N} budgets scale with the size; {@code cooldown: 0}
 * trains every budget on its own; the sweep trains parents before branches, the fit leaves the main runs out,
 * and misuse is one line naming the spec's line.
 */
class BudgetsTest {
    /** Two sizes; 4 sequences of 8 tokens per step (32 tokens), warm-up 1 step. */
    static final String SIZES = "zip:\n  model.dModel: [16, 32]\n  model.nHead: [2, 2]\n";

    @Test
    void eachSizeIsOneMainRunAndOneBranchPerBudget(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, SIZES + "budgets: {tokens: [320, 640, 1.28e3, 2N], cooldown: 0.25}\n");
        String runs = tmp.resolve("sweep/runs").toString();
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), runs);
        assertEquals(10, pts.size());
        Map<String, List<Expansion.Point>> byPhase = pts.stream().collect(Collectors.groupingBy(p -> p.coords().get("phase")));
        assertEquals(2, byPhase.get("main").size());
        assertEquals(8, byPhase.get("cooldown").size());
        for (Expansion.Point m : byPhase.get("main")) {
            TrainConfig t = m.config().train();
            assertEquals("constant", t.schedule());
            List<Expansion.Point> branches = byPhase.get("cooldown").stream()
                    .filter(b -> b.config().train().branchRun().equals(runs + "/" + m.runId())).toList();
            assertEquals(4, branches.size(), "four branches of " + m.runId());
            long n = org.scalelab.trainer.model.Accounting.of(m.config().model().withVocab(1)).nonEmbedding();
            for (Expansion.Point b : branches) {
                TrainConfig bt = b.config().train();
                String budget = b.coords().get("budget");
                double d = budget.equals("2N") ? 2.0 * n : Double.parseDouble(budget);
                assertEquals(Math.max(1, Math.round(d / 32)), bt.steps(), budget);
                assertEquals("wsd", bt.schedule());
                assertEquals(0.25, bt.decayFraction());
                // the branch point is where the wsd schedule starts to decay, and the main run keeps it
                int at = Math.max(1, bt.steps() - (int) Math.max(1, Math.round(bt.steps() * 0.25)));
                assertEquals(at, bt.branchStep(), budget);
                assertTrue(t.keepCheckpoints().contains(at), t.keepCheckpoints() + " has " + at);
                assertTrue(t.steps() >= at);
                assertTrue(!b.coords().containsKey("train.steps") && !b.coords().containsKey("train.branch"), b.coords().toString());
            }
            assertEquals(t.keepCheckpoints().get(t.keepCheckpoints().size() - 1).intValue(), t.steps(), "the main run ends at its last branch point");
        }
        // the plan prints what the branches save
        SweepCommandTest.Out plan = SweepCommandTest.cli("sweep", "plan", f.toString(), "--dir", tmp.resolve("sweep").toString());
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("budgets: 8 cooldown branch(es) continue 2 main run(s)"), plan.out());
    }

    @Test
    void aBudgetsSweepTrainsParentsFirstAndItsBranchesKeepTheirLineage(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, SIZES + "budgets: {tokens: [320, 640], cooldown: 0.25}\n");
        Path dir = tmp.resolve("sweep");
        SweepCommandTest.Out r = SweepCommandTest.cli("sweep", "run", f.toString(), "--dir", dir.toString(), "--in-process");
        assertEquals(0, r.code(), r.err());
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        for (Expansion.Point p : pts) {
            Path run = dir.resolve("runs").resolve(p.runId());
            JsonNode res = Json.readOrNull(run.resolve("result.json"));
            assertEquals("done", res.path("status").asText(), p.runId());
            TrainConfig t = p.config().train();
            if (p.coords().get("phase").equals("main")) {
                for (int k : t.keepCheckpoints()) assertTrue(Checkpoint.exists(Branch.kept(run, k)), run + " kept step " + k);
            } else {
                JsonNode lineage = Json.readOrNull(run.resolve("spec.json")).path("lineage");
                assertEquals(t.branchStep(), lineage.path("branch_step").asInt(), lineage.toString());
                assertEquals(t.steps(), res.path("steps_done").asInt());
            }
        }
        String csv = Files.readString(dir.resolve("results.csv"));
        assertTrue(csv.lines().findFirst().orElseThrow().contains("phase,budget"), csv);
        // what fits see: the four branches, not the two undecayed main runs
        org.scalelab.scaling.Table table = org.scalelab.scaling.Table.sweep(dir);
        assertEquals(4, table.runs().size());
        assertTrue(table.runs().stream().allMatch(x -> x.row().get("phase").equals("cooldown")));
        assertEquals(Map.of("main runs of cooldown branches", 2), table.otherStatuses());
    }

    @Test
    void cooldownZeroTrainsEveryBudgetOnItsOwn(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, SIZES + "budgets: {tokens: [320, 640], cooldown: 0}\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), tmp.resolve("sweep/runs").toString());
        assertEquals(4, pts.size());
        for (Expansion.Point p : pts) {
            assertEquals("budget", p.coords().get("phase"));
            assertEquals("cosine", p.config().train().schedule());
            assertEquals("", p.config().train().branch());
            assertEquals(Long.parseLong(p.coords().get("budget")) / 32, p.config().train().steps());
        }
    }

    @Test
    void misuseIsOneLineNamingTheSpecLine(@TempDir Path tmp) throws IOException {
        String[][] cases = {
                {"grid:\n  train.steps: [4, 8]\nbudgets: {tokens: [320]}\n", "train.steps is set here and by budgets:"},
                {"budgets: {tokens: [320, lots]}\n", "'lots' is not a budget"},
                {"budgets: {tokens: [40], cooldown: 0.5}\n", "too few to branch"},
                {"budgets: {tokens: [320], cooldown: 1.5}\n", "cooldown: must be a fraction in [0, 1)"},
                {"budgets: {tokens: [320], decay: 0.2}\n", "budgets: unknown key 'decay'"},
                {"budgets: [320]\n", "budgets: must be a mapping"},
        };
        for (String[] c : cases) {
            Path d = Files.createDirectories(tmp.resolve("c" + c[0].hashCode()));
            Path f = SweepTestSupport.spec(d, c[0]);
            UserError e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(f), d.resolve("runs").toString()), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    /** converge: sets each size's cap, patience and smoothing; the plan shows the caps and flags runs that may repeat data. */
    @Test
    void convergeTrainsEachSizeUntilItStopsImprovingAndThePlanSaysWhatItMayCost(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, SIZES + "converge: {maxTokens: 6.4e5, patience: 3, smoothing: 0.5}\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), tmp.resolve("sweep/runs").toString());
        assertEquals(2, pts.size());
        for (Expansion.Point p : pts) {
            TrainConfig t = p.config().train();
            assertEquals(20_000, t.steps());
            assertEquals(3, t.earlyStopPatience());
            assertEquals(0.5, t.earlyStopSmoothing());
            assertEquals("converge", p.coords().get("phase"));
        }
        SweepCommandTest.Out plan = SweepCommandTest.cli("sweep", "plan", f.toString(), "--dir", tmp.resolve("sweep").toString());
        assertEquals(0, plan.code(), plan.err());
        // the 20 k-character test corpus has far fewer distinct tokens than the 640 k-token caps
        assertTrue(plan.out().contains("converge: 2 run(s) train until") && plan.out().contains("2 of them may repeat data"), plan.out());
        Path g = Files.createDirectories(tmp.resolve("g"));
        Path bad = SweepTestSupport.spec(g, "grid:\n  train.steps: [4]\nconverge: {maxTokens: 1000}\n");
        UserError e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(bad), g.resolve("runs").toString()));
        assertTrue(e.getMessage().contains("train.steps is set here and by converge:"), e.getMessage());
        Path h = Files.createDirectories(tmp.resolve("h"));
        Path both = SweepTestSupport.spec(h, "budgets: {tokens: [320]}\nconverge: {maxTokens: 1000}\n");
        e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(both), h.resolve("runs").toString()));
        assertTrue(e.getMessage().contains("converge: cannot be combined with budgets:"), e.getMessage());
    }
}
