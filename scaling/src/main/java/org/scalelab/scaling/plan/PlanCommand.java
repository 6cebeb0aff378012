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

    @Option(names = "--fits", paramLabel = "FILE", description = "A fits.json (scalelab fit) whose laws in N and D are planned with too, and the "
            + "concrete plan made from: chinchilla, Kaplan's L(N,D), or L(N) with L(D); its critical-batch fit sets the batch; "
            + "its hyperparameter laws (fit --laws hyper) give the learning rate and batch size for the budget.")
    Path fits;

    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        Gpu g = Gpu.parse(gpu);
        if (!(mfu > 0 && mfu <= 1)) throw new ScalingError("--mfu must be in (0, 1], got " + mfu);
        if (nCtx <= 0 || vocab <= 0) throw new ScalingError("--n-ctx and --vocab must be > 0");
        UserFits user = fits != null ? readFits(fits) : null;
        Map<String, Object> plan = plan(g, List.of(Planner.CHINCHILLA, Planner.BESIROGLU), user);
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(plan));
        } else {
            System.out.print(render(plan));
        }
        return 0;
    }

    /**
     * The laws of a user's fits.json in the planner's order (the first makes the concrete plan; none when
     * the file has only hyperparameter laws), its critical-batch fit B_crit(L) = B* · L^(−1/α_B) (NaN
     * without one), and its hyperparameter laws (null without them).
     */
    record UserFits(List<Planner.Law> laws, double bStar, double alphaB, HyperLaws hyper) {
        UserFits(List<Planner.Law> laws, double bStar, double alphaB) {
            this(laws, bStar, alphaB, null);
        }

        boolean hasCriticalBatch() {
            return Double.isFinite(bStar) && Double.isFinite(alphaB) && bStar > 0 && alphaB > 0;
        }
    }

    /**
     * The allocations of the published laws and of the user's, and a concrete plan: the user's first law
     * when a fits.json is given, else the first published one.
     */
    Map<String, Object> plan(Gpu g, List<? extends Planner.Law> published, UserFits user) {
        List<Planner.Law> laws = new ArrayList<>(published);
        if (user != null) laws.addAll(user.laws());
        Planner.Law planned = user != null && !user.laws().isEmpty() ? user.laws().get(0) : laws.get(0);
        double c;
        if (budget.compute != null) c = positive("--compute", budget.compute);
        else if (budget.gpuHours != null) c = positive("--gpu-hours", budget.gpuHours) * 3600 * g.peakFlops * mfu;
        else c = planned.computeFor(positive("--params", budget.params));
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

        // The concrete plan: the user's fit when given, else Chinchilla.
        Map<String, Object> first = rows.get(laws.indexOf(planned));
        double n = (double) first.get("N"), d = (double) first.get("D"), loss = (double) first.get("loss");
        // the critical batch from the user's own fit at the loss their law predicts (both in their units),
        // else Kaplan's at the loss Kaplan's L(N, D) predicts (both on WebText2)
        boolean ownBatch = user != null && user.hasCriticalBatch();
        double bTokens = ownBatch ? user.bStar() / Math.pow(loss, 1 / user.alphaB()) : Planner.criticalBatch(Planner.kaplanLoss(n, d));
        int seqs = Math.max(1, Integer.highestOneBit((int) Math.max(1, Math.min(Integer.MAX_VALUE, bTokens / nCtx))));
        Map<String, Object> conc = new LinkedHashMap<>();
        conc.put("law", first.get("law"));
        conc.put("critical_batch_source", ownBatch
                ? String.format(Locale.ROOT, "your fit: B_crit = %.3g/L^(1/%.3f) at L = %.3f", user.bStar(), user.alphaB(), loss)
                : "Kaplan et al. 2020: B_crit = 2e8/L^(1/0.21) at Kaplan's L(N,D)");
        conc.put("critical_batch_tokens", bTokens);
        conc.put("batch_sequences", seqs);
        conc.put("batch_tokens", (long) seqs * nCtx);
        conc.put("steps", Math.round(d / ((double) seqs * nCtx)));
        conc.put("min_tokens_no_overfit", Planner.minTokens(n));
        conc.put("overfit_check", d >= Planner.minTokens(n) ? "ok"
                : "D is below it: a corpus of only D tokens would overfit; use a corpus of at least that many tokens");
        conc.put("predicted_loss", loss);
        if (user != null && user.hyper() != null) conc.put("hyperparameters", hyperparameters(user.hyper(), c));
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

    /**
     * The learning rate and batch size the user's hyperparameter laws give at compute c, with intervals,
     * how far c lies beyond the budgets they were fitted on, and DeepSeek LLM's laws at the same c (whose C
     * is M·D, not 6·N·D, and whose optimizer and data differ: a reference, not a prediction).
     */
    Map<String, Object> hyperparameters(HyperLaws h, double c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("source", String.format(Locale.ROOT, "your fit: %s from %d near-optimal runs at C = %.3g…%.3g",
                h.lr() != null && h.batch() != null ? "lr_opt = a·C^b, B_opt = c·C^d" : h.lr() != null ? "lr_opt = a·C^b" : "B_opt = c·C^d",
                h.points(), h.cMin(), h.cMax()));
        if (h.lr() != null) {
            double[] ci = h.lr().interval(c);
            m.put("lr", h.lr().at(c));
            m.put("lr_ci_low", finite(ci[0]));
            m.put("lr_ci_high", finite(ci[1]));
        }
        if (h.batch() != null) {
            double b = h.batch().at(c);
            double[] ci = h.batch().interval(c);
            m.put("batch_tokens", b);
            m.put("batch_tokens_ci_low", finite(ci[0]));
            m.put("batch_tokens_ci_high", finite(ci[1]));
            m.put("batch_sequences", Math.max(1, Math.round(b / nCtx)));
        }
        // how many times beyond (> 1) or below (< 1) the fitted budgets c lies; 1 inside them
        m.put("extrapolation", c > h.cMax() ? c / h.cMax() : c < h.cMin() ? c / h.cMin() : 1.0);
        m.put("deepseek_lr", org.scalelab.scaling.Published.deepseekLr(c));
        m.put("deepseek_batch_tokens", org.scalelab.scaling.Published.deepseekBatch(c));
        return m;
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
        sb.append(String.format(Locale.ROOT, "  batch: critical batch %.3g tokens (%s) -> %d sequences = %d tokens; %d steps%n",
                c.get("critical_batch_tokens"), c.get("critical_batch_source"), c.get("batch_sequences"), c.get("batch_tokens"), c.get("steps")));
        sb.append(String.format(Locale.ROOT, "  overfitting: D >= 5e3*N^0.74 = %.3g tokens: %s%n", c.get("min_tokens_no_overfit"), c.get("overfit_check")));
        Map<String, Object> h = (Map<String, Object>) c.get("hyperparameters");
        if (h != null) sb.append(renderHyper(h));
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

    private static String renderHyper(Map<String, Object> h) {
        List<String> parts = new ArrayList<>();
        if (h.containsKey("lr")) {
            parts.add(String.format(Locale.ROOT, "lr %.3g %s", h.get("lr"), interval(h.get("lr_ci_low"), h.get("lr_ci_high"))));
        }
        if (h.containsKey("batch_tokens")) {
            parts.add(String.format(Locale.ROOT, "batch %.3g tokens %s = %d sequences", h.get("batch_tokens"),
                    interval(h.get("batch_tokens_ci_low"), h.get("batch_tokens_ci_high")), h.get("batch_sequences")));
        }
        double x = (double) h.get("extrapolation");
        String where = x > 1 ? String.format(Locale.ROOT, "; C is %.3g× the largest budget fitted, an extrapolation", x)
                : x < 1 ? String.format(Locale.ROOT, "; C is 1/%.3g of the smallest budget fitted", 1 / x) : "";
        return String.format(Locale.ROOT, "  hyperparameters (%s): %s%s%n    DeepSeek LLM at this C (their C = M·D, optimizer and data): lr %.3g, batch %.3g tokens%n",
                h.get("source"), String.join(", ", parts), where, h.get("deepseek_lr"), h.get("deepseek_batch_tokens"));
    }

    private static String interval(Object lo, Object hi) {
        return lo != null && hi != null ? String.format(Locale.ROOT, "[%.3g, %.3g]", lo, hi) : "(no interval)";
    }

    /** JSON has no NaN: an interval that could not be read is null. */
    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static double positive(String flag, double v) {
        if (!(v > 0) || Double.isInfinite(v)) throw new ScalingError(flag + " must be a positive number, got " + v);
        return v;
    }

    /**
     * The laws the planner can use from a fits.json, in this order: Chinchilla's form ({@code chinchilla}),
     * Kaplan's {@code L(N,D)}, and {@code L(N)} with {@code L(D)} joined in Kaplan's L(N, D) form (whose
     * limits they are: L(N, ∞) = (N_c/N)^α_N, L(∞, D) = (D_c/D)^α_D). A file of another layout may hold
     * an object with the fields E, A, B, alpha and beta (any case), read as a Chinchilla-form law. A file
     * with hyperparameter laws alone is planned with the published laws and gives the learning rate and batch.
     */
    static UserFits readFits(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ScalingError(file + ": cannot read (" + e.getMessage() + ")");
        }
        if (root == null) throw new ScalingError(file + ": empty; give the fits.json that scalelab fit wrote");
        List<Planner.Law> laws = new ArrayList<>();
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (JsonNode l : root.path("laws")) byId.putIfAbsent(l.path("law").asText(), l.path("params"));
        double[] ch = values(byId.get("chinchilla"), "E", "A", "alpha", "B", "beta");
        if (ch != null) laws.add(new Planner.Chinchilla("your fit: chinchilla (" + file.getFileName() + ")", ch[0], ch[1], ch[2], ch[3], ch[4]));
        double[] nd = values(byId.get("L(N,D)"), "N_c", "D_c", "alpha_N", "alpha_D");
        if (nd != null) laws.add(new Planner.KaplanND("your fit: Kaplan L(N,D) (" + file.getFileName() + ")", nd[0], nd[1], nd[2], nd[3]));
        double[] ln = values(byId.get("L(N)"), "N_c", "alpha_N"), ld = values(byId.get("L(D)"), "D_c", "alpha_D");
        if (ln != null && ld != null) {
            laws.add(new Planner.KaplanND("your fit: L(N), L(D) as Kaplan L(N,D) (" + file.getFileName() + ")", ln[0], ld[0], ln[1], ld[1]));
        }
        if (laws.isEmpty()) {
            Planner.Chinchilla any = find(root);
            if (any != null) laws.add(any);
        }
        HyperLaws hyper = HyperLaws.read(root.get("hyperparameters"));
        if (laws.isEmpty() && hyper == null) {
            throw new ScalingError(file + ": no law in N and D the planner can use (it has " + (byId.isEmpty() ? "no laws" : String.join(", ", byId.keySet()))
                    + "); it plans with chinchilla, Kaplan's L(N,D), or L(N) together with L(D): fit a sweep that varies N and D with "
                    + "scalelab fit SWEEP_DIR --laws chinchilla,nd");
        }
        for (Planner.Law l : laws) {
            if (!(l.nOpt(1e21) > 0) || Double.isInfinite(l.nOpt(1e21))) {
                throw new ScalingError(file + ": " + l.name() + " has no compute-optimal allocation (its exponents must be > 0)");
            }
        }
        JsonNode cb = root.path("critical_batch");
        return new UserFits(List.copyOf(laws), cb.path("B_star").asDouble(Double.NaN), cb.path("alpha_B").asDouble(Double.NaN), hyper);
    }

    /** The named parameters' values of a fits.json law ({@code name: {value: …}}), or null when one is missing. */
    private static double[] values(JsonNode params, String... names) {
        if (params == null) return null;
        double[] v = new double[names.length];
        for (int i = 0; i < names.length; i++) {
            JsonNode x = params.path(names[i]).path("value");
            if (!x.isNumber()) return null;
            v[i] = x.asDouble();
        }
        return v;
    }

    private static Planner.Chinchilla find(JsonNode n) {
        if (n == null) return null;
        if (n.isObject()) {
            Map<String, Double> v = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                JsonNode x = e.getValue().isObject() && e.getValue().has("value") ? e.getValue().get("value") : e.getValue();
                if (x.isNumber()) v.put(e.getKey().toLowerCase(Locale.ROOT), x.asDouble());
            }
            if (v.keySet().containsAll(List.of("e", "a", "b", "alpha", "beta"))) {
                return new Planner.Chinchilla("your fit", v.get("e"), v.get("a"), v.get("alpha"), v.get("b"), v.get("beta"));
            }
            for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                Planner.Chinchilla l = find(it.next());
                if (l != null) return l;
            }
        } else if (n.isArray()) {
            for (JsonNode x : n) {
                Planner.Chinchilla l = find(x);
                if (l != null) return l;
            }
        }
        return null;
    }
}
