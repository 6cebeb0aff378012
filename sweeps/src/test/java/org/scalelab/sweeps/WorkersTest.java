package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sweep run --workers K --threads-per-run T --gpus LIST}: several runs at once in one process. */
class WorkersTest {
    static Runner.Options children(Runner.Slots slots, PrintStream log) {
        return new Runner.Options(false, 0, 1, false, "512m", 5_000, log, new AtomicBoolean(), slots);
    }

    /**
     * Two workers, each launching child JVMs with one thread and pinned to its own device: every run is
     * trained exactly once, both workers trained runs and two runs trained at the same time, each run's
     * process saw the threads and device of its worker, and the numbers equal those of one worker with
     * one thread per run (same seeds, same threads: same losses, within 1e-6).
     */
    @Test
    void twoWorkersTrainEveryRunOnceAtOnceWithTheSameResultsAsOne(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3, 4]\n");
        Files.writeString(f, Files.readString(f).replace("steps: 6", "steps: 40").replace("evalEvery: 3", "evalEvery: 10"));
        Path two = tmp.resolve("two"), one = tmp.resolve("one");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), two.resolve("runs").toString());
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int trained = Runner.run(two, pts, children(new Runner.Slots(2, 1, List.of("7", "9"), 0), new PrintStream(log, true)));
        assertEquals(pts.size(), trained, log.toString());

        Set<String> slots = new HashSet<>();
        Map<String, Instant[]> spans = new HashMap<>();
        for (Expansion.Point p : pts) {
            Path run = two.resolve("runs").resolve(p.runId());
            assertEquals(1, RunnerTest.claims(run), p.runId() + " trained once");
            assertEquals("done", Json.readOrNull(run.resolve("result.json")).get("status").asText());
            String line = log.toString().lines().filter(l -> l.startsWith("training " + p.runId())).findFirst().orElseThrow();
            String slot = line.substring(line.indexOf("[worker ") + 1, line.indexOf(']', line.indexOf("[worker ")));
            slots.add(slot.substring(0, "worker 1/2".length()));
            String gpu = slot.endsWith("GPU 7") ? "7" : slot.endsWith("GPU 9") ? "9" : "?";
            assertTrue(slot.equals("worker 1/2, 1 thread, GPU 7") || slot.equals("worker 2/2, 1 thread, GPU 9"), slot);
            String first = Files.readAllLines(run.resolve("train.log")).get(0);
            assertTrue(first.startsWith("train process: 1 kernel thread(s) of 1 processor(s)") && first.contains("OMP_NUM_THREADS=1")
                    && first.contains("OPENBLAS_NUM_THREADS=1") && first.contains("CUDA_VISIBLE_DEVICES=" + gpu), first);
            Instant start = Instant.parse(Files.readAllLines(run.resolve("claims.log")).get(0).split(" ")[1]);
            Instant end = Files.getLastModifiedTime(run.resolve("result.json")).toInstant();
            spans.put(p.runId(), new Instant[]{start, end});
        }
        assertEquals(Set.of("worker 1/2", "worker 2/2"), slots, "both workers trained runs:\n" + log);
        boolean overlap = false;
        for (Instant[] a : spans.values()) {
            for (Instant[] b : spans.values()) overlap |= a != b && a[0].isBefore(b[1]) && b[0].isBefore(a[1]);
        }
        assertTrue(overlap, "two runs trained at the same time: " + spans);

        List<Expansion.Point> ref = Expansion.expand(SweepSpec.read(f), one.resolve("runs").toString());
        assertEquals(ref.size(), Runner.run(one, ref, children(new Runner.Slots(1, 1, List.of(), 0), RunnerTest.QUIET)));
        for (Expansion.Point p : ref) {
            JsonNode a = Json.readOrNull(one.resolve("runs").resolve(p.runId()).resolve("result.json"));
            JsonNode b = Json.readOrNull(two.resolve("runs").resolve(p.runId()).resolve("result.json"));
            for (String k : List.of("best_val_loss", "final_val_loss", "final_train_loss")) {
                assertEquals(a.get(k).asDouble(), b.get(k).asDouble(), 1e-6, k + " of " + p.runId());
            }
        }
    }

    @Test
    void optionsGiveWorkersThreadsAndDevices() {
        Map<String, String> env = Map.of("CUDA_VISIBLE_DEVICES", "2,3");
        assertEquals(Runner.Slots.ONE, SweepCommand.slots(null, null, null, env, 16), "default: one worker, the child's own threads");
        assertEquals(new Runner.Slots(4, 4, List.of(), 0), SweepCommand.slots(4, null, null, env, 16), "cores / K");
        assertEquals(new Runner.Slots(3, 1, List.of(), 0), SweepCommand.slots(3, null, null, env, 2), "at least one thread");
        assertEquals(new Runner.Slots(2, 3, List.of(), 0), SweepCommand.slots(2, 3, null, env, 16));
        assertEquals(new Runner.Slots(4, 4, List.of("0", "0", "1", "1"), 0), SweepCommand.slots(null, null, "0,0,1,1", env, 16),
                "one worker per entry");
        assertEquals(new Runner.Slots(2, 8, List.of("2", "3"), 0), SweepCommand.slots(null, null, "auto", env, 16));
        Runner.Slots s = SweepCommand.slots(3, null, "0, 1", env, 16);
        assertEquals(List.of("0", "1", "0"), List.of(s.as(0).gpu(), s.as(1).gpu(), s.as(2).gpu()), "worker i on gpus[i mod n]");
        assertEquals(List.of("GPU-1a2b", "MIG-3c/1/0"), SweepCommand.parseGpus("GPU-1a2b,MIG-3c/1/0", Map.of()));

        Map<String, String> child = new HashMap<>(Map.of("OMP_NUM_THREADS", "16"));
        Runner.environment(child, s.as(1));
        assertEquals(Map.of("OMP_NUM_THREADS", "5", "OPENBLAS_NUM_THREADS", "5", "CUDA_VISIBLE_DEVICES", "1", "OMP_WAIT_POLICY", "PASSIVE"), child);
        Map<String, String> unchanged = new HashMap<>(Map.of("OMP_NUM_THREADS", "16"));
        Runner.environment(unchanged, Runner.Slots.ONE);
        assertEquals(Map.of("OMP_NUM_THREADS", "16", "OMP_WAIT_POLICY", "PASSIVE"), unchanged, "one worker: the environment as before");

        for (String bad : List.of("", "0,,1", "a", "0;1", "-1")) {
            UserError e = assertThrows(UserError.class, () -> SweepCommand.parseGpus(bad, Map.of()), bad);
            assertTrue(e.getMessage().startsWith("--gpus '" + bad + "': expected device ids"), e.getMessage());
        }
        assertTrue(assertThrows(UserError.class, () -> SweepCommand.parseGpus("auto", Map.of())).getMessage()
                .startsWith("--gpus auto: CUDA_VISIBLE_DEVICES is not set"));
        assertThrows(UserError.class, () -> SweepCommand.slots(0, null, null, env, 16));
        assertThrows(UserError.class, () -> SweepCommand.slots(2, 0, null, env, 16));
    }

    @Test
    void badWorkerOptionsExitWithOneLine(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1]\n");
        for (List<String> args : List.of(List.of("--gpus", "0,x"), List.of("--workers", "0"), List.of("--threads-per-run", "0"),
                List.of("--in-process", "--threads-per-run", "1"), List.of("--in-process", "--reuse-jvm"))) {
            List<String> all = new java.util.ArrayList<>(List.of("sweep", "run", f.toString(), "--dir", tmp.resolve("d").toString()));
            all.addAll(args);
            SweepCommandTest.Out r = SweepCommandTest.cli(all.toArray(String[]::new));
            assertEquals(2, r.code(), args + ": " + r.err());
            assertTrue(r.err().startsWith("error: --") && r.err().lines().count() == 1, r.err());
        }
    }

    /** status names the worker (pid@host and its slot) of every live claim and counts the workers per process. */
    @Test
    void statusShowsEveryActiveWorker(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3]\n");
        Path dir = tmp.resolve("sweep");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), dir.resolve("runs").toString());
        Files.createDirectories(dir);
        Files.copy(f, dir.resolve("sweep.yaml"));
        for (int i = 0; i < 2; i++) {
            Path run = dir.resolve("runs").resolve(pts.get(i).runId());
            assertTrue(Locks.claim(run, 60_000, "worker " + (i + 1) + "/2, 1 thread, GPU " + i) != null);
            Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":" + (3 + i) + ",\"train_loss\":2.5,\"tokens_per_s\":900}\n");
        }
        SweepCommandTest.Out st = SweepCommandTest.cli("sweep", "status", dir.toString());
        assertEquals(0, st.code(), st.err());
        assertTrue(st.out().contains("step 3/6, train loss 2.5000, 900 tok/s, held by " + Locks.WORKER + " (worker 1/2, 1 thread, GPU 0)"), st.out());
        assertTrue(st.out().contains("step 4/6, train loss 2.5000, 900 tok/s, held by " + Locks.WORKER + " (worker 2/2, 1 thread, GPU 1)"), st.out());
        assertTrue(st.out().contains("active workers: 2 in 1 process(es) (" + Locks.WORKER + " ×2)"), st.out());
        assertTrue(st.out().contains("ETA ") && st.out().contains("with 2 worker(s)"), st.out());
    }

    /** K workers take the next run in claim order when free; above the core count they share the cores. */
    @Test
    void planPacksRunsOnWorkers(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3]\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), "runs");
        List<PlanTable.Row> rows = List.of(row(pts.get(0), 10), row(pts.get(1), 10), row(pts.get(2), 4));
        assertEquals(24, PlanTable.packedSeconds(rows, 1, 2), 1e-12);
        assertEquals(14, PlanTable.packedSeconds(rows, 2, 2), 1e-12, "10 | 10, then the 4 s run after the first");
        assertEquals(10, PlanTable.packedSeconds(rows, 3, 4), 1e-12);
        assertEquals(20, PlanTable.packedSeconds(rows, 4, 2), 1e-12, "4 at once on 2 cores: each twice as slow");

        SweepCommandTest.Out r = SweepCommandTest.cli("sweep", "plan", f.toString(), "--dir", tmp.resolve("d").toString(), "--workers", "2",
                "--threads-per-run", "1");
        assertEquals(0, r.code(), r.err());
        String line = r.out().lines().filter(l -> l.startsWith("packing: ")).findFirst().orElseThrow(() -> new AssertionError(r.out()));
        assertTrue(line.startsWith("packing: 2 run(s) at once, 1 thread(s) each") && line.contains("wall time for 3 runs")
                && line.contains("linear speed-up"), line);
    }

    /** Ways to split the cores: K = 1, 2, 4, … and the core count, cores / K threads each. */
    @Test
    void packingWaysSplitTheCores() {
        assertEquals(List.of(new Packing.Way(1, 2), new Packing.Way(2, 1)), Packing.ways(2));
        assertEquals(List.of(new Packing.Way(1, 6), new Packing.Way(2, 3), new Packing.Way(4, 1), new Packing.Way(6, 1)), Packing.ways(6));
        assertEquals(List.of(new Packing.Way(1, 1)), Packing.ways(1));
    }

    /**
     * The measured speeds turn into wall times: each run's training time divided by its way's speed at the
     * nearest measured N, list-scheduled on K workers, with a start-up per run, or per worker when warm.
     */
    @Test
    void measuredSpeedsGiveEachPackingsWallTime(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3, 4]\n");
        List<Expansion.Point> pts = Expansion.expand(SweepSpec.read(f), "runs");
        // runs of 12 s: 2 s start-up + 10 s training; two of a small N, two of a large one
        List<PlanTable.Row> rows = List.of(new PlanTable.Row(pts.get(0), 1_000, 1e4, 6e7, 0, 12, 6e7),
                new PlanTable.Row(pts.get(1), 1_000, 1e4, 6e7, 0, 12, 6e7), new PlanTable.Row(pts.get(2), 100_000, 1e4, 6e9, 0, 12, 6e9),
                new PlanTable.Row(pts.get(3), 100_000, 1e4, 6e9, 0, 12, 6e9));
        ModelConfig m = pts.get(0).config().model();
        // small: one process of the two at once runs at 0.8 of one with both cores; large: at 0.5
        List<Packing.Measured> ms = List.of(new Packing.Measured(new Packing.Row(rows.get(0), m, 4, 64), new double[]{1000, 800}),
                new Packing.Measured(new Packing.Row(rows.get(2), m, 4, 64), new double[]{400, 200}));
        List<Packing.Way> ways = Packing.ways(2);
        assertEquals(0.8, Packing.speed(ms, 1, 2_000), 1e-12, "nearest measured N in log N: 1 k");
        assertEquals(0.5, Packing.speed(ms, 1, 50_000), 1e-12, "nearer 100 k than 1 k");
        assertEquals(48, Packing.wallSeconds(rows, ms, ways.get(0), 0, 2, false), 1e-9, "4 × (2 + 10)");
        assertEquals(42, Packing.wallSeconds(rows, ms, ways.get(0), 0, 2, true), 1e-9, "2 + 4 × 10");
        // two workers: 2 + 12.5 for each small run, then 2 + 20 for each large one
        assertEquals(14.5 + 22, Packing.wallSeconds(rows, ms, ways.get(1), 1, 2, false), 1e-9);
        assertEquals(12.5 + 20 + 2, Packing.wallSeconds(rows, ms, ways.get(1), 1, 2, true), 1e-9);
    }

    /** The smallest, median and largest distinct shapes are measured; seeds do not make shapes distinct. */
    @Test
    void packingMeasuresThreeRepresentativeShapes(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  model.dModel: [16, 24, 32, 40, 48]\n  train.seed: [1, 2]\n");
        List<PlanTable.Row> rows = PlanTable.rows(Expansion.expand(SweepSpec.read(f), "runs"), Map.of(), TimeModel.defaults());
        List<Packing.Row> reps = Packing.representatives(rows, Map.of());
        assertEquals(List.of(16, 32, 48), reps.stream().map(r -> r.model().dModel()).toList());
        assertEquals(List.of("bench", "--shape", "1,16,2,8,4,256", "--steps", "5", "--norm", "layernorm", "--mlp", "gelu", "--position", "learned"),
                reps.get(0).benchArgs(5), "vocabulary unknown without the data: the plan's guess");
    }

    /** {@code sweep plan --measure-packing} times the step in processes of its own and names the fastest packing. */
    @Test
    void planMeasuresThePacking(@TempDir Path tmp) throws IOException {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  model.dModel: [16, 24]\n");
        SweepCommandTest.Out r = SweepCommandTest.cli("sweep", "plan", f.toString(), "--dir", tmp.resolve("d").toString(), "--measure-packing",
                "--repeats", "1", "--bench-steps", "2");
        assertEquals(0, r.code(), r.err());
        int cores = Runtime.getRuntime().availableProcessors();
        assertTrue(r.out().contains("packing, measured on this machine (" + cores + " cores"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("packing: fastest ")), r.out());
        assertTrue(r.out().lines().filter(l -> l.contains(" with --reuse-jvm")).count() == Packing.ways(cores).size(), r.out());
        SweepCommandTest.Out bad = SweepCommandTest.cli("sweep", "plan", f.toString(), "--measure-packing", "--repeats", "0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().startsWith("error: --repeats"), bad.err());
    }

    static PlanTable.Row row(Expansion.Point p, double seconds) {
        return new PlanTable.Row(p, 1000, 1e4, 6e7, 0, seconds, 6e7);
    }

    /** With G GPUs per worker the job asks for them and the worker trains one run per device it was given. */
    @Test
    void emittedJobsGiveEachWorkerItsGpus(@TempDir Path tmp) throws Exception {
        Path f = SweepTestSupport.spec(tmp, "grid:\n  train.seed: [1, 2, 3]\n");
        SweepCommandTest.Out k8s = SweepCommandTest.cli("sweep", "emit", "k8s", f.toString(), "--workers", "3", "--mem", "12Gi",
                "--gpus-per-worker", "2");
        assertEquals(0, k8s.code(), k8s.err());
        List<JsonNode> docs = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class).<JsonNode>readValues(k8s.out()).readAll();
        JsonNode c = docs.get(1).get("spec").get("template").get("spec").get("containers").get(0);
        assertEquals(2, c.get("resources").get("limits").get("nvidia.com/gpu").asInt());
        String command = c.get("command").get(2).asText();
        assertTrue(command.contains("--gpus 0,1") && command.contains("--run-memory 1638m"), "two runs at once share the memory: " + command);

        SweepCommandTest.Out slurm = SweepCommandTest.cli("sweep", "emit", "slurm", f.toString(), "--workers", "2",
                "--dir", tmp.resolve("shared/x").toString(), "--gpus-per-worker", "4");
        assertEquals(0, slurm.code(), slurm.err());
        assertTrue(slurm.out().lines().anyMatch(l -> l.equals("#SBATCH --gres=gpu:4")), slurm.out());
        assertTrue(slurm.out().contains("--gpus auto"), slurm.out());
        Path script = tmp.resolve("job.sbatch");
        Files.writeString(script, slurm.out());
        Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0);
        // what the worker makes of the allocation Slurm gives it
        assertEquals(new Runner.Slots(4, 2, List.of("4", "5", "6", "7"), 0),
                SweepCommand.slots(null, null, "auto", Map.of("CUDA_VISIBLE_DEVICES", "4,5,6,7"), 8));

        SweepCommandTest.Out none = SweepCommandTest.cli("sweep", "emit", "slurm", f.toString(), "--dir", tmp.resolve("shared/x").toString());
        assertTrue(!none.out().contains("--gres") && !none.out().contains("--gpus") && !none.out().contains("--reuse-jvm"), none.out());

        // warm workers: the worker's sweep run keeps one process per run slot
        SweepCommandTest.Out warmSlurm = SweepCommandTest.cli("sweep", "emit", "slurm", f.toString(), "--dir", tmp.resolve("shared/x").toString(),
                "--reuse-jvm");
        assertTrue(warmSlurm.out().lines().anyMatch(l -> l.startsWith("exec ") && l.contains(" --reuse-jvm")), warmSlurm.out());
        SweepCommandTest.Out warmK8s = SweepCommandTest.cli("sweep", "emit", "k8s", f.toString(), "--reuse-jvm");
        JsonNode wc = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class).<JsonNode>readValues(warmK8s.out()).readAll()
                .get(1).get("spec").get("template").get("spec").get("containers").get(0);
        assertTrue(wc.get("command").get(2).asText().contains(" --reuse-jvm"), wc.toString());
    }
}
