package org.scalelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.scaling.fit.Determined;
import org.scalelab.scaling.fit.FitCommand;
import org.scalelab.scaling.report.Report;
import org.scalelab.sweeps.Expansion;
import org.scalelab.sweeps.Runner;
import org.scalelab.sweeps.SweepSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code scalelab quickstart}: the whole loop on the built-in synthetic corpus — the kaplan-tiny sweep,
 * its fit and its report — then the fitted exponent next to Kaplan's and the fitted irreducible loss
 * next to the corpus' exact floor. Runs again where it stopped.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Run the kaplan-tiny sweep on the synthetic corpus, fit L(N), write the report and compare with Kaplan et al.",
        footer = {"", "Examples:", "  scalelab quickstart          (about 2 minutes on 2 cores; Ctrl-C and run it again to continue)",
                "  scalelab quickstart --dir /tmp/qs --steps 40 --sizes 4 --bootstrap 100   (a rough loop in well under a minute)"})
public final class QuickstartCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "experiments/kaplan-tiny", description = "Sweep directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--in-process", description = "Train in this JVM instead of one child process per run.")
    boolean inProcess;

    @Option(names = "--steps", paramLabel = "S", description = "Optimizer steps per run instead of the preset's 300 (a quicker, rougher loop).")
    Integer steps;

    @Option(names = "--sizes", paramLabel = "K", description = "Train only the preset's K smallest model sizes (3 to 8; default: all 8).")
    Integer sizes;

    @Option(names = "--bootstrap", paramLabel = "B", defaultValue = "1000", description = "Bootstrap replicates for the intervals (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String text;
        try (InputStream in = QuickstartCommand.class.getResourceAsStream("/examples/kaplan-tiny.yaml")) {
            if (in == null) throw new UserError("the kaplan-tiny preset is missing from this build; rebuild with ./mvnw package");
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = smaller(text, steps, sizes);
        if (bootstrap < 0) throw new UserError("--bootstrap must be >= 0, got " + bootstrap);
        PrintWriter out = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.out, true);
        PrintWriter err = spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
        Files.createDirectories(dir);
        Path specFile = dir.resolve("sweep.yaml");
        if (!Files.exists(specFile) || !Files.readString(specFile).equals(text)) Files.writeString(specFile, text);
        SweepSpec s = SweepSpec.read(specFile);
        List<Expansion.Point> pts = Expansion.expand(s, dir.resolve("runs").toString());
        System.err.printf(Locale.ROOT, "quickstart: %d runs of the kaplan-tiny sweep -> %s (resumes where it stopped)%n", pts.size(), dir);
        long t0 = System.nanoTime();
        Runner.Options o = Runner.Options.defaults().inProcess(inProcess);
        Thread hook = new Thread(() -> o.stop().set(true));
        Runtime.getRuntime().addShutdownHook(hook);
        Runner.run(dir, pts, o);
        if (o.stop().get()) return 130;
        Runtime.getRuntime().removeShutdownHook(hook);

        System.err.println("quickstart: fitting");
        int code = new CommandLine(new FitCommand()).setOut(out).setErr(err).execute(dir.toString(), "--laws", "n,n+e,c", "--bootstrap", String.valueOf(bootstrap));
        if (code != 0) return code;
        Path index = Report.write(dir, dir.resolve("report"));

        JsonNode fits = Json.MAPPER.readTree(dir.resolve("fits.json").toFile());
        JsonNode power = law(fits, "L(N)"), floorLaw = law(fits, "L(N)+E");
        double trainS = 0, minLoss = Double.MAX_VALUE;
        List<JsonNode> results = new java.util.ArrayList<>();
        for (Expansion.Point p : pts) {
            JsonNode r = Json.readOrNull(dir.resolve("runs").resolve(p.runId()).resolve("result.json"));
            if (r == null) continue;
            results.add(r);
            trainS += r.path("wall_s").asDouble();
            if (r.path("best_val_loss").isNumber()) minLoss = Math.min(minLoss, r.get("best_val_loss").asDouble());
        }
        Floor f = floor(results);
        double floor = f.nats();
        boolean floorAtCtx = f.atContext();
        out.println();
        out.printf(Locale.ROOT, "kaplan-tiny: %d runs, %.1f min of training (this call: %.1f min)%n", pts.size(), trainS / 60,
                (System.nanoTime() - t0) / 6e10);
        if (power != null) {
            JsonNode a = power.get("params").get("alpha_N");
            out.printf(Locale.ROOT, "  L(N) = (N_c/N)^alpha_N:     alpha_N = %.3f  [%.3f, %.3f] 95%%   (Kaplan et al. 2020: 0.076)%n",
                    a.get("value").asDouble(), a.path("ci_low").asDouble(Double.NaN), a.path("ci_high").asDouble(Double.NaN));
        }
        Determined.Verdict ev = floorLaw == null ? null : Determined.of(floorLaw, "E");
        if (ev != null && ev.notDetermined()) {
            out.printf(Locale.ROOT, "  L(N) = E + A·N^-alpha:      E is not determined by these runs (%s); the losses go down to %.3f%n",
                    ev.why(), minLoss);
        } else if (floorLaw != null) {
            JsonNode e = floorLaw.get("params").get("E"), a = floorLaw.get("params").get("alpha_N");
            out.printf(Locale.ROOT, "  L(N) = E + A·N^-alpha:      alpha = %.3f  [%.3f, %.3f],  E = %.3f  [%.3f, %.3f] nats%n",
                    a.get("value").asDouble(), a.path("ci_low").asDouble(Double.NaN), a.path("ci_high").asDouble(Double.NaN),
                    e.get("value").asDouble(), e.path("ci_low").asDouble(Double.NaN), e.path("ci_high").asDouble(Double.NaN));
        }
        out.printf(Locale.ROOT, floorAtCtx
                ? "  exact loss floor of the synthetic corpus at the runs' context length (Bayes-optimal): %.3f nats%n"
                : "  exact loss floor of the synthetic corpus (Bayes-optimal, full document context): %.3f nats%n", floor);
        out.println("  report: " + index.toAbsolutePath());
        out.flush();
        return 0;
    }

    /** The corpus' exact loss floor and whether it is the one at the runs' context length. */
    record Floor(double nats, boolean atContext) {}

    /**
     * The floor the runs' result.json record: {@code loss_floor_ctx} (the Bayes floor given only the
     * nCtx tokens a model sees) when present, else {@code loss_floor} (full document context); NaN if neither.
     */
    static Floor floor(List<JsonNode> results) {
        for (JsonNode r : results) if (r.path("loss_floor_ctx").isNumber()) return new Floor(r.get("loss_floor_ctx").asDouble(), true);
        for (JsonNode r : results) if (r.path("loss_floor").isNumber()) return new Floor(r.get("loss_floor").asDouble(), false);
        return new Floor(Double.NaN, false);
    }

    /**
     * The preset with fewer steps (warm-up and evaluation intervals scaled with them) and only its
     * {@code sizes} smallest models; the preset unchanged when neither is given.
     */
    static String smaller(String text, Integer steps, Integer sizes) {
        if (steps == null && sizes == null) return text;
        try {
            com.fasterxml.jackson.databind.ObjectMapper yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
            com.fasterxml.jackson.databind.node.ObjectNode root = (com.fasterxml.jackson.databind.node.ObjectNode) yaml.readTree(text);
            if (steps != null) {
                if (steps < 10) throw new UserError("--steps must be >= 10 (a learning curve needs a few evaluations), got " + steps);
                var train = (com.fasterxml.jackson.databind.node.ObjectNode) root.path("base").path("train");
                train.put("steps", steps);
                train.put("warmupSteps", Math.max(1, Math.min(train.path("warmupSteps").asInt(30), steps / 10)));
                train.put("evalEvery", Math.max(1, Math.min(train.path("evalEvery").asInt(50), steps / 5)));
                train.put("checkpointEvery", Math.min(train.path("checkpointEvery").asInt(200), steps));
            }
            if (sizes != null) {
                var zip = (com.fasterxml.jackson.databind.node.ObjectNode) root.path("zip");
                int all = zip.elements().next().size();
                if (sizes < 3 || sizes > all) throw new UserError("--sizes must be between 3 and " + all + " (L(N) needs several sizes), got " + sizes);
                for (var it = zip.fields(); it.hasNext(); ) {
                    var list = (com.fasterxml.jackson.databind.node.ArrayNode) it.next().getValue();
                    while (list.size() > sizes) list.remove(list.size() - 1);
                }
            }
            return "# kaplan-tiny, made smaller by quickstart's --steps/--sizes\n" + yaml.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the kaplan-tiny preset does not parse", e);
        }
    }

    private static JsonNode law(JsonNode fits, String id) {
        for (JsonNode l : fits.path("laws")) if (l.get("law").asText().equals(id)) return l;
        return null;
    }
}
