package org.scalelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.scaling.fit.FitCommand;
import org.scalelab.scaling.report.Report;
import org.scalelab.sweeps.Expansion;
import org.scalelab.sweeps.Runner;
import org.scalelab.sweeps.SweepSpec;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
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
        footer = {"", "Example:", "  scalelab quickstart          (about 2 minutes on 2 cores; Ctrl-C and run it again to continue)"})
public final class QuickstartCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "experiments/kaplan-tiny", description = "Sweep directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--in-process", description = "Train in this JVM instead of one child process per run.")
    boolean inProcess;

    @Override
    public Integer call() throws IOException {
        String text;
        try (InputStream in = QuickstartCommand.class.getResourceAsStream("/examples/kaplan-tiny.yaml")) {
            if (in == null) throw new UserError("the kaplan-tiny preset is missing from this build; rebuild with ./mvnw package");
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Files.createDirectories(dir);
        Path spec = dir.resolve("sweep.yaml");
        if (!Files.exists(spec) || !Files.readString(spec).equals(text)) Files.writeString(spec, text);
        SweepSpec s = SweepSpec.read(spec);
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
        int code = new CommandLine(new FitCommand()).execute(dir.toString(), "--laws", "n,n+e,c", "--bootstrap", "1000");
        if (code != 0) return code;
        Path index = Report.write(dir, dir.resolve("report"));

        JsonNode fits = Json.MAPPER.readTree(dir.resolve("fits.json").toFile());
        JsonNode power = law(fits, "L(N)"), floorLaw = law(fits, "L(N)+E");
        double floor = Double.NaN, trainS = 0, minLoss = Double.MAX_VALUE;
        for (Expansion.Point p : pts) {
            JsonNode r = org.scalelab.sweeps.ResultsCsv.readJson(dir.resolve("runs").resolve(p.runId()).resolve("result.json"));
            if (r == null) continue;
            if (r.path("loss_floor").isNumber()) floor = r.get("loss_floor").asDouble();
            trainS += r.path("wall_s").asDouble();
            if (r.path("best_val_loss").isNumber()) minLoss = Math.min(minLoss, r.get("best_val_loss").asDouble());
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "kaplan-tiny: %d runs, %.1f min of training (this call: %.1f min)%n", pts.size(), trainS / 60,
                (System.nanoTime() - t0) / 6e10);
        if (power != null) {
            JsonNode a = power.get("params").get("alpha_N");
            System.out.printf(Locale.ROOT, "  L(N) = (N_c/N)^alpha_N:     alpha_N = %.3f  [%.3f, %.3f] 95%%   (Kaplan et al. 2020: 0.076)%n",
                    a.get("value").asDouble(), a.path("ci_low").asDouble(Double.NaN), a.path("ci_high").asDouble(Double.NaN));
        }
        if (floorLaw != null && floorLaw.get("params").get("E").get("value").asDouble() < 1e-3 * minLoss) {
            System.out.printf(Locale.ROOT, "  L(N) = E + A·N^-alpha:      E is not determined by these runs (the fit puts it at 0): the losses "
                    + "(down to %.3f) are still far from any floor%n", minLoss);
        } else if (floorLaw != null) {
            JsonNode e = floorLaw.get("params").get("E"), a = floorLaw.get("params").get("alpha_N");
            System.out.printf(Locale.ROOT, "  L(N) = E + A·N^-alpha:      alpha = %.3f  [%.3f, %.3f],  E = %.3f  [%.3f, %.3f] nats%n",
                    a.get("value").asDouble(), a.path("ci_low").asDouble(Double.NaN), a.path("ci_high").asDouble(Double.NaN),
                    e.get("value").asDouble(), e.path("ci_low").asDouble(Double.NaN), e.path("ci_high").asDouble(Double.NaN));
        }
        System.out.printf(Locale.ROOT, "  exact loss floor of the synthetic corpus (Bayes-optimal, full document context): %.3f nats%n", floor);
        System.out.println("  report: " + index.toAbsolutePath());
        return 0;
    }

    private static JsonNode law(JsonNode fits, String id) {
        for (JsonNode l : fits.path("laws")) if (l.get("law").asText().equals(id)) return l;
        return null;
    }
}
