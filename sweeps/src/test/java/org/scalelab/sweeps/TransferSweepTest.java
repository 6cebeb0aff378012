package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.UserError;
import org.scalelab.scaling.TransferCommand;
import org.scalelab.scaling.report.SweepData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransferSweepTest {
    static final String TRANSFER = "zip:\n  model.dModel: [16, 24]\n  model.nHead: [2, 2]\n"
            + "transfer:\n  pretrain: {train.steps: 8}\n  finetune: {train.lr: 0.002, train.steps: 4}\n  budgets: [64, 512]\n  epochs: 2\n";

    /**
     * Per size one pre-training run, and per budget a from-scratch and a fine-tuning run with data.tokens
     * = D_F, steps for 2 epochs (at least 4), the fine-tuning run starting from the same size's
     * pre-training run; runs with a parent come after all others in every worker's order.
     */
    @Test
    void expansionPairsEachBudgetWithItsPretrainedModel(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, TRANSFER);
        String runs = tmp.resolve("sweep/runs").toString();
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), runs);
        assertEquals(2 * (1 + 2 * 2), pts.size());
        for (Expansion.Point p : pts) {
            String phase = p.coords().get("phase");
            var t = p.config().train();
            switch (phase) {
                case "pretrain" -> {
                    assertEquals(8, t.steps());
                    assertEquals("", t.init());
                    assertEquals(0, p.config().data().tokens());
                }
                case "scratch", "finetune" -> {
                    long dF = Long.parseLong(p.coords().get("D_F"));
                    assertEquals(dF, p.config().data().tokens());
                    assertEquals(Math.max(4, (long) Math.ceil(2.0 * dF / (4 * 8))), t.steps(), "2 epochs of D_F at 32 tokens per step");
                    assertEquals(0.002, t.lr(), 0);
                    if (phase.equals("scratch")) {
                        assertEquals("", t.init());
                    } else {
                        Expansion.Point parent = pts.stream().filter(q -> q.coords().get("phase").equals("pretrain")
                                && q.config().model().dModel() == p.config().model().dModel()).findFirst().orElseThrow();
                        assertEquals(runs + "/" + parent.runId(), t.init());
                    }
                }
                default -> throw new AssertionError(phase);
            }
        }
        List<Expansion.Point> order = Runner.shard(pts, 0, 1);
        int firstChild = 0;
        while (order.get(firstChild).config().train().init().isEmpty()) firstChild++;
        for (int i = firstChild; i < order.size(); i++) assertTrue(!order.get(i).config().train().init().isEmpty(), "parents first");
    }

    /** The sweep runs end to end: fine-tuned runs record their parent, and `transfer` reads the sweep. */
    @Test
    void aTransferSweepRunsAndIsAnalysed(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, TRANSFER);
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Runner.Options o = new Runner.Options(true, 0, 1, false, "1g", 5_000, RunnerTest.QUIET, new AtomicBoolean());
        assertEquals(pts.size(), Runner.run(dir, pts, o));
        assertEquals(List.of("done"), RunnerTest.statuses(dir).stream().distinct().toList());
        for (Expansion.Point p : pts) {
            if (!p.coords().get("phase").equals("finetune")) continue;
            JsonNode spec = org.scalelab.datasets.Json.MAPPER.readTree(dir.resolve("runs").resolve(p.runId()).resolve("spec.json").toFile());
            assertEquals(Path.of(p.config().train().init()).getFileName().toString(), spec.path("lineage").path("parent_run_id").asText(), spec.toString());
        }
        Map<String, Object> out = TransferCommand.analyse(SweepData.read(dir), 50, "standard");
        assertEquals(4, ((List<?>) out.get("points")).size(), "one point per fine-tuned run");
        assertEquals(2, ((List<?>) out.get("scratch_fits")).size(), "one from-scratch L(D) per size");
        // the command writes transfer.json and transfer.csv; the report draws them
        assertEquals(0, new picocli.CommandLine(new TransferCommand()).execute(dir.toString(), "--bootstrap", "20"));
        assertEquals(5, Files.readAllLines(dir.resolve("transfer.csv")).size(), "a header and one row per fine-tuned run");
        org.scalelab.scaling.report.Report.write(dir, dir.resolve("report"));
        assertTrue(Files.size(dir.resolve("report/transfer_losses.png")) > 1000);
        assertTrue(Files.isRegularFile(dir.resolve("report/transfer_effective_data.svg")));
    }

    /**
     * Shard 1 of 2 alone first: its fine-tuning runs need pre-training runs of shard 0, which it trains
     * itself rather than wait; shard 0 then trains only what is left. Every run is trained exactly once.
     */
    @Test
    void aShardTrainsTheParentsItNeedsAndNothingTwice(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("sweep");
        // Run ids hash the text corpus' absolute path, so which shard holds which run depends on the
        // temporary folder: the seed is chosen so that shard 1 has a child whose parent is in shard 0.
        List<Expansion.Point> pts = null;
        for (int seed = 1; seed <= 200 && pts == null; seed++) {
            List<Expansion.Point> p = Expansion.expand(SweepSpec.read(SweepTestSupport.spec(tmp, TRANSFER + "grid:\n  train.seed: [" + seed + "]\n")),
                    dir.resolve("runs").toString());
            if (borrowedParents(Runner.shard(p, 1, 2)) > 0) pts = p;
        }
        assertTrue(pts != null, "no seed up to 200 puts a child in shard 1 and its parent in shard 0");
        Runner.Options one = new Runner.Options(true, 1, 2, false, "1g", 5_000, RunnerTest.QUIET, new AtomicBoolean());
        int first = Runner.run(dir, pts, one);
        for (Expansion.Point p : Runner.shard(pts, 1, 2)) {
            assertTrue(Files.isRegularFile(dir.resolve("runs").resolve(p.runId()).resolve("result.json")), p.runId() + " of shard 1 done");
        }
        List<Expansion.Point> mine = Runner.shard(pts, 1, 2);
        long borrowed = borrowedParents(mine);
        assertEquals(mine.size() + borrowed, first, "shard 1 trained its runs and the parents they needed from shard 0");
        Runner.Options zero = new Runner.Options(true, 0, 2, false, "1g", 5_000, RunnerTest.QUIET, new AtomicBoolean());
        int second = Runner.run(dir, pts, zero);
        assertEquals(pts.size(), first + second);
        for (Expansion.Point p : pts) assertEquals(1, RunnerTest.claims(dir.resolve("runs").resolve(p.runId())), p.runId());
    }

    /**
     * A pre-training run that diverges leaves its fine-tuning runs pending: `sweep run` trains everything
     * else, does not wait for them, and exits 4 with one line naming each of them and its parent.
     */
    @Test
    void runsBehindADivergedParentEndTheSweepWithExit4(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "transfer:\n  pretrain: {train.steps: 8, train.lr: 1.0e30, train.gradClip: 0, train.warmupSteps: 0}\n"
                + "  finetune: {train.lr: 0.002, train.steps: 4}\n  budgets: [64, 512]\n  epochs: 2\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream was = System.err;
        SweepCommandTest.Out r;
        System.setErr(new java.io.PrintStream(err, true));   // sweep run reports on stderr
        try {
            r = SweepCommandTest.cli("sweep", "run", f.toString(), "--dir", dir.toString(), "--in-process", "--lock-timeout", "2");
        } finally {
            System.setErr(was);
        }
        assertEquals(SweepCommand.NOT_DONE, r.code(), err + r.err());
        Expansion.Point parent = pts.stream().filter(p -> p.coords().get("phase").equals("pretrain")).findFirst().orElseThrow();
        List<String> last = err.toString().lines().filter(l -> l.contains("not done: ")).toList();
        assertEquals(1, last.size(), err.toString());
        for (Expansion.Point p : pts) {
            String phase = p.coords().get("phase");
            String want = p.runId() + " (pending: starts from " + parent.runId() + ", which diverged";
            assertEquals(phase.equals("finetune"), last.get(0).contains(want), want + " in " + last.get(0));
            if (phase.equals("scratch")) assertTrue(Files.isRegularFile(dir.resolve("runs").resolve(p.runId()).resolve("result.json")), p.runId());
        }
    }

    /** Parents of this shard's fine-tuning runs that belong to another shard. */
    private static long borrowedParents(List<Expansion.Point> mine) {
        return mine.stream().map(p -> p.config().train().init()).filter(i -> !i.isEmpty()).distinct()
                .filter(i -> mine.stream().noneMatch(q -> i.endsWith("/" + q.runId()))).count();
    }

    /**
     * Fine-tuned runs hash their parent relative to the runs folder, so the ids are the same under
     * another sweep directory (a moved one, or the same one spelled relative or absolute); a sweep
     * started before that keeps a fine-tuned run's earlier id (the parent's path hashed as written)
     * where only that run directory exists.
     */
    @Test
    void fineTunedRunIdsDoNotDependOnTheSweepDirectory(@TempDir Path tmp) throws IOException {
        // a synthetic corpus: a text corpus's path is part of what every run hashes
        SweepSpec spec = SweepSpec.read(SweepTestSupport.spec(tmp, TRANSFER + "grid:\n  data.corpus: [\"synthetic:tokens=20000\"]\n"));
        List<Expansion.Point> a = Expansion.expand(spec, tmp.resolve("a/runs").toString());
        List<Expansion.Point> b = Expansion.expand(spec, tmp.resolve("elsewhere/b/runs").toString());
        assertEquals(a.stream().map(Expansion.Point::runId).toList(), b.stream().map(Expansion.Point::runId).toList());
        assertTrue(a.stream().anyMatch(p -> !p.config().train().init().isEmpty()), "the sweep has fine-tuned runs");
        Expansion.Point child = a.stream().filter(p -> !p.config().train().init().isEmpty()).findFirst().orElseThrow();
        String legacy = org.scalelab.trainer.run.RunIds.legacyOf(child.config());
        assertTrue(!legacy.equals(child.runId()));
        Files.createDirectories(tmp.resolve("a/runs").resolve(legacy));
        List<Expansion.Point> again = Expansion.expand(spec, tmp.resolve("a/runs").toString());
        assertTrue(again.stream().anyMatch(p -> p.runId().equals(legacy)), "the existing run keeps its id");
        assertEquals(a.size(), again.size());
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).runId().equals(child.runId())) assertEquals(a.get(i).runId(), again.get(i).runId(), "other ids unchanged");
        }
    }

    @Test
    void transferMistakesNameTheirLine(@TempDir Path tmp) throws IOException {
        UserError e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(SweepTestSupport.spec(tmp,
                "transfer:\n  pretrain: {train.steps: 8}\n  finetune: {data.tokens: 100}\n  budgets: [64]\n")), "r"));
        assertTrue(e.getMessage().matches(".*spec.yaml:8: transfer: data.tokens is set by the transfer sweep itself.*"), e.getMessage());
        e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(SweepTestSupport.spec(tmp,
                "transfer:\n  pretrain: {train.steps: 8}\n  finetune: {train.steps: 4}\n")), "r"));
        assertTrue(e.getMessage().contains("transfer: needs budgets:"), e.getMessage());
        e = assertThrows(UserError.class, () -> Expansion.expand(SweepSpec.read(SweepTestSupport.spec(tmp,
                "transfer:\n  pretrain: {train.steps: 8}\n  finetune: {train.steps: 4}\n  budgets: [64]\n  epoch: 2\n")), "r"));
        assertTrue(e.getMessage().contains("spec.yaml:10: transfer: unknown key 'epoch'"), e.getMessage());
    }
}
