package org.scalelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.SyntheticV2;
import org.scalelab.datasets.UserError;
import org.scalelab.scaling.FitOptions;
import org.scalelab.scaling.FitReport;
import org.scalelab.scaling.Fits;
import org.scalelab.scaling.Table;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code scalelab quickstart}: the whole loop on the synthetic corpus built for scaling — the
 * kaplan-synthetic sweep (8 sizes × 3 token budgets as cooldown branches, fresh tokens only), its fit and
 * its report — and an answer that checks itself: the fitted irreducible loss E beside the corpus' exact
 * floor, the fitted exponent beside the one the corpus' construction predicts, and the error of an
 * extrapolation from the sizes up to N_max/8 to the largest. Runs again where it stopped.
 */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = "Run the kaplan-synthetic sweep, fit L(N) and L(N, D), write the report and check the fits against the corpus' exact floor and predicted exponent.",
        footer = {"", "Examples:", "  scalelab quickstart            (about 5 minutes on 2 cores; Ctrl-C and run it again to continue)",
                "  scalelab quickstart --quick    (about 3 minutes: 5 sizes, budgets a quarter as large; rough, and says so)",
                "  scalelab quickstart --seed 2 --dir experiments/kaplan-synthetic-seed2   (another corpus and initialisation)"})
public final class QuickstartCommand implements Callable<Integer> {
    static final String PRESET = "kaplan-synthetic";

    @Option(names = "--dir", defaultValue = "experiments/" + PRESET, description = "Sweep directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--in-process", description = "Train in this JVM instead of one child process per run.")
    boolean inProcess;

    @Option(names = "--reuse-jvm", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Train the runs back to back in one warm process, as sweep run --reuse-jvm (the default; the same "
                    + "numbers as a process per run, which --no-reuse-jvm gives). Ignored with --in-process.")
    boolean reuseJvm;

    @Option(names = "--quick", description = "A rough loop in about 3 minutes: the 5 smallest sizes, every budget a quarter as large.")
    boolean quick;

    @Option(names = "--sizes", paramLabel = "K", description = "Train only the preset's K smallest model sizes (4 to 8; default: all 8, 5 with --quick).")
    Integer sizes;

    @Option(names = "--max-tokens", paramLabel = "T", description = "Scale the token budgets so that the largest is T tokens (the others in proportion).")
    Double maxTokens;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the corpus (its sub-languages and tokens) and of the runs' initialisation (default: the preset's, 1).")
    Long seed;

    @Option(names = "--bootstrap", paramLabel = "B", defaultValue = "1000", description = "Bootstrap replicates for the intervals (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String text;
        try (InputStream in = QuickstartCommand.class.getResourceAsStream("/examples/" + PRESET + ".yaml")) {
            if (in == null) throw new UserError("the " + PRESET + " preset is missing from this build; rebuild with ./mvnw package");
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        text = adjusted(text, quick, sizes, maxTokens, seed);
        if (bootstrap < 0) throw new UserError("--bootstrap must be >= 0, got " + bootstrap);
        PrintWriter out = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.out, true);
        PrintWriter err = spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
        Files.createDirectories(dir);
        Path specFile = dir.resolve("sweep.yaml");
        if (!Files.exists(specFile) || !Files.readString(specFile).equals(text)) Files.writeString(specFile, text);
        SweepSpec s = SweepSpec.read(specFile);
        List<Expansion.Point> pts = Expansion.expand(s, dir.resolve("runs").toString());
        err.printf(Locale.ROOT, "quickstart: %d runs of the %s sweep -> %s (resumes where it stopped)%n", pts.size(), PRESET, dir);
        err.flush();
        long t0 = System.nanoTime();
        Runner.Options o = Runner.Options.defaults().inProcess(inProcess).reuseJvm(reuseJvm && !inProcess);
        Thread hook = new Thread(() -> o.stop().set(true));
        Runtime.getRuntime().addShutdownHook(hook);
        Runner.run(dir, pts, o);
        if (o.stop().get()) return 130;
        Runtime.getRuntime().removeShutdownHook(hook);

        err.println("quickstart: fitting");
        err.flush();
        int code = new CommandLine(new FitCommand()).setOut(out).setErr(err).execute(dir.toString(), "--laws", "n+e,chinchilla,c",
                "--bootstrap", String.valueOf(bootstrap));
        if (code != 0) return code;
        Path index = Report.write(dir, dir.resolve("report"));

        JsonNode fits = Json.MAPPER.readTree(dir.resolve("fits.json").toFile());
        double trainS = 0;
        List<JsonNode> results = new ArrayList<>();
        for (Expansion.Point p : pts) {
            JsonNode r = Json.readOrNull(dir.resolve("runs").resolve(p.runId()).resolve("result.json"));
            if (r == null) continue;
            results.add(r);
            trainS += r.path("wall_s").asDouble();
        }
        Floor f = floor(results);
        String corpus = pts.get(0).config().data().corpus();
        int nCtx = pts.get(0).config().model().nCtx();
        SyntheticV2.Prediction pred = SyntheticV2.prediction(corpus, nCtx);
        int nSizes = (int) pts.stream().map(p -> p.config().model()).distinct().count();

        out.println();
        out.printf(Locale.ROOT, "%s: %d runs (%d sizes, each a main run and %d budget branches), %.1f min of training (this call: %.1f min)%n",
                PRESET, pts.size(), nSizes, pts.size() / nSizes - 1, trainS / 60, (System.nanoTime() - t0) / 6e10);
        if (quick || maxTokens != null || (sizes != null && sizes < 8)) {
            out.println("  a smaller loop (--quick, --sizes or --max-tokens): rough numbers, not the quickstart's check of the corpus");
        }
        out.printf(Locale.ROOT, "  corpus %s: exact floor %.4f nats at the runs' context of %d tokens%s%n", corpus, f.nats(), nCtx,
                f.atContext() ? "" : " (full-document floor: the runs recorded none at their context)");
        if (pred != null) {
            out.printf(Locale.ROOT, "  its construction predicts alpha = %.3f (n-quanta oracle over n = %d … %d; zipf − 1 = %.3f; docs/synthetic.md)%n",
                    pred.alpha(), pred.fitLo(), pred.fitHi(), pred.zipf() - 1);
        }
        JsonNode ne = law(fits, "L(N)+E"), ch = law(fits, "chinchilla");
        if (ne != null) {
            out.printf(Locale.ROOT, "  L(N) = E + A·N^-alpha (each size at its largest budget):%n");
            out.printf(Locale.ROOT, "    alpha_N = %s%s%n", valueCi(ne, "alpha_N"), pred == null ? "" : String.format(Locale.ROOT, "   (predicted %.3f)", pred.alpha()));
            out.printf(Locale.ROOT, "    E       = %s%n", floorCheck(ne, f.nats()));
        }
        if (ch != null) {
            out.printf(Locale.ROOT, "  L(N, D) = E + A/N^alpha + B/D^beta (every size and budget):%n");
            out.printf(Locale.ROOT, "    alpha = %s,  beta = %s%n", valueCi(ch, "alpha"), valueCi(ch, "beta"));
            out.printf(Locale.ROOT, "    E     = %s%n", floorCheck(ch, f.nats()));
        }
        for (String line : extrapolation(dir)) out.println("  " + line);
        out.println("  report: " + index.toAbsolutePath());
        out.flush();
        return 0;
    }

    /** "0.512  [0.431, 0.604] 95%", with "not determined (why)" when the interval says so. */
    static String valueCi(JsonNode law, String name) {
        JsonNode p = law.path("params").path(name);
        Determined.Verdict v = Determined.of(law, name);
        return String.format(Locale.ROOT, "%.3f  [%.3f, %.3f] 95%%%s", p.path("value").asDouble(Double.NaN), p.path("ci_low").asDouble(Double.NaN),
                p.path("ci_high").asDouble(Double.NaN), v.notDetermined() ? "  not determined (" + v.why() + ")" : "");
    }

    /** E with its interval, how far from the exact floor, and whether the interval contains it. */
    static String floorCheck(JsonNode law, double floor) {
        JsonNode e = law.path("params").path("E");
        double v = e.path("value").asDouble(Double.NaN), lo = e.path("ci_low").asDouble(Double.NaN), hi = e.path("ci_high").asDouble(Double.NaN);
        String base = valueCi(law, "E");
        if (!Double.isFinite(floor)) return base;
        return base + String.format(Locale.ROOT, "   vs the exact floor %.3f: %+.1f%%, %s", floor, 100 * (v / floor - 1),
                Double.isNaN(lo) ? "no interval" : lo <= floor && floor <= hi ? "inside the interval" : "outside the interval");
    }

    /**
     * The laws fitted (without bootstrap) on the sizes with N ≤ N_max/8 only, and their prediction of the
     * largest size's loss at its largest budget against the measured one.
     */
    static List<String> extrapolation(Path sweepDir) {
        Table t = Table.sweep(sweepDir);
        double nMax = 0;
        for (Table.Run r : t.runs()) nMax = Math.max(nMax, Double.parseDouble(r.row().get("N")));
        List<Map<String, String>> small = new ArrayList<>();
        Table.Run largest = null;
        for (Table.Run r : t.runs()) {
            double n = Double.parseDouble(r.row().get("N"));
            if (n <= nMax / 8) small.add(r.row());
            if (n == nMax && (largest == null || Double.parseDouble(r.row().get("D")) > Double.parseDouble(largest.row().get("D")))) largest = r;
        }
        List<String> out = new ArrayList<>();
        long sizesBelow = small.stream().map(r -> r.get("N")).distinct().count();
        if (largest == null || sizesBelow < 4) {
            out.add(String.format(Locale.ROOT, "extrapolation: needs 4 or more sizes with N ≤ N_max/8 = %.3g, has %d", nMax / 8, sizesBelow));
            return out;
        }
        double measured = Double.parseDouble(largest.row().get("best_val_loss")), dMax = Double.parseDouble(largest.row().get("D"));
        FitReport fr;
        try {
            fr = Fits.fitAll(Table.of("sizes with N ≤ N_max/8", t.columns(), small),
                    FitOptions.defaults().withLaws(List.of("n+e", "chinchilla")).withBootstrap(0).withHoldout(0).withCurves(false));
        } catch (RuntimeException e) {
            out.add("extrapolation: the fit on the sizes up to N_max/8 failed: " + e.getMessage());
            return out;
        }
        out.add(String.format(Locale.ROOT, "extrapolation: fitted on the %d sizes with N ≤ %.3g (N_max/8), predicting N = %.3g at D = %.3g "
                + "(measured %.4f):", sizesBelow, nMax / 8, nMax, dMax, measured));
        for (String id : List.of("L(N)+E", "chinchilla")) {
            var lf = fr.law(id);
            if (lf.isEmpty()) continue;
            double p = id.equals("chinchilla") ? lf.get().fit().predict(nMax, dMax) : lf.get().fit().predict(nMax);
            out.add(String.format(Locale.ROOT, "  %-10s predicts %.4f: error %+.1f%%", id, p, 100 * (p / measured - 1)));
        }
        return out;
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
     * The preset made smaller or reseeded: {@code quick} keeps the 5 smallest sizes and a quarter of every
     * budget, {@code sizes} the K smallest, {@code maxTokens} scales the budgets so the largest is that many
     * tokens, {@code seed} sets the corpus' and the runs' seeds. The preset unchanged when none is given.
     */
    static String adjusted(String text, boolean quick, Integer sizes, Double maxTokens, Long seed) {
        if (!quick && sizes == null && maxTokens == null && seed == null) return text;
        try {
            ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
            ObjectNode root = (ObjectNode) yaml.readTree(text);
            ObjectNode zip = (ObjectNode) root.path("zip");
            int all = zip.elements().next().size();
            Integer k = sizes != null ? sizes : quick ? Integer.valueOf(5) : null;
            if (k != null) {
                if (k < 4 || k > all) throw new UserError("--sizes must be between 4 and " + all + " (the extrapolation needs 4 sizes), got " + k);
                for (var it = zip.fields(); it.hasNext(); ) {
                    ArrayNode list = (ArrayNode) it.next().getValue();
                    while (list.size() > k) list.remove(list.size() - 1);
                }
            }
            ArrayNode tokens = (ArrayNode) root.path("budgets").path("tokens");
            double largest = 0;
            for (JsonNode b : tokens) largest = Math.max(largest, b.asDouble());
            double scale = maxTokens != null ? maxTokens / largest : quick ? 0.25 : 1;
            if (maxTokens != null && !(maxTokens >= 1000)) throw new UserError("--max-tokens must be ≥ 1000, got " + maxTokens);
            if (scale != 1) {
                for (int i = 0; i < tokens.size(); i++) tokens.set(i, tokens.numberNode((double) Math.round(tokens.get(i).asDouble() * scale)));
                ObjectNode train = (ObjectNode) root.path("base").path("train");
                long perStep = train.path("batchSize").asLong(16) * root.path("base").path("model").path("nCtx").asLong(64);
                long smallestSteps = Math.round(tokens.get(0).asDouble() / perStep);
                // keep a few evaluations and a warm-up shorter than the smallest budget's stable phase
                train.put("warmupSteps", (int) Math.max(1, Math.min(train.path("warmupSteps").asInt(30), smallestSteps / 4)));
                train.put("evalEvery", (int) Math.max(1, Math.min(train.path("evalEvery").asInt(100), smallestSteps / 3)));
            }
            if (seed != null) {
                ObjectNode data = (ObjectNode) root.path("base").path("data");
                data.put("corpus", data.path("corpus").asText().replaceFirst("seed=\\d+", "seed=" + seed));
                ((ObjectNode) root.path("base").path("train")).put("seed", seed);
            }
            return "# " + PRESET + ", adjusted by quickstart's --quick/--sizes/--max-tokens/--seed\n" + yaml.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the " + PRESET + " preset does not parse", e);
        }
    }

    private static JsonNode law(JsonNode fits, String id) {
        for (JsonNode l : fits.path("laws")) if (l.get("law").asText().equals(id)) return l;
        return null;
    }
}
