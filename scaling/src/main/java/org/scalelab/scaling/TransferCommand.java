package org.scalelab.scaling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.scalelab.scaling.fit.Families;
import org.scalelab.scaling.fit.Transfer;
import org.scalelab.scaling.report.SweepData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;

import static org.scalelab.scaling.FitJson.num;

/**
 * {@code scalelab transfer SWEEP_DIR}: the analysis of a transfer sweep (effective data transferred) and,
 * where the sweep has shape families, the pairwise family comparison of pre-training (at equal N and at
 * equal compute) and fine-tuning. Writes transfer.json and transfer.csv beside results.csv.
 */
@Command(name = "transfer", mixinStandardHelpOptions = true,
        description = "Effective data transferred by pre-training (D_T = k·D_F^alpha·N^beta) and shape-family comparisons "
                + "for a transfer sweep; writes transfer.json and transfer.csv.",
        footer = {"", "Example:", "  scalelab sweep run examples/transfer-tiny.yaml && scalelab transfer experiments/transfer-tiny"})
public final class TransferCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(paramLabel = "SWEEP_DIR", description = "A transfer sweep directory (results.csv with phase and D_F columns).")
    Path dir;

    @Option(names = "--bootstrap", defaultValue = "1000", description = "Bootstrap replicates for the intervals (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--reference", defaultValue = "standard", description = "The reference shape family (default: ${DEFAULT-VALUE}).")
    String reference;

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(dir.resolve("results.csv"))) throw new ScalingError(dir + ": no results.csv; run the sweep first");
        if (bootstrap < 0) throw new ScalingError("--bootstrap must be ≥ 0");
        SweepData data = SweepData.read(dir);
        Map<String, Object> out = analyse(data, bootstrap, reference);
        AtomicFiles.write(dir.resolve("transfer.json"), JSON.writeValueAsBytes(out));
        AtomicFiles.write(dir.resolve("transfer.csv"), csv(out).getBytes(StandardCharsets.UTF_8));
        System.out.print(text(out));
        System.out.println("-> " + dir.resolve("transfer.json").toAbsolutePath());
        return 0;
    }

    /** A model: what its runs share (family, size, seed), the key of its from-scratch curve. */
    static String model(SweepData.Run r) {
        String fam = r.row().getOrDefault("family", "");
        String size = r.row().getOrDefault("target_N", "");
        if (size.isBlank()) size = "N=" + r.row().getOrDefault("N", "?");
        else size = "N≈" + size;
        return (fam.isBlank() ? "" : fam + " ") + size + " seed " + r.row().getOrDefault("seed", "?");
    }

    public static Map<String, Object> analyse(SweepData data, int bootstrap, String reference) {
        if (!data.columns().contains("phase") && !data.columns().contains("family")) {
            throw new ScalingError(data.dir().resolve("results.csv") + ": no 'phase' or 'family' column; this is neither a transfer "
                    + "sweep (add a transfer: section with pretrain:, finetune: and budgets: to the spec) nor a shape-family sweep");
        }
        List<Transfer.Run> runs = new ArrayList<>();
        for (SweepData.Run r : data.done()) {
            String ph = r.row().getOrDefault("phase", "");
            OptionalDouble n = r.num("N"), df = r.num("D_F"), loss = r.loss();
            if (!(ph.equals("scratch") || ph.equals("finetune")) || n.isEmpty() || df.isEmpty() || loss.isEmpty()) continue;
            runs.add(new Transfer.Run(model(r), n.getAsDouble(), df.getAsDouble(), loss.getAsDouble(), ph.equals("finetune")));
        }
        Transfer.Result t = Transfer.analyse(runs, bootstrap, 1);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("format", "scalelab-transfer");
        out.put("version", 1);
        out.put("sweep", data.dir().toAbsolutePath().normalize().toString());
        out.put("runs_done", data.done().size());
        out.put("runs", data.runs().size());
        out.put("conventions", "N: non-embedding parameters; D_F: fine-tuning tokens (data.tokens); losses: best validation loss in nats "
                + "per token on the fine-tuning corpus; L(D) = (D_c/D)^alpha_D per model from scratch; D_E = D_c·L^(-1/alpha_D); "
                + "D_T = D_E - D_F");
        List<Map<String, Object>> sc = new ArrayList<>();
        for (Transfer.ScratchFit f : t.scratch()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", f.model());
            m.put("N", f.n());
            m.put("alpha_D", num(f.alphaD()));
            m.put("D_c", num(f.dC()));
            m.put("points", f.points());
            m.put("rmse_log", num(f.rmseLog()));
            if (!f.ok()) m.put("problem", f.problem());
            sc.add(m);
        }
        out.put("scratch_fits", sc);
        List<Map<String, Object>> pts = new ArrayList<>();
        for (Transfer.Point p : t.points()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", p.model());
            m.put("N", p.n());
            m.put("D_F", p.dF());
            m.put("loss_finetuned", p.lossFinetuned());
            m.put("loss_scratch", p.lossScratch());
            m.put("D_E", num(p.dE()));
            m.put("D_T", num(p.dT()));
            m.put("fraction_from_pretraining", num(p.fraction()));
            m.put("extrapolated", p.extrapolated());
            pts.add(m);
        }
        out.put("points", pts);
        if (t.fit() != null) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("formula", "D_T = k * D_F^alpha * N^beta");
            f.put("k", param(t.fit().k()));
            f.put("alpha", param(t.fit().alpha()));
            f.put("beta", param(t.fit().beta()));
            f.put("points", t.fit().points());
            f.put("rmse_log", t.fit().rmseLog());
            f.put("bootstraps", t.fit().bootstraps());
            Map<String, Object> pub = new LinkedHashMap<>();
            pub.put("k", 1.9e4);
            pub.put("alpha", 0.18);
            pub.put("beta", 0.38);
            pub.put("source", "Hernandez et al. 2021, text to Python (data counted in characters)");
            f.put("published", pub);
            out.put("fit", f);
        }
        out.put("mean_fraction_from_pretraining", num(t.meanFraction()));
        out.put("notes", t.notes());
        List<Map<String, Object>> comps = familyComparisons(data, reference);
        if (!comps.isEmpty()) out.put("families", comps);
        out.put("statements", statements(t, comps));
        return out;
    }

    /** Pairs of families at equal target N and seed: pre-training at equal N, at equal compute, and fine-tuning per D_F. */
    static List<Map<String, Object>> familyComparisons(SweepData data, String reference) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!data.columns().contains("family")) return out;
        TreeSet<String> fams = new TreeSet<>();
        for (SweepData.Run r : data.done()) fams.add(r.row().getOrDefault("family", ""));
        fams.remove("");
        if (!fams.contains(reference) || fams.size() < 2) return out;
        for (String other : fams) {
            if (other.equals(reference)) continue;
            List<Families.Pair> eqN = new ArrayList<>(), eqC = new ArrayList<>(), ft = new ArrayList<>();
            for (SweepData.Run a : data.done()) {
                if (!a.row().getOrDefault("family", "").equals(reference)) continue;
                String ph = a.row().getOrDefault("phase", "");
                for (SweepData.Run b : data.done()) {
                    if (!b.row().getOrDefault("family", "").equals(other) || !same(a, b, "target_N") || !same(a, b, "seed")
                            || !same(a, b, "phase") || !same(a, b, "D_F")) continue;
                    double tn = a.num("target_N").orElse(a.num("N").orElse(Double.NaN));
                    String label = "N≈" + a.row().getOrDefault("target_N", "?") + " seed " + a.row().getOrDefault("seed", "?");
                    if (ph.isEmpty() || ph.equals("pretrain")) {
                        double la = a.loss().orElse(Double.NaN), lb = b.loss().orElse(Double.NaN);
                        eqN.add(new Families.Pair(label, tn, la, lb, lb / la - 1));
                        double[] c = equalCompute(a, b);
                        if (c != null) eqC.add(new Families.Pair(label + String.format(Locale.ROOT, " at C=%.3g", c[0]), tn, c[1], c[2], c[2] / c[1] - 1));
                    } else if (ph.equals("finetune")) {
                        double la = a.loss().orElse(Double.NaN), lb = b.loss().orElse(Double.NaN);
                        ft.add(new Families.Pair(label + " D_F " + a.row().getOrDefault("D_F", "?"), tn, la, lb, lb / la - 1));
                    }
                }
            }
            for (Families.Comparison c : new Families.Comparison[]{
                    Families.compare("At equal N (pre-training)", reference, other, eqN),
                    Families.compare("At equal compute (pre-training, learning curves at the smaller total FLOPs, attention included)", reference, other, eqC),
                    Families.compare("After fine-tuning at equal N and D_F", reference, other, ft)}) {
                if (c.pairs().isEmpty()) continue;
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("comparison", c.what());
                m.put("reference", c.reference());
                m.put("other", c.other());
                m.put("mean_rel_diff", c.mean());
                m.put("sd_rel_diff", num(c.sd()));
                m.put("se_rel_diff", num(c.se()));
                m.put("seed_sd_rel_diff", num(c.seedSd()));
                List<Map<String, Object>> sc = new ArrayList<>();
                for (Families.Scale x : c.scales()) {
                    Map<String, Object> sm = new LinkedHashMap<>();
                    sm.put("target_N", x.targetN());
                    sm.put("pairs", x.pairs());
                    sm.put("mean_rel_diff", x.mean());
                    sm.put("seed_sd_rel_diff", num(x.sd()));
                    sc.add(sm);
                }
                m.put("per_scale", sc);
                m.put("min_rel_diff", c.min());
                m.put("max_rel_diff", c.max());
                List<Map<String, Object>> ps = new ArrayList<>();
                for (Families.Pair p : c.pairs()) {
                    Map<String, Object> pm = new LinkedHashMap<>();
                    pm.put("pair", p.label());
                    pm.put("target_N", p.targetN());
                    pm.put("loss_" + reference, p.refLoss());
                    pm.put("loss_" + other, p.otherLoss());
                    pm.put("rel_diff", p.rel());
                    ps.add(pm);
                }
                m.put("pairs", ps);
                m.put("statement", c.statement());
                out.add(m);
            }
        }
        return out;
    }

    private static boolean same(SweepData.Run a, SweepData.Run b, String col) {
        return a.row().getOrDefault(col, "").equals(b.row().getOrDefault(col, ""));
    }

    /** {C, loss of a, loss of b} at the smaller of the two runs' total compute (C_attn), or null. */
    static double[] equalCompute(SweepData.Run a, SweepData.Run b) {
        double[][] ca = curve(a), cb = curve(b);
        if (ca == null || cb == null) return null;
        double c = Math.min(ca[0][ca[0].length - 1], cb[0][cb[0].length - 1]);
        double la = Families.lossAt(ca[0], ca[1], c), lb = Families.lossAt(cb[0], cb[1], c);
        return Double.isFinite(la) && Double.isFinite(lb) ? new double[]{c, la, lb} : null;
    }

    /** A run's learning curve as (compute with attention, val loss), from step 1 on. */
    private static double[][] curve(SweepData.Run r) {
        OptionalDouble cAttn = r.num("C_attn"), d = r.num("D");
        if (cAttn.isEmpty() || d.isEmpty() || d.getAsDouble() <= 0) return null;
        double perToken = cAttn.getAsDouble() / d.getAsDouble();
        List<SweepData.Point> pts = r.curve().stream().filter(p -> p.tokens() > 0).toList();
        if (pts.size() < 2) return null;
        double[][] c = new double[2][pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            c[0][i] = pts.get(i).tokens() * perToken;
            c[1][i] = pts.get(i).valLoss();
        }
        return c;
    }

    static List<String> statements(Transfer.Result t, List<Map<String, Object>> comps) {
        List<String> s = new ArrayList<>();
        if (t.fit() != null) {
            var f = t.fit();
            s.add(String.format(Locale.ROOT, "Effective data transferred: D_T = %.3g·D_F^%.2f%s (%d fine-tuned runs; alpha 95%% interval [%.2f, %.2f]%s).",
                    f.k().value(), f.alpha().value(), Double.isNaN(f.beta().value()) ? "" : String.format(Locale.ROOT, "·N^%.2f", f.beta().value()),
                    f.points(), f.alpha().lo(), f.alpha().hi(),
                    Double.isNaN(f.beta().value()) ? "" : String.format(Locale.ROOT, ", beta [%.2f, %.2f]", f.beta().lo(), f.beta().hi())));
        }
        if (Double.isFinite(t.meanFraction())) {
            s.add(String.format(Locale.ROOT, "On average %.0f%% of the effective data of a fine-tuned model came from pre-training (D_T/D_E over %d runs).",
                    100 * t.meanFraction(), t.points().size()));
        }
        for (var c : comps) s.add((String) c.get("statement"));
        return s;
    }

    private static Map<String, Object> param(Transfer.Param p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("value", num(p.value()));
        m.put("ci_low", num(p.lo()));
        m.put("ci_high", num(p.hi()));
        return m;
    }

    @SuppressWarnings("unchecked")
    static String csv(Map<String, Object> out) {
        StringBuilder sb = new StringBuilder("model,N,D_F,loss_finetuned,loss_scratch,D_E,D_T,fraction_from_pretraining,extrapolated\n");
        for (Map<String, Object> p : (List<Map<String, Object>>) out.get("points")) {
            sb.append('"').append(p.get("model")).append('"');
            for (String k : List.of("N", "D_F", "loss_finetuned", "loss_scratch", "D_E", "D_T", "fraction_from_pretraining", "extrapolated")) {
                Object v = p.get(k);
                sb.append(',').append(v == null ? "" : v);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    static String text(Map<String, Object> out) {
        StringBuilder sb = new StringBuilder();
        if (!((List<?>) out.get("points")).isEmpty()) {
            sb.append(String.format(Locale.ROOT, "%-34s %10s %12s %12s %12s %12s %8s%n", "model", "D_F", "L finetuned", "L scratch", "D_E", "D_T", "D_T/D_E"));
        }
        for (Map<String, Object> p : (List<Map<String, Object>>) out.get("points")) {
            sb.append(String.format(Locale.ROOT, "%-34s %10.3g %12.4f %12.4f %12s %12s %8s%n", p.get("model"), (Double) p.get("D_F"),
                    (Double) p.get("loss_finetuned"), (Double) p.get("loss_scratch"), g(p.get("D_E")), g(p.get("D_T")),
                    p.get("fraction_from_pretraining") == null ? "" : String.format(Locale.ROOT, "%.0f%%", 100 * (Double) p.get("fraction_from_pretraining"))));
        }
        for (Object n : (List<Object>) out.get("notes")) sb.append("note: ").append(n).append('\n');
        sb.append('\n');
        for (Object s : (List<Object>) out.get("statements")) sb.append(s).append('\n');
        return sb.toString();
    }

    private static String g(Object v) {
        return v == null ? "n/a" : String.format(Locale.ROOT, "%.3g", (Double) v);
    }
}
