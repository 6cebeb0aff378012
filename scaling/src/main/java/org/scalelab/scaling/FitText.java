package org.scalelab.scaling;

import org.scalelab.scaling.fit.Allocation;
import org.scalelab.scaling.fit.ComputeOptimal;
import org.scalelab.scaling.fit.CriticalBatch;
import org.scalelab.scaling.fit.Determined;
import org.scalelab.scaling.fit.Fitter;
import org.scalelab.scaling.fit.Holdout;
import org.scalelab.scaling.fit.Hyperparameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The readable table of a {@link FitReport}: one block per law, columns aligned to their widest cell, each
 * parameter with its interval and whether the runs determine it ({@link Determined}).
 */
final class FitText {
    private FitText() {}

    static String table(FitReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d finished runs (status done) of %s; loss column %s%s%n", r.rows(), r.source(), r.lossColumn(),
                r.otherStatuses().isEmpty() ? "" : "; left out: " + r.otherStatuses().entrySet().stream()
                        .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", "))));
        sb.append("N: non-embedding parameters, D: tokens, C = 6·N·D FLOP, loss in nats/token; intervals: ")
                .append(pct(r.options().level())).append(" bootstrap over runs\n\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"law", "parameter", "value", pct(r.options().level()) + " interval", "published", "determined"});
        List<Integer> notesAfter = new ArrayList<>();
        List<List<String>> notes = new ArrayList<>();
        for (FitReport.LawFit l : r.laws()) {
            Fitter.Fit f = l.fit();
            for (int i = 0; i < f.params().length; i++) {
                String name = f.law().paramNames().get(i);
                String pub = Published.forLaw(f.law().id().replace("+E", "")).stream().filter(p -> p.params().containsKey(name))
                        .map(p -> num(p.params().get(name)) + " (" + p.source() + ")").collect(Collectors.joining("; "));
                String ci = Double.isNaN(f.low()[i]) && Double.isNaN(f.high()[i]) ? "" : "[" + num(f.low()[i]) + ", " + num(f.high()[i]) + "]";
                rows.add(new String[]{i == 0 ? f.law().id() : "", name, num(f.params()[i]), ci, pub, Determined.of(f, i).cell()});
            }
            notesAfter.add(rows.size());
            notes.add(lawNotes(l));
        }
        int[] w = new int[6];
        for (String[] row : rows) for (int j = 0; j < 6; j++) w[j] = Math.max(w[j], row[j].length());
        // no laws (only analyses were fitted): no header of an empty table
        for (int k = rows.size() == 1 ? 1 : 0; k < rows.size(); k++) {
            String[] row = rows.get(k);
            sb.append(String.format(Locale.ROOT, "%-" + w[0] + "s  %-" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s  %-" + w[4] + "s  %s", (Object[]) row)
                    .stripTrailing()).append('\n');
            int at = notesAfter.indexOf(k + 1);
            if (at >= 0) {
                for (String n : notes.get(at)) sb.append(" ".repeat(w[0] + 2)).append(n).append('\n');
                sb.append('\n');
            }
        }
        for (ComputeOptimal.Result c : r.computeOptimal()) sb.append(computeOptimal(c, r.options().level()));
        if (r.criticalBatch() != null) sb.append(criticalBatch(r.criticalBatch(), r.options().level()));
        if (r.hyperparameters() != null) sb.append(hyperparameters(r.hyperparameters(), r.options().level()));
        for (String s : r.skipped()) sb.append("skipped ").append(s).append('\n');
        return sb.toString();
    }

    private static List<String> lawNotes(FitReport.LawFit l) {
        Fitter.Fit f = l.fit();
        List<String> out = new ArrayList<>();
        out.add(f.law().formula());
        out.add(String.format(Locale.ROOT, "%d points (%s); %s; RMSE(log L) = %.4f, R² = %s; %d starts, %d bootstraps%s; %.2f s",
                f.n(), l.pointsFrom(), l.huberDelta() > 0 ? "Huber δ = " + l.huberDelta() : "least squares",
                f.rmseLog(), num(f.r2Log()), f.starts(), f.bootstrap(),
                f.bootstrapFailed() > 0 ? " (" + f.bootstrapFailed() + " failed)" : "", f.seconds()));
        Holdout h = l.holdout();
        if (h != null) {
            StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "held out the %d largest: mean |predicted/measured − 1| = %.2f%% (",
                    h.k(), 100 * h.meanAbsRelError()));
            for (int i = 0; i < h.k(); i++) {
                s.append(String.format(Locale.ROOT, "%s%s: %.4f vs %.4f", i > 0 ? "; " : "", h.labels()[i], h.predicted()[i], h.measured()[i]));
            }
            out.add(s.append(")").toString());
        } else if (l.holdoutNote() != null) {
            out.add("held-out extrapolation " + l.holdoutNote());
        }
        Allocation.Summary a = l.allocation();
        if (a != null) {
            Allocation.Row r21 = a.rows().stream().filter(x -> x.c() == 1e21).findFirst().orElse(a.rows().get(0));
            out.add(String.format(Locale.ROOT, "compute-optimal: N_opt ∝ C^%s %s%s, D_opt ∝ C^%s; at C = %s: N = %s, D = %s, D/N = %s",
                    num(a.a()), interval(a.aLow(), a.aHigh()), flag("a", Determined.of(a.aLow(), a.aHigh(), Determined.Bounds.FRACTION)),
                    num(a.b()), num(r21.c()), num(r21.n()), num(r21.d()), num(r21.tokensPerParam())));
        }
        return out;
    }

    private static String computeOptimal(ComputeOptimal.Result c, double level) {
        double n21 = c.nOpt().at(1e21), d21 = c.dOpt().at(1e21);
        return String.format(Locale.ROOT, "%s: N_opt ∝ C^%s %s%s, D_opt ∝ C^%s %s%s from %d optimal points; at C = 1e21: N = %s, D = %s, D/N = %s%s%n",
                c.method(), num(c.nOpt().exponent()), interval(c.nOpt().low(), c.nOpt().high()),
                flag("a", Determined.of(c.nOpt().low(), c.nOpt().high(), Determined.Bounds.FRACTION)), num(c.dOpt().exponent()),
                interval(c.dOpt().low(), c.dOpt().high()), flag("b", Determined.of(c.dOpt().low(), c.dOpt().high(), Determined.Bounds.FRACTION)),
                c.points().size(), num(n21), num(d21), num(d21 / n21),
                c.method().startsWith("approach 1") ? "; published a = 0.50 (Hoffmann et al. 2022), 0.73 (Kaplan et al. 2020)"
                        : "; published a = 0.49 (Hoffmann et al. 2022), 0.73 (Kaplan et al. 2020)");
    }

    private static String criticalBatch(CriticalBatch.Result c, double level) {
        StringBuilder sb = new StringBuilder("critical batch (tokens/step): ");
        sb.append(c.targets().stream().map(t -> "B_crit(" + num(t.loss()) + ") = " + num(t.bCrit())).collect(Collectors.joining(", ")));
        if (Double.isFinite(c.bStar())) {
            sb.append(String.format(Locale.ROOT, "; B_crit(L) = %s/L^(1/%s) (Kaplan et al. 2020: 2e8/L^(1/0.21))", num(c.bStar()), num(c.alphaB())));
            if (c.bootstrap() > 0) {
                sb.append(String.format(Locale.ROOT, "; %s intervals over %d bootstrap resamples of the runs: B* %s%s, alpha_B %s%s%s",
                        pct(level), c.bootstrap(), interval(c.bStarLow(), c.bStarHigh()),
                        flag("B*", Determined.of(c.bStarLow(), c.bStarHigh(), Determined.Bounds.POSITIVE)), interval(c.alphaBLow(), c.alphaBHigh()),
                        flag("alpha_B", Determined.of(c.alphaBLow(), c.alphaBHigh(), Determined.Bounds.POSITIVE)),
                        c.bootstrapFailed() > 0 ? " (" + c.bootstrapFailed() + " without a fit)" : ""));
            }
        }
        return sb.append('\n').toString();
    }

    private static String hyperparameters(Fits.Hyper h, double level) {
        Hyperparameters.Result r = h.result();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "hyperparameters (Bi et al. 2024, §3.1): %d near-optimal runs (loss within %s%% of the budget's lowest) at %d budgets of %s%s; %s%n",
                r.points(), java.math.BigDecimal.valueOf(100 * r.margin()).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString(),
                r.budgets().size(), h.computeColumn().equals("6·N·D") ? "C = 6·N·D" : "C = " + h.computeColumn(),
                r.budgetsLeftOut() > 0 ? " (" + r.budgetsLeftOut() + " with too few runs or settings left out)" : "",
                r.bootstrap() > 0 ? pct(level) + " intervals over " + r.bootstrap() + " resamples of the runs within budgets"
                        + (r.bootstrapFailed() > 0 ? " (" + r.bootstrapFailed() + " without a fit)" : "") : "no intervals"));
        sb.append(hyperLaw(r.lr(), "lr_opt", "a", "b", "deepseek_lr"));
        sb.append(hyperLaw(r.batch(), "B_opt", "c", "d", "deepseek_batch"));
        sb.append("  DeepSeek's C = M·D (non-embedding FLOP/token with attention × tokens), their optimizer and data: compare exponents, not coefficients\n");
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"C", "runs", "near-optimal", "min loss", "best lr", "best batch", "near-optimal lr", "near-optimal batch", ""});
        for (Hyperparameters.Budget b : r.budgets()) {
            double[] lr = b.nearOptimalRange(Hyperparameters.Run::lr), bt = b.nearOptimalRange(Hyperparameters.Run::batch);
            List<String> edge = new ArrayList<>();
            if (b.bestAtEdge(Hyperparameters.Run::lr)) edge.add("lr");
            if (b.bestAtEdge(Hyperparameters.Run::batch)) edge.add("batch");
            rows.add(new String[]{num(b.c()), String.valueOf(b.runs().size()), String.valueOf(b.nearOptimal().size()), num(b.best().loss()),
                    num(b.best().lr()), num(b.best().batch()), interval(lr[0], lr[1]), interval(bt[0], bt[1]),
                    edge.isEmpty() ? "" : "best " + String.join(" and ", edge) + " at the edge of the grid"});
        }
        int[] w = new int[9];
        for (String[] row : rows) for (int j = 0; j < 9; j++) w[j] = Math.max(w[j], row[j].length());
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(" ");
            for (int j = 0; j < 9; j++) line.append(' ').append(String.format(Locale.ROOT, "%" + (j == 8 ? "-" : "") + Math.max(1, w[j]) + "s", row[j]));
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    private static String hyperLaw(Hyperparameters.Law l, String name, String k, String e, String published) {
        if (!l.fitted()) return "  " + name + ": not fitted: " + l.note() + "\n";
        Hyperparameters.Power p = l.power();
        Hyperparameters.At at = l.at().stream().filter(a -> a.c() == 1e21).findFirst().orElse(null);
        return String.format(Locale.ROOT, "  %s = %s·C^%s: %s = %s %s%s, %s = %s %s%s%s; DeepSeek: %s = %s, %s = %s%n", name, k, e,
                k, num(p.coefficient()), interval(p.coefficientLow(), p.coefficientHigh()),
                flag(k, Determined.of(p.coefficientLow(), p.coefficientHigh(), Determined.Bounds.POSITIVE)),
                e, num(p.exponent()), interval(p.exponentLow(), p.exponentHigh()),
                flag(e, Determined.of(p.exponentLow(), p.exponentHigh(), Determined.Bounds.ANY)),
                at == null ? "" : "; at C = 1e21: " + num(at.value()) + " " + interval(at.low(), at.high()),
                k, num(Published.constant(published + "_coefficient")), e, num(Published.constant(published + "_exponent")));
    }

    /** " (NAME not determined: WHY)" for a flagged parameter of a one-line summary, else empty. */
    private static String flag(String name, Determined.Verdict v) {
        return v.notDetermined() ? " (" + name + " not determined: " + v.why() + ")" : "";
    }

    private static String interval(double lo, double hi) {
        return Double.isNaN(lo) && Double.isNaN(hi) ? "" : "[" + num(lo) + ", " + num(hi) + "]";
    }

    private static String pct(double level) {
        return String.format(Locale.ROOT, "%.0f%%", 100 * level);
    }

    /** 4 significant decimals for ordinary sizes, scientific beyond; n/a for an end beyond double range. */
    static String num(double v) {
        if (!Double.isFinite(v)) return "n/a";
        double a = Math.abs(v);
        return a != 0 && (a >= 1e4 || a < 1e-2) ? String.format(Locale.ROOT, "%.3g", v) : String.format(Locale.ROOT, "%.4f", v);
    }
}
