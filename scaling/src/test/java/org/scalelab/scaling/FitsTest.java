package org.scalelab.scaling;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Fits#fitAll} on in-memory tables: which laws a table supports, and the message for each kind of bad input. */
class FitsTest {
    static final FitOptions FAST = FitOptions.defaults().withBootstrap(0).withHoldout(0);

    /** A table from rows of cells; the header is the first row. */
    static Table table(String... lines) {
        List<String> cols = List.of(lines[0].split(","));
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] cells = lines[i].split(",", -1);
            Map<String, String> row = new LinkedHashMap<>();
            for (int j = 0; j < cols.size(); j++) row.put(cols.get(j), cells[j]);
            rows.add(row);
        }
        return Table.of("t.csv", cols, rows);
    }

    /** Runs over N only (D constant): the N laws are fitted, those needing D or C to vary are skipped with a reason. */
    @Test
    void fitsWhatTheTableSupportsAndSaysWhyNotTheRest() {
        SplittableRandom r = new SplittableRandom(3);
        List<String> lines = new ArrayList<>(List.of("run_id,status,N,D,best_val_loss"));
        for (int i = 0; i < 10; i++) {
            double n = 1e4 * Math.pow(2, i);
            lines.add(String.format(Locale.ROOT, "r%d,done,%.0f,1e9,%.6f", i, n, Synthetic.noisy(r, Math.pow(1e11 / n, 0.1), 0.005)));
        }
        lines.add("x,running,1e6,1e9,");
        FitReport rep = Fits.fitAll(table(lines.toArray(new String[0])), FAST);
        assertEquals(10, rep.rows());
        assertEquals(0.1, rep.law("L(N)").orElseThrow().param("alpha_N"), 0.01);
        assertTrue(rep.law("L(N)+E").isPresent());
        assertTrue(rep.law("L(D)").isEmpty());
        String skipped = String.join("\n", rep.skipped());
        assertTrue(skipped.contains("all points have the same D; L(D) needs runs at several values of D"), skipped);
        assertTrue(skipped.contains("chinchilla needs runs at several values of D"), skipped);
        assertTrue(skipped.contains("L(N,S): needs a column of steps"), skipped);
        // L(C) on 6·N·D: D is constant, so C varies with N and L(C) is fitted
        assertEquals(-1 + 1, rep.law("L(C)").orElseThrow().fit().n() - 10);
        assertEquals("every run (10), C = 6·N·D", rep.law("L(C)").orElseThrow().pointsFrom());
        assertTrue(rep.table().contains("L(N)"));
    }

    /**
     * A sweep of two runs: their learning curves give the compute frontier two dozen points, but a law
     * through two runs means nothing; it is refused with the run count, and a third run makes it fit.
     */
    @Test
    void lawsFromFewerThanThreeRunsAreRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws java.io.IOException {
        List<Synthetic.Run> runs = new ArrayList<>();
        for (double n : new double[]{1e5, 1e6, 1e7}) {
            double[][] curve = new double[16][];
            for (int j = 0; j < 16; j++) {
                double t = 1e6 * Math.pow(1e3, j / 15.0);
                curve[j] = new double[]{Math.round(t / 4096), t, 1.8 + 300 / Math.pow(n, 0.3) + 500 / Math.pow(t, 0.3)};
            }
            runs.add(new Synthetic.Run("r" + (int) Math.log10(n), "done", n, 4096, curve));
        }
        Table two = Table.sweep(Synthetic.sweep(tmp.resolve("two"), runs.subList(0, 2)));
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(two, FAST));
        assertTrue(e.getMessage().contains("L(C): needs points from 3 or more runs, has them from 2 (points: compute frontier of the learning curves of 2 runs"),
                e.getMessage());
        FitReport three = Fits.fitAll(Table.sweep(Synthetic.sweep(tmp.resolve("three"), runs)), FAST);
        assertTrue(three.law("L(C)").orElseThrow().pointsFrom().startsWith("compute frontier of the learning curves of 3 runs"));
    }

    @Test
    void fewerPointsThanParameters() {
        Table t = table("N,loss", "1000,3", "10000,2.5", "100000,2.2");
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(t, FAST.withLaws(List.of("n+e"))));
        assertEquals("t.csv: L(N)+E has 3 parameters but only 3 points; it needs at least 4", e.getMessage());
    }

    @Test
    void allNEqual() {
        Table t = table("N,loss", "1000,3", "1000,2.5", "1000,2.2", "1000,2.1");
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(t, FAST.withLaws(List.of("n"))));
        assertEquals("t.csv: all points have the same N; L(N) needs runs at several values of N", e.getMessage());
        // without --laws nothing can be fitted either: the message lists each reason
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(t, FAST));
        assertTrue(e.getMessage().startsWith("t.csv: nothing could be fitted: "), e.getMessage());
    }

    /** A bad loss stops every fit, with or without --laws: the message names the line, the run and the column. */
    @Test
    void nonPositiveAndMissingLosses() {
        Table neg = table("run_id,N,best_val_loss", "a,1000,3", "b,10000,-2.5", "c,100000,2.2");
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(neg, FAST));
        assertEquals("t.csv, line 3 (run b): best_val_loss is -2.5; best_val_loss must be a positive number "
                + "(fix the value, or give the run a status other than done to leave it out)", e.getMessage());
        Table nan = table("run_id,N,best_val_loss", "a,1000,3", "b,10000,2.5", "c,100000,");
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(nan, FAST.withLaws(List.of("n"))));
        assertTrue(e.getMessage().startsWith("t.csv, line 4 (run c): best_val_loss is empty or NaN;"), e.getMessage());
        Table nanN = table("N,loss", "1000,3", "NaN,2.5", "100000,2.2", "1e6,2");
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(nanN, FAST.withLaws(List.of("n"))));
        assertTrue(e.getMessage().startsWith("t.csv, line 3: N is empty or NaN; N must be a positive number"), e.getMessage());
    }

    @Test
    void tablesWithNothingToFit() {
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(table("run_id,status,N,loss", "a,failed,1,", "b,diverged,2,"), FAST));
        assertEquals("t.csv: no finished runs to fit (only rows with status done are fitted; this table has {diverged=1, failed=1})", e.getMessage());
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(table("N,val", "1,2"), FAST));
        assertTrue(e.getMessage().startsWith("t.csv: no loss column (best_val_loss, final_val_loss or loss); name one with --loss-col"), e.getMessage());
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(table("N,loss", "1,2"), FAST.withLaws(List.of("n", "kaplan"))));
        assertTrue(e.getMessage().startsWith("--laws: unknown law 'kaplan'; use any of n,n+e,d,d+e,c,c+e,nd,ns,chinchilla,approach1,approach2,batch"), e.getMessage());
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(table("N,loss", "1,2", "2,1.5", "3,1.2"), FAST.withLaws(List.of("nd"))));
        assertTrue(e.getMessage().startsWith("L(N,D): needs a column of D; t.csv has none named 'D' (name it with --d-col)"), e.getMessage());
    }

    /**
     * L(N, S_min) end to end: 9 sizes × 7 step counts × 3 batch sizes (2.5e5, 1e6, 4e6 tokens/step, about
     * ½, 2 and 8 × B_crit at these losses) drawn from Kaplan's L(N, S_min) with Kaplan's B_crit(L) =
     * 2e8/L^(1/0.21) and 0.3% noise; each run's loss solves L = (N_c/N)^α_N + (S_c/S_min(L))^α_S with
     * S_min = S/(1 + B_crit(L)/B). From a table without learning curves, {@code fit} corrects S with the
     * published B_crit law and recovers α_N to ±0.01, α_S to ±0.08, N_c within a factor 3, S_c within
     * 1.5 (seen: 0.0771, 0.761, 6.4e13, 2097). Fitted to the uncorrected S instead, α_S misses by more than
     * 0.08 (seen: 0.612): the correction is what makes it.
     */
    @Test
    void kaplanNSminWithTheCriticalBatchCorrection() {
        double nc = 6.5e13, sc = 2.1e3, aN = 0.077, aS = 0.76;
        SplittableRandom r = new SplittableRandom(9);
        List<String> lines = new ArrayList<>(List.of("run_id,status,N,steps_done,tokens_per_step,best_val_loss"));
        List<double[]> rawX = new ArrayList<>();
        List<Double> rawL = new ArrayList<>();
        int id = 0;
        for (int i = 0; i < 9; i++) {
            double n = 1e5 * Math.pow(1e4, i / 8.0);
            for (int j = 0; j < 7; j++) {
                double steps = 1e3 * Math.pow(100, j / 6.0);
                for (double b : new double[]{2.5e5, 1e6, 4e6}) {
                    double lo = Math.pow(nc / n, aN), hi = 100;
                    for (int it = 0; it < 200; it++) {
                        double mid = (lo + hi) / 2, sMin = steps / (1 + Published.kaplanCriticalBatch(mid) / b);
                        if (mid - Math.pow(nc / n, aN) - Math.pow(sc / sMin, aS) < 0) lo = mid;
                        else hi = mid;
                    }
                    double loss = Synthetic.noisy(r, (lo + hi) / 2, 0.003);
                    lines.add(String.format(Locale.ROOT, "r%d,done,%.0f,%.0f,%.0f,%.8f", id++, n, steps, b, loss));
                    rawX.add(new double[]{n, steps});
                    rawL.add(loss);
                }
            }
        }
        FitReport rep = Fits.fitAll(table(lines.toArray(new String[0])), FAST.withLaws(List.of("ns")));
        FitReport.LawFit f = rep.law("L(N,S)").orElseThrow();
        assertTrue(f.pointsFrom().contains("Kaplan et al. 2020 (B* = 2e8 tokens, alpha_B = 0.21)"), f.pointsFrom());
        assertEquals(aN, f.param("alpha_N"), 0.01);
        assertEquals(aS, f.param("alpha_S"), 0.08);
        assertTrue(Math.abs(Math.log(f.param("N_c") / nc)) < Math.log(3), "N_c " + f.param("N_c"));
        assertTrue(Math.abs(Math.log(f.param("S_c") / sc)) < Math.log(1.5), "S_c " + f.param("S_c"));
        var uncorrected = org.scalelab.scaling.fit.Fitter.fit(org.scalelab.scaling.fit.Laws.kaplanNS(), Synthetic.data(rawX, rawL),
                org.scalelab.scaling.fit.Fitter.Options.defaults().withBootstrap(0));
        assertTrue(Math.abs(uncorrected.params()[3] - aS) > 0.08, "uncorrected alpha_S " + uncorrected.params()[3]);
    }

    /**
     * A sweep over N at one step count (every run S = 1500): S_min = S/(1 + B_crit(L)/B) then varies only
     * through the loss itself, and L(N,S) would reproduce L from L (it fitted such a sweep with RMSE 0);
     * it is skipped with the reason, and fitted once S takes three values.
     */
    @Test
    void kaplanNSneedsSeveralStepCounts() {
        SplittableRandom r = new SplittableRandom(5);
        List<String> lines = new ArrayList<>(List.of("run_id,status,N,steps_done,tokens_per_step,best_val_loss"));
        for (int i = 0; i < 8; i++) {
            double n = 3e3 * Math.pow(2, i);
            lines.add(String.format(Locale.ROOT, "r%d,done,%.0f,1500,1024,%.6f", i, n, Synthetic.noisy(r, Math.pow(4e7 / n, 0.125), 0.01)));
        }
        FitReport rep = Fits.fitAll(table(lines.toArray(new String[0])), FAST);
        assertTrue(rep.law("L(N,S)").isEmpty());
        String skipped = String.join("\n", rep.skipped());
        assertTrue(skipped.contains("L(N,S): needs runs at three or more step counts S (steps_done has 1)"), skipped);
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(table(lines.toArray(new String[0])), FAST.withLaws(List.of("ns"))));
        assertTrue(e.getMessage().contains("three or more step counts"), e.getMessage());
    }

    /** Held-out extrapolation: exact data predict the held-out runs exactly; too few runs say why there is none. */
    @Test
    void holdout() {
        List<String> lines = new ArrayList<>(List.of("N,loss"));
        for (int i = 0; i < 8; i++) lines.add(String.format(Locale.ROOT, "%.0f,%.10f", 1e4 * Math.pow(3, i), 1.5 + 30 * Math.pow(1e4 * Math.pow(3, i), -0.3)));
        FitReport r = Fits.fitAll(table(lines.toArray(new String[0])), FAST.withLaws(List.of("n+e")).withHoldout(3));
        var h = r.law("L(N)+E").orElseThrow().holdout();
        assertEquals(3, h.k());
        assertEquals(1e4 * Math.pow(3, 7), h.x()[2][0], 1e-6, "the largest N are held out");
        assertTrue(h.meanAbsRelError() < 1e-5, "" + h.meanAbsRelError());
        r = Fits.fitAll(table(lines.subList(0, 6).toArray(new String[0])), FAST.withLaws(List.of("n+e")).withHoldout(3));
        assertTrue(r.law("L(N)+E").orElseThrow().holdoutNote().contains("5 points leave fewer than 4"), r.law("L(N)+E").orElseThrow().holdoutNote());
    }

    /**
     * The hyperparameter analysis on a table of runs (C = 6·N·D, lr, tokens_per_step): both laws fitted
     * from every budget; the exponents as {@code HyperparametersTest} finds them on the same sweep.
     */
    @Test
    void hyperparametersFromATable() {
        List<String> lines = Synthetic.hyperSweep(new double[]{1e17, 1e18, 1e19, 1e20}, 5, 4, 0.0005, 1);
        FitReport rep = Fits.fitAll(table(lines.toArray(new String[0])), FAST.withLaws(List.of("hyper")));
        Fits.Hyper h = rep.hyperparameters();
        assertEquals("6·N·D", h.computeColumn());
        assertEquals("lr", h.lrColumn());
        assertEquals("tokens_per_step", h.batchColumn());
        assertEquals(4, h.result().budgets().size());
        assertEquals(Synthetic.LR_B, h.result().lr().power().exponent(), 0.06);
        assertEquals(Synthetic.BATCH_D, h.result().batch().power().exponent(), 0.04);
        assertEquals(Fits.BUDGETS.length, h.result().lr().at().size());
        assertTrue(rep.table().contains("hyperparameters (Bi et al. 2024, §3.1): "), rep.table());
        // --lr-col names another column; --hyper-margin widens the near-optimal region
        List<String> renamed = new ArrayList<>(lines);
        renamed.set(0, renamed.get(0).replace(",lr,", ",peak_lr,"));
        FitOptions.Columns cols = new FitOptions.Columns(null, null, null, null, null, null, null, "peak_lr");
        FitReport wide = Fits.fitAll(table(renamed.toArray(new String[0])), FAST.withLaws(List.of("hyper")).withColumns(cols).withHyperMargin(0.01));
        assertEquals("peak_lr", wide.hyperparameters().lrColumn());
        assertTrue(wide.hyperparameters().result().points() > h.result().points());
        ScalingError e = assertThrows(ScalingError.class, () -> FAST.withHyperMargin(-1));
        assertEquals("--hyper-margin must be a number ≥ 0, got -1.0", e.getMessage());
    }

    /** {@link Synthetic#hyperSweep}'s lines with a C column (6·N·D) in place of N and D. */
    static List<String> withC(List<String> lines) {
        List<String> out = new ArrayList<>(List.of("run_id,status,C,lr,tokens_per_step,best_val_loss"));
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split(",", -1);
            out.add(String.format(Locale.ROOT, "%s,%s,%.6g,%s,%s,%s", c[0], c[1], 6 * Double.parseDouble(c[2]) * Double.parseDouble(c[3]), c[4], c[5], c[6]));
        }
        return out;
    }

    /**
     * Two budgets are too few: skipped with the reason among the other laws, an error when asked for; a
     * blank learning rate skips the analysis alone (L(C) is still fitted) unless asked for.
     */
    @Test
    void hyperparametersSkippedWithTheReason() {
        List<String> lines = withC(Synthetic.hyperSweep(new double[]{1e17, 1e18}, 5, 4, 0.0005, 2));
        FitReport rep = Fits.fitAll(table(lines.toArray(new String[0])), FAST.withLaws(null));
        assertEquals(null, rep.hyperparameters());
        String skipped = String.join("\n", rep.skipped());
        assertTrue(skipped.contains("hyperparameters: needs 3 or more compute budgets (C within 10%) with 3 or more runs at 3 or more "
                + "(lr, batch) settings each; only 2 of 2 budgets do"), skipped);
        ScalingError e = assertThrows(ScalingError.class, () -> Fits.fitAll(table(lines.toArray(new String[0])), FAST.withLaws(List.of("hyper"))));
        assertTrue(e.getMessage().startsWith("hyperparameters: needs 3 or more compute budgets"), e.getMessage());

        List<String> blank = withC(Synthetic.hyperSweep(new double[]{1e17, 1e18, 1e19}, 5, 4, 0.0005, 3));
        String[] cells = blank.get(5).split(",");
        cells[3] = "";
        blank.set(5, String.join(",", cells));
        rep = Fits.fitAll(table(blank.toArray(new String[0])), FAST.withLaws(null));
        assertTrue(rep.law("L(C)").isPresent());
        assertTrue(String.join("\n", rep.skipped()).contains("hyperparameters: t.csv, line 6 (run h4): lr is empty or NaN"), rep.skipped().toString());
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(table(blank.toArray(new String[0])), FAST.withLaws(List.of("hyper"))));
        assertTrue(e.getMessage().contains("lr is empty or NaN"), e.getMessage());
        // neither an lr nor a batch column
        e = assertThrows(ScalingError.class, () -> Fits.fitAll(table("N,D,loss", "1,2,3", "2,2,2"), FAST.withLaws(List.of("hyper"))));
        assertEquals("hyperparameters: needs a column of learning rates ('lr', or name it with --lr-col) or of tokens per step "
                + "(tokens_per_step, or batch_size and n_ctx, or name it with --batch-col); t.csv has neither", e.getMessage());
    }
}
