package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.cli.Main;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep commands that do not train: plan, status, results, emit. */
class SweepCommandTest {
    record Out(int code, String out, String err) {}

    static Out cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.execute(new PrintWriter(o, true), new PrintWriter(e, true), args);
        return new Out(code, o.toString(), e.toString());
    }

    @Test
    void planShowsShapesDerivedValuesAndTotals(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "shapes:\n  family: [standard, deepnarrow]\n  N: [2e4]\n  headSize: 8\nlr: kaplan\n");
        Out r = cli("sweep", "plan", f.toString(), "--dir", tmp.resolve("d").toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).contains("N") && lines.get(0).contains("D≥5e3·N^.74") && lines.get(0).contains("epochs"), lines.get(0));
        assertTrue(lines.get(1).contains("standard") && lines.get(2).contains("deepnarrow"), r.out());
        assertTrue(r.out().contains("2 runs; C = 6·N·D"), r.out());
        for (Expansion.Point p : Expansion.expand(SweepSpec.read(f), "runs")) {
            double n = org.scalelab.trainer.model.Accounting.of(p.config().model().withVocab(1)).nonEmbedding();
            assertEquals(Expansion.kaplanLr(n), p.config().train().lr(), 1e-8);
            String shown = String.format(java.util.Locale.ROOT, "%.3g", p.config().train().lr());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith(p.runId()) && l.contains(shown)), shown + " for " + p.runId() + " in " + r.out());
        }
    }

    @Test
    void emittedSlurmScriptRunsEveryShard(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3]\n");
        Out r = cli("sweep", "emit", "slurm", f.toString(), "--workers", "4", "--dir", tmp.resolve("shared/x").toString(),
                "--mem", "6G", "--gpus", "1", "--time", "02:00:00");
        assertEquals(0, r.code(), r.err());
        String s = r.out();
        assertTrue(s.startsWith("#!/bin/bash\n"), s);
        for (String want : List.of("#SBATCH --array=0-3", "#SBATCH --mem=6144M", "#SBATCH --gres=gpu:1", "#SBATCH --time=02:00:00",
                "--shard \"${SLURM_ARRAY_TASK_ID}/4\"", "--dir " + tmp.resolve("shared/x").toAbsolutePath(), "sweep run " + f.toAbsolutePath(),
                "--run-memory 1638m", "OMP_NUM_THREADS")) {
            assertTrue(s.contains(want), want + " in\n" + s);
        }
        Path script = tmp.resolve("job.sbatch");
        Files.writeString(script, s);
        Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "bash -n: " + new String(p.getInputStream().readAllBytes()));
    }

    @Test
    void emittedKubernetesJobIsIndexedAndCarriesTheSpec(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3]\n");
        Out r = cli("sweep", "emit", "k8s", f.toString(), "--workers", "3", "--image", "reg/scalelab:1", "--mem", "8Gi", "--gpus", "1");
        assertEquals(0, r.code(), r.err());
        List<JsonNode> docs = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class)
                .<JsonNode>readValues(r.out()).readAll();
        assertEquals(2, docs.size());
        JsonNode cm = docs.get(0), job = docs.get(1);
        assertEquals("ConfigMap", cm.get("kind").asText());
        assertEquals(Files.readString(f).strip(), cm.get("data").get("sweep.yaml").asText().strip(), "the spec travels in the ConfigMap");
        assertEquals("Job", job.get("kind").asText());
        JsonNode spec = job.get("spec");
        assertEquals("Indexed", spec.get("completionMode").asText());
        assertEquals(3, spec.get("completions").asInt());
        JsonNode c = spec.get("template").get("spec").get("containers").get(0);
        String command = c.get("command").get(2).asText();
        assertTrue(command.contains("--shard $JOB_COMPLETION_INDEX/3") && command.contains("--dir /shared/t"), command);
        assertEquals("reg/scalelab:1", c.get("image").asText());
        assertEquals("8192Mi", c.get("resources").get("limits").get("memory").asText());
        assertEquals(1, c.get("resources").get("limits").get("nvidia.com/gpu").asInt());
        assertEquals(cm.get("metadata").get("name").asText(),
                spec.get("template").get("spec").get("volumes").get(0).get("configMap").get("name").asText());
    }

    /** status and results on a directory written by hand: one run done, one failed, one training, one pending. */
    @Test
    void statusAndResultsReadTheRunDirectories(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3, 4]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Files.createDirectories(dir);
        Files.copy(f, dir.resolve("sweep.yaml"));
        Path done = dir.resolve("runs").resolve(pts.get(0).runId()), failed = dir.resolve("runs").resolve(pts.get(1).runId()),
                running = dir.resolve("runs").resolve(pts.get(2).runId());
        Files.createDirectories(done);
        Files.writeString(done.resolve("result.json"), "{\"run_id\": \"" + pts.get(0).runId() + "\", \"status\": \"done\", \"N\": 3312, "
                + "\"D\": 192, \"best_val_loss\": 2.5, \"final_val_loss\": 2.6, \"wall_s\": 1.5, \"steps_done\": 6}");
        Files.createDirectories(failed);
        Files.writeString(failed.resolve("failure.json"), "{\"status\": \"failed\", \"reason\": \"bad input: model.nCtx, too large\"}");
        assertTrue(Locks.claim(running, 60_000) != null);
        Files.writeString(running.resolve("metrics.jsonl"), "{\"step\":0,\"val_loss\":3.0}\n{\"step\":3,\"train_loss\":2.75,\"tokens_per_s\":900}\n");

        Out st = cli("sweep", "status", dir.toString(), "--all");
        assertEquals(0, st.code(), st.err());
        assertTrue(st.out().contains("4 runs: 1 done, 1 running, 1 pending, 1 failed"), st.out());
        assertTrue(st.out().contains("step 3/6, train loss 2.7500"), st.out());
        assertTrue(st.out().contains("bad input: model.nCtx, too large"), st.out());
        assertTrue(st.out().contains("ETA "), st.out());

        Out res = cli("sweep", "results", dir.toString(), "--csv");
        assertEquals(0, res.code(), res.err());
        List<List<String>> rows = ResultsCsv.parse(res.out());
        List<String> header = rows.get(0);
        assertEquals(header.size(), new HashSet<>(header).size(), "unique column names");
        for (String col : List.of("run_id", "status", "train.seed", "N", "N_total", "N_kaplan", "D", "C", "C_attn", "C_unembed",
                "tokens_per_step", "unique_tokens", "epochs", "final_train_loss", "final_val_loss", "best_val_loss", "best_step",
                "loss_floor", "wall_s", "tokens_per_s", "n_layer", "d_model", "n_head", "d_ff", "n_ctx", "batch_size", "lr", "steps", "seed", "failure")) {
            assertTrue(header.contains(col), col + " in " + header);
        }
        assertEquals(5, rows.size());
        for (List<String> row : rows) assertEquals(header.size(), row.size(), "every row has every column: " + row);
        List<String> first = rows.get(1);
        assertEquals("done", first.get(header.indexOf("status")));
        assertEquals("2.5", first.get(header.indexOf("best_val_loss")));
        assertEquals("bad input: model.nCtx, too large", rows.get(2).get(header.indexOf("failure")), "quoted field round-trips");
        assertEquals("pending", rows.get(4).get(header.indexOf("status")));
        assertTrue(!rows.get(4).get(header.indexOf("N")).isEmpty(), "N is known before training");

        Out aligned = cli("sweep", "results", dir.toString());
        assertTrue(aligned.out().lines().count() == 5 && aligned.out().contains("best_val_loss"), aligned.out());
    }

    @Test
    void userErrorsExitWithCode2(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1]\n");
        assertEquals(2, cli("sweep", "run", f.toString(), "--shard", "2/2").code());
        assertEquals(2, cli("sweep", "status", tmp.toString()).code(), "not a sweep directory");
        assertEquals(2, cli("sweep", "emit", "pbs", f.toString()).code());
        Out bad = cli("sweep", "plan", SweepTestSupport.spec(tmp, "grid:\n  model.nHead: [3]\n").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: ") && bad.err().contains("spec.yaml:7:") && bad.err().lines().count() == 1, bad.err());
    }

    /**
     * Before training, sweep run shows the resolved shapes: the plan's table for up to 60 runs, a line per
     * shape family (each distinct shape with N and its number of runs) and the totals for more.
     */
    @Test
    void runShowsResolvedShapesForLargeShards(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "shapes:\n  family: [standard, deepnarrow]\n  N: [2e4, 8e4]\n  headSize: 8\n"
                + "grid:\n  train.seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = SweepCommand.expand(SweepSpec.read(f), dir);
        assertEquals(64, pts.size());
        StringWriter big = new StringWriter();
        SweepCommand.showShapes(new PrintWriter(big, true), dir, pts, pts);
        List<String> lines = big.toString().lines().toList();
        assertTrue(lines.get(0).startsWith("family standard: 32 runs, 2 shape(s)") && lines.get(1).startsWith("family deepnarrow: 32 runs, 2 shape(s)"),
                big.toString());
        assertTrue(lines.get(2).startsWith("64 runs; C = 6·N·D"), big.toString());
        assertTrue(lines.size() <= 5, "a summary, not a line per run:\n" + big);
        for (Expansion.Point p : pts) {
            var m = p.config().model();
            String shape = m.nLayer() + "x" + m.dModel() + " h" + m.nHead() + " (N ";
            String line = lines.get(p.coords().get("family").equals("standard") ? 0 : 1);
            assertTrue(line.contains(shape) && line.contains(" ×16"), shape + " in " + line);
        }

        List<Expansion.Point> shard = Runner.shard(pts, 1, 2);   // 32 runs: the table, a line per run
        StringWriter small = new StringWriter();
        SweepCommand.showShapes(new PrintWriter(small, true), dir, pts, shard);
        for (Expansion.Point p : shard) assertTrue(small.toString().lines().anyMatch(l -> l.startsWith(p.runId())), p.runId());
        assertTrue(small.toString().contains("32 runs; C = 6·N·D"), small.toString());
    }
}
