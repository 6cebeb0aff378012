package org.scalelab.scaling.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.scalelab.scaling.ScalingError;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code scalelab plan}: how big a model, on how much data, for a budget. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Compute-optimal N and D for a budget (Kaplan and Chinchilla side by side), a concrete "
                + "shape, batch size, steps, the overfitting check and memory per device.",
        footer = {"", "Examples:",
                "  scalelab plan --compute 1e21",
                "  scalelab plan --gpu-hours 100 --gpu h100 --mfu 0.4",
                "  scalelab plan --params 1e8 --gpu a100",
                "  scalelab plan --compute 1e19 --fits sweeps/kaplan-small/fits.json --json"})
public final class PlanCommand implements Callable<Integer> {

    static final class Budget {
        @Option(names = "--compute", paramLabel = "FLOP", description = "Training compute in FLOP, e.g. 1e21.")
        Double compute;

        @Option(names = "--gpu-hours", paramLabel = "H", description = "GPU-hours (with --gpu and --mfu).")
        Double gpuHours;

        @Option(names = "--params", paramLabel = "N", description = "A model size; the plan finds its compute-optimal D.")
        Double params;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Budget budget;

    @Option(names = "--gpu", defaultValue = "h100", description = "h200, h100, a100-80, a100, l40s, l4, rtx4090, v100, t4 (default: ${DEFAULT-VALUE}).")
    String gpu;

    @Option(names = "--mfu", defaultValue = "0.4", description = "Model FLOP utilisation for time estimates (default: ${DEFAULT-VALUE}).")
    double mfu;

    @Option(names = "--n-ctx", defaultValue = "2048", description = "Context length (default: ${DEFAULT-VALUE}).")
    int nCtx;

    @Option(names = "--vocab", defaultValue = "50257", description = "Vocabulary size (default: ${DEFAULT-VALUE}, GPT-2's).")
    int vocab;

    @Option(names = "--fits", paramLabel = "FILE", description = "A fits.json whose Chinchilla-form law (E, A, alpha, B, beta) is planned with too.")
    Path fits;

    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Gpu g = Gpu.parse(gpu);
        if (!(mfu > 0 && mfu <= 1)) throw new ScalingError("--mfu must be in (0, 1], got " + mfu);
        if (nCtx <= 0 || vocab <= 0) throw new ScalingError("--n-ctx and --vocab must be > 0");
        List<Planner.Law> laws = new ArrayList<>(List.of(Planner.CHINCHILLA, Planner.BESIROGLU));
        if (fits != null) laws.add(readLaw(fits));
        Map<String, Object> plan = plan(g, laws);
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(plan));
        } else {
            System.out.print(render(plan));
        }
        return 0;
    }

    Map<String, Object> plan(Gpu g, List<Planner.Law> laws) {
        double c;
        if (budget.compute != null) c = positive("--compute", budget.compute);
        else if (budget.gpuHours != null) c = positive("--gpu-hours", budget.gpuHours) * 3600 * g.peakFlops * mfu;
        else c = Planner.CHINCHILLA.computeFor(positive("--params", budget.params));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("compute_flop", c);
        out.put("compute_pf_days", c / Planner.PF_DAY);
        out.put("gpu", g.label());
        out.put("mfu", mfu);
        out.put("gpu_hours", c / (g.peakFlops * mfu) / 3600);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Planner.Law law : laws) {
            double n = budget.params != null ? budget.params : law.nOpt(c);
            double d = budget.params != null ? law.dOpt(law.computeFor(n)) : law.dOpt(c);
            rows.add(row(law.name(), n, d, law.loss(n, d)));
        }
        double kn = budget.params != null ? budget.params : Planner.kaplanNOpt(c);
        double kc = budget.params != null ? Planner.kaplanComputeFor(kn) : c;
        double kd = kc / (6 * kn);
        rows.add(row("Kaplan et al. 2020 (N = 1.3e9·C^0.73, C in PF-days)", kn, kd, Planner.kaplanLoss(kn, kd)));
        out.put("allocations", rows);

        // A concrete plan for the first law (Chinchilla unless a user's fit is the only one wanted).
        Map<String, Object> first = rows.get(0);
        double n = (double) first.get("N"), d = (double) first.get("D"), loss = (double) first.get("loss");
        double bTokens = Planner.criticalBatch(Planner.kaplanLoss(n, d));
        int seqs = Math.max(1, Integer.highestOneBit((int) Math.max(1, Math.min(Integer.MAX_VALUE, bTokens / nCtx))));
        Map<String, Object> conc = new LinkedHashMap<>();
        conc.put("law", first.get("law"));
        conc.put("critical_batch_tokens", bTokens);
        conc.put("batch_sequences", seqs);
        conc.put("batch_tokens", (long) seqs * nCtx);
        conc.put("steps", Math.round(d / ((double) seqs * nCtx)));
        conc.put("min_tokens_no_overfit", Planner.minTokens(n));
        conc.put("overfit_check", d >= Planner.minTokens(n) ? "ok" : "D below 5e3·N^0.74: expect overfitting");
        conc.put("predicted_loss", loss);
        List<Map<String, Object>> shapes = new ArrayList<>();
        for (Planner.Shape s : Planner.shapes(n)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("family", s.family());
            m.put("n_layer", s.nLayer());
            m.put("d_model", s.dModel());
            m.put("n_head", s.nHead());
            m.put("N_12Ld2", s.params());
            double total = s.params() + (double) vocab * s.dModel() + (double) nCtx * s.dModel();
            int micro = seqs;
            Memory mem = Memory.estimate(total, s.nLayer(), s.dModel(), s.nHead(), nCtx, vocab, micro);
            while (micro > 1 && mem.total() > g.memoryGb * 1e9) {
                micro /= 2;
                mem = Memory.estimate(total, s.nLayer(), s.dModel(), s.nHead(), nCtx, vocab, micro);
            }
            m.put("micro_batch", micro);
            m.put("memory_gb", Map.of("weights", mem.weights() / 1e9, "gradients", mem.gradients() / 1e9,
                    "adam", mem.adam() / 1e9, "activations", mem.activations() / 1e9, "total", mem.total() / 1e9));
            m.put("fits_one_" + g.label(), mem.total() <= g.memoryGb * 1e9);
            shapes.add(m);
        }
        conc.put("shapes", shapes);
        out.put("plan", conc);
        return out;
    }

    private static Map<String, Object> row(String name, double n, double d, double loss) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("law", name);
        m.put("N", n);
        m.put("D", d);
        m.put("tokens_per_param", d / n);
        m.put("loss", loss);
        return m;
    }

    @SuppressWarnings("unchecked")
    static String render(Map<String, Object> p) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Budget: C = %.3g FLOP = %.3g PF-days = %.0f %s-hours at MFU %.2f%n%n",
                p.get("compute_flop"), p.get("compute_pf_days"), p.get("gpu_hours"), p.get("gpu"), p.get("mfu")));
        sb.append(String.format(Locale.ROOT, "%-56s %10s %10s %8s %8s%n", "compute-optimal allocation", "N", "D", "D/N", "loss"));
        for (Map<String, Object> r : (List<Map<String, Object>>) p.get("allocations")) {
            sb.append(String.format(Locale.ROOT, "%-56s %10.3g %10.3g %8.1f %8.3f%n", r.get("law"), r.get("N"), r.get("D"),
                    r.get("tokens_per_param"), r.get("loss")));
        }
        Map<String, Object> c = (Map<String, Object>) p.get("plan");
        sb.append(String.format(Locale.ROOT, "%nPlan (%s):%n", c.get("law")));
        sb.append(String.format(Locale.ROOT, "  batch: critical batch %.3g tokens -> %d sequences = %d tokens; %d steps%n",
                c.get("critical_batch_tokens"), c.get("batch_sequences"), c.get("batch_tokens"), c.get("steps")));
        sb.append(String.format(Locale.ROOT, "  overfitting: D >= 5e3*N^0.74 = %.3g tokens: %s%n", c.get("min_tokens_no_overfit"), c.get("overfit_check")));
        for (Map<String, Object> s : (List<Map<String, Object>>) c.get("shapes")) {
            Map<String, Object> mem = (Map<String, Object>) s.get("memory_gb");
            String fitsKey = s.keySet().stream().filter(k -> k.startsWith("fits_one_")).findFirst().orElseThrow();
            sb.append(String.format(Locale.ROOT, "  %-10s nLayer=%d dModel=%d nHead=%d (12·L·d² = %.3g); micro-batch %d: "
                            + "weights %.1f + grads %.1f + Adam %.1f + activations %.1f = %.1f GB -> %s%n",
                    s.get("family"), s.get("n_layer"), s.get("d_model"), s.get("n_head"), s.get("N_12Ld2"), s.get("micro_batch"),
                    mem.get("weights"), mem.get("gradients"), mem.get("adam"), mem.get("activations"), mem.get("total"),
                    (boolean) s.get(fitsKey) ? "fits one " + fitsKey.substring(9) : "needs sharding across several " + fitsKey.substring(9)));
        }
        return sb.toString();
    }

    private static double positive(String flag, double v) {
        if (!(v > 0) || Double.isInfinite(v)) throw new ScalingError(flag + " must be a positive number, got " + v);
        return v;
    }

    /** The first object in a fits.json with the keys E, A, B, alpha and beta (any case). */
    static Planner.Law readLaw(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ScalingError(file + ": cannot read (" + e.getMessage() + ")");
        }
        Planner.Law law = find(root);
        if (law == null) throw new ScalingError(file + ": no law with fields E, A, alpha, B, beta; fit a Chinchilla-form law first (scalelab fit)");
        return law;
    }

    private static Planner.Law find(JsonNode n) {
        if (n == null) return null;
        if (n.isObject()) {
            Map<String, Double> v = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode x = e.getValue().isObject() && e.getValue().has("value") ? e.getValue().get("value") : e.getValue();
                if (x.isNumber()) v.put(e.getKey().toLowerCase(Locale.ROOT), x.asDouble());
            }
            if (v.keySet().containsAll(List.of("e", "a", "b", "alpha", "beta"))) {
                return new Planner.Law("your fit", v.get("e"), v.get("a"), v.get("alpha"), v.get("b"), v.get("beta"));
            }
            for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                Planner.Law l = find(it.next());
                if (l != null) return l;
            }
        } else if (n.isArray()) {
            for (JsonNode x : n) {
                Planner.Law l = find(x);
                if (l != null) return l;
            }
        }
        return null;
    }
}
