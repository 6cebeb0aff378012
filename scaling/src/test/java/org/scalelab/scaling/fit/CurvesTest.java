package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.scaling.report.SweepData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Approaches 1 and 2, the compute frontier and the critical batch on curves with known answers. */
class CurvesTest {
    // L(N, D) = 2 + 400/N^0.3 + 600/D^0.3: with α = β the compute-optimal N_opt ∝ C^0.5
    static final DoubleBinaryOperator LAW = (n, d) -> 2 + 400 / Math.pow(n, 0.3) + 600 / Math.pow(d, 0.3);

    /** A run directory per (N, tokens-per-step, steps) with its metrics.jsonl, and results.csv. */
    static SweepData write(Path dir, List<double[]> runs, java.util.function.Function<double[], double[][]> curve) throws IOException {
        StringBuilder csv = new StringBuilder("run_id,status,N,D,tokens_per_step,best_val_loss\n");
        for (int i = 0; i < runs.size(); i++) {
            double[] r = runs.get(i);
            double[][] pts = curve.apply(r);   // rows: step, tokens, loss
            StringBuilder m = new StringBuilder();
            for (double[] p : pts) m.append(String.format(Locale.ROOT, "{\"step\":%.0f,\"tokens\":%.1f,\"val_loss\":%.8f}%n", p[0], p[1], p[2]));
            Path run = Files.createDirectories(dir.resolve("runs").resolve("r" + i));
            Files.writeString(run.resolve("metrics.jsonl"), m);
            double[] last = pts[pts.length - 1];
            csv.append(String.format(Locale.ROOT, "r%d,done,%.0f,%.0f,%.0f,%.8f%n", i, r[0], last[1], r[1], last[2]));
        }
        Files.writeString(dir.resolve("results.csv"), csv);
        return SweepData.read(dir);
    }

    @Test
    void approach1AndTheFrontierFromLearningCurves(@TempDir Path tmp) throws IOException {
        List<double[]> runs = new java.util.ArrayList<>();
        for (double n = 1e5; n <= 1e9; n *= 2) runs.add(new double[]{n, 1e5});
        SweepData data = write(tmp, runs, r -> {
            double[][] p = new double[41][];
            for (int k = 0; k <= 40; k++) {
                double t = 1e7 * Math.pow(10, 5.0 * k / 40);   // 1e7 … 1e12 tokens
                p[k] = new double[]{k, t, LAW.applyAsDouble(r[0], t)};
            }
            return p;
        });
        Map<String, Object> a1 = ComputeOptimal.approach1(data, 30);
        assertNotNull(a1);
        @SuppressWarnings("unchecked")
        double a = (double) ((Map<String, Object>) a1.get("N_opt")).get("exponent_a");
        assertEquals(0.5, a, 0.05, "N_opt ∝ C^a");
        Fitter.Data front = ComputeOptimal.frontier(data, 20);
        for (int i = 1; i < front.n(); i++) assertTrue(front.loss()[i] <= front.loss()[i - 1], "the frontier never rises");
    }

    @Test
    void approach2FromIsoFlopRuns(@TempDir Path tmp) throws IOException {
        List<double[]> runs = new java.util.ArrayList<>();
        for (double c : new double[]{1e16, 1e17, 1e18}) {
            double nStar = Math.sqrt(c / 6 * Math.pow(400.0 / 600, 1 / 0.3 * 1));   // about the optimum
            for (double f = 1.0 / 8; f <= 8.01; f *= 2) runs.add(new double[]{nStar * f, 1e5, c});
        }
        SweepData data = write(tmp, runs, r -> {
            double d = r[2] / (6 * r[0]);
            return new double[][]{{0, 0, 10}, {100, d, LAW.applyAsDouble(r[0], d)}};
        });
        Map<String, Object> a2 = ComputeOptimal.approach2(data);
        assertNotNull(a2);
        @SuppressWarnings("unchecked")
        double a = (double) ((Map<String, Object>) a2.get("N_opt")).get("exponent_a");
        assertEquals(0.5, a, 0.05);
    }

    /** fit + report on an IsoFLOP sweep: fits.json carries approach 2, the report draws the IsoFLOP and N_opt(C) charts. */
    @Test
    void reportDrawsIsoFlopAndComputeOptimalCharts(@TempDir Path tmp) throws IOException {
        List<double[]> runs = new java.util.ArrayList<>();
        for (double c : new double[]{1e16, 1e17, 1e18}) {
            double nStar = Math.sqrt(c / 6 * Math.pow(400.0 / 600, 1 / 0.3));
            for (double f = 1.0 / 8; f <= 8.01; f *= 2) runs.add(new double[]{nStar * f, 1e5, c});
        }
        write(tmp, runs, r -> {
            double d = r[2] / (6 * r[0]);
            return new double[][]{{0, 0, 10}, {50, d / 2, LAW.applyAsDouble(r[0], d / 2)}, {100, d, LAW.applyAsDouble(r[0], d)}};
        });
        assertEquals(0, new picocli.CommandLine(new FitCommand()).execute(tmp.toString(), "--bootstrap", "20"));
        var fits = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve("fits.json").toFile());
        assertTrue(fits.get("compute_optimal").size() >= 1);
        org.scalelab.scaling.report.Report.write(tmp, tmp.resolve("report"));
        assertTrue(Files.exists(tmp.resolve("report/isoflop.png")));
        assertTrue(Files.exists(tmp.resolve("report/compute_optimal.svg")));
    }

    @Test
    void criticalBatchRecoversAKnownValue(@TempDir Path tmp) throws IOException {
        // Steps to reach any loss scale as S = S_eff·(1 + B_crit/B) with B_crit = 4096 tokens.
        double bCrit = 4096;
        List<double[]> runs = new java.util.ArrayList<>();
        for (double b : new double[]{512, 1024, 2048, 4096, 8192, 16384}) runs.add(new double[]{1e6, b});
        SweepData data = write(tmp, runs, r -> {
            double[][] p = new double[201][];
            for (int s = 0; s <= 200; s++) {
                double eff = s * 20 / (1 + bCrit / r[1]);
                p[s] = new double[]{s * 20, s * 20 * r[1], 2 + 5 / (1 + eff / 100)};
            }
            return p;
        });
        Map<String, Object> cb = CriticalBatch.fit(data, 5);
        assertNotNull(cb);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) cb.get("targets");
        assertTrue(rows.size() >= 3);
        for (Map<String, Object> row : rows) assertEquals(bCrit, (double) row.get("B_crit"), 0.05 * bCrit, row.toString());
    }
}
