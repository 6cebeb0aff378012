package org.scalelab.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.scaling.report.SweepData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shape-family comparisons of {@code scalelab transfer} on run tables whose answer is known by construction. */
class TransferCommandTest {
    static final double[] SCALES = {2e4, 6e4, 2e5};

    /** One row of results.csv, with a learning curve of (tokens, val loss) points. */
    record Row(String id, String family, double targetN, int seed, String phase, long dF, double n, double cPerToken,
               double loss, double[][] curve) {}

    static Path write(Path dir, List<Row> rows) throws IOException {
        boolean phased = rows.stream().anyMatch(r -> !r.phase().isEmpty());   // else a shape-family sweep without transfer:
        StringBuilder csv = new StringBuilder("run_id,status,family,target_N,seed," + (phased ? "phase,D_F," : "") + "N,D,C_attn,best_val_loss\n");
        for (Row r : rows) {
            Path run = Files.createDirectories(dir.resolve("runs").resolve(r.id()));
            StringBuilder m = new StringBuilder();
            double d = 0;
            for (int i = 0; i < r.curve().length; i++) {
                m.append(String.format(Locale.ROOT, "{\"step\":%d,\"tokens\":%.1f,\"val_loss\":%.10f}%n", i * 10, r.curve()[i][0], r.curve()[i][1]));
                d = r.curve()[i][0];
            }
            Files.writeString(run.resolve("metrics.jsonl"), m);
            csv.append(String.format(Locale.ROOT, "%s,done,%s,%.0f,%d,%s%.0f,%.0f,%.8g,%.10f%n", r.id(), r.family(), r.targetN(), r.seed(),
                    phased ? r.phase() + "," + (r.dF() > 0 ? Long.toString(r.dF()) : "") + "," : "", r.n(), d, d * r.cPerToken(), r.loss()));
        }
        Files.writeString(dir.resolve("results.csv"), csv);
        return dir;
    }

    /** A flat curve ending at {@code d} tokens with the run's loss (enough for the equal-N comparison). */
    static double[][] flat(double d, double loss) {
        return new double[][]{{d / 2, loss * 1.1}, {d, loss}};
    }

    /**
     * Pre-training pairs at three scales and two seeds, and fine-tuning pairs at one D_F: the standard loss
     * varies by seed (±1%), the DeepNarrow loss is {@code ratio(scale, seed)} times it.
     */
    static List<Row> table(java.util.function.BiFunction<Integer, Integer, Double> ratio, long rngSeed) {
        SplittableRandom rng = new SplittableRandom(rngSeed);
        List<Row> rows = new ArrayList<>();
        for (int s = 0; s < SCALES.length; s++) {
            for (int seed = 1; seed <= 2; seed++) {
                double base = 3.0 - 0.2 * s, std = base * (1 + 0.01 * (2 * rng.nextDouble() - 1)), r = ratio.apply(s, seed);
                for (String ph : List.of("pretrain", "finetune")) {
                    long dF = ph.equals("finetune") ? 32768 : 0;
                    double ls = ph.equals("finetune") ? std * 0.9 : std, ld = ls * r;
                    rows.add(new Row("std-" + s + "-" + seed + "-" + ph, "standard", SCALES[s], seed, ph, dF, SCALES[s], 6 * SCALES[s], ls, flat(1e5, ls)));
                    rows.add(new Row("dn-" + s + "-" + seed + "-" + ph, "deepnarrow", SCALES[s], seed, ph, dF, SCALES[s] * 1.02, 6.5 * SCALES[s], ld, flat(1e5, ld)));
                }
            }
        }
        return rows;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> comparison(List<Map<String, Object>> comps, String prefix) {
        return comps.stream().filter(c -> ((String) c.get("comparison")).startsWith(prefix)).findFirst().orElseThrow();
    }

    static double percent(String statement, String word) {
        Matcher m = Pattern.compile("is ([0-9.]+)% " + word).matcher(statement);
        assertTrue(m.find(), statement);
        return Double.parseDouble(m.group(1));
    }

    /** DeepNarrow 5% higher by construction (±0.1% per pair): the statements say 5.0% higher, at equal N and after fine-tuning. */
    @Test
    void aFivePercentDifferenceIsStatedAsSuch(@TempDir Path tmp) throws IOException {
        SplittableRandom noise = new SplittableRandom(7);
        List<Row> rows = table((s, seed) -> 1.05 * (1 + 0.001 * (2 * noise.nextDouble() - 1)), 1);
        List<Map<String, Object>> comps = TransferCommand.familyComparisons(SweepData.read(write(tmp, rows)), "standard");
        for (String which : List.of("At equal N", "After fine-tuning")) {
            Map<String, Object> c = comparison(comps, which);
            String st = (String) c.get("statement");
            assertEquals(5.0, percent(st, "higher"), 0.15, st);
            assertTrue(st.startsWith(which) && st.contains("deepnarrow's loss") && st.contains("than standard's"), st);
            assertEquals(6, ((List<?>) c.get("pairs")).size(), "3 scales × 2 seeds");
            assertEquals(0.05, (Double) c.get("mean_rel_diff"), 0.0015);
        }
    }

    /** Differences of ±1.5% with random sign and mean near zero: "no different within seed-to-seed noise". */
    @Test
    void aDifferenceInsideTheSeedSpreadIsNoDifferent(@TempDir Path tmp) throws IOException {
        double[][] d = {{0.015, -0.016}, {-0.012, 0.014}, {0.013, -0.015}};
        List<Row> rows = table((s, seed) -> 1 + d[s][seed - 1], 2);
        List<Map<String, Object>> comps = TransferCommand.familyComparisons(SweepData.read(write(tmp, rows)), "standard");
        String st = (String) comparison(comps, "At equal N").get("statement");
        assertTrue(st.contains("no different from standard's within seed-to-seed noise"), st);
    }

    /**
     * The seed spread per scale and pooled: at one scale the pairs differ by +1% and +3% (sd 1.41%), at
     * the others by the same amount for both seeds (sd 0); pooled over the 6 − 3 degrees of freedom,
     * sqrt(2·0.01² / 3) = 0.816%. A difference that grows with scale (+1%…+9%) but agrees between
     * seeds stands out from that noise although the spread of all pairs is large.
     */
    @Test
    void theSeedSpreadIsPerScaleAndPooled(@TempDir Path tmp) throws IOException {
        double[][] d = {{0.01, 0.03}, {0.05, 0.05}, {0.09, 0.09}};
        List<Row> rows = table((s, seed) -> 1 + d[s][seed - 1], 3);
        Map<String, Object> c = comparison(TransferCommand.familyComparisons(SweepData.read(write(tmp, rows)), "standard"), "At equal N");
        List<Map<String, Object>> per = (List<Map<String, Object>>) c.get("per_scale");
        assertEquals(3, per.size());
        assertEquals(2e4, (Double) per.get(0).get("target_N"), 1e-9);
        assertEquals(0.02, (Double) per.get(0).get("mean_rel_diff"), 1e-6);
        assertEquals(Math.sqrt(2) * 0.01, (Double) per.get(0).get("seed_sd_rel_diff"), 1e-6);
        assertEquals(0, (Double) per.get(1).get("seed_sd_rel_diff"), 1e-6);
        assertEquals(Math.sqrt(2 * 1e-4 / 3), (Double) c.get("seed_sd_rel_diff"), 1e-6);
        assertTrue((Double) c.get("sd_rel_diff") > 0.03, "all pairs spread over scales: " + c.get("sd_rel_diff"));
        String st = (String) c.get("statement");
        assertEquals(5.3, percent(st, "higher"), 0.05, st);
        assertTrue(st.contains("seed-to-seed spread 0.8%") && st.contains("N≈20000 +2.0% ± 1.4%"), st);
    }

    /**
     * Equal compute: learning curves linear in log compute, DeepNarrow's costing more per token. The loss
     * of each at the smaller final compute is read off its curve: the reference at C = the other's last
     * point, exactly where the line puts it.
     */
    @Test
    void equalComputeReadsBothCurvesAtTheSmallerCompute(@TempDir Path tmp) throws IOException {
        List<Row> rows = new ArrayList<>();
        double cStd = 6e4, cDeep = 9e4;   // compute per token
        for (int seed = 1; seed <= 2; seed++) {
            double[][] std = new double[5][], deep = new double[5][];
            for (int i = 0; i < 5; i++) {
                double tok = 1e4 * Math.pow(2, i);
                std[i] = new double[]{tok, 4.0 - 0.3 * Math.log(tok * cStd / 1e9)};
                deep[i] = new double[]{tok, 4.0 - 0.3 * Math.log(tok * cDeep / 1e9) - 0.05 * seed};
            }
            rows.add(new Row("std-" + seed, "standard", 1e4, seed, "pretrain", 0, 1e4, cStd, std[4][1], std));
            rows.add(new Row("dn-" + seed, "deepnarrow", 1e4, seed, "pretrain", 0, 1e4, cDeep, deep[4][1], deep));
        }
        SweepData data = SweepData.read(write(tmp, rows));
        SweepData.Run a = data.done().stream().filter(r -> r.id().equals("std-1")).findFirst().orElseThrow();
        SweepData.Run b = data.done().stream().filter(r -> r.id().equals("dn-1")).findFirst().orElseThrow();
        double[] c = TransferCommand.equalCompute(a, b);
        assertNotNull(c);
        double cMin = 16e4 * cStd;   // the standard run's last point: the smaller total compute
        assertEquals(cMin, c[0], cMin * 1e-9);
        assertEquals(4.0 - 0.3 * Math.log(cMin / 1e9), c[1], 1e-6, "the standard run's last loss");
        assertEquals(4.0 - 0.3 * Math.log(cMin / 1e9) - 0.05, c[2], 1e-6, "the DeepNarrow curve interpolated at that compute");
        Map<String, Object> eq = comparison(TransferCommand.familyComparisons(data, "standard"), "At equal compute");
        assertEquals(2, ((List<?>) eq.get("pairs")).size());
        double expect = ((4.0 - 0.3 * Math.log(cMin / 1e9) - 0.075) / (4.0 - 0.3 * Math.log(cMin / 1e9))) - 1;
        assertEquals(expect, (Double) eq.get("mean_rel_diff"), 1e-6);
        // no learning curve (fewer than two points with tokens): no equal-compute pair
        SweepData.Run none = new SweepData.Run(Map.of("C_attn", "1e9", "D", "1e4"), List.of());
        assertEquals(null, TransferCommand.equalCompute(a, none));
    }

    /**
     * A shape-family sweep without transfer: (DeepNarrow 5% higher by construction): {@code report} states the
     * comparison without a {@code transfer} call and writes no transfer.json; a transfer.json that exists is
     * what the report shows.
     */
    @Test
    void theReportStatesTheFamilyComparisonWithoutTransferCommand(@TempDir Path tmp) throws IOException {
        List<Row> rows = table((s, seed) -> 1.05, 4).stream().filter(r -> r.phase().equals("pretrain"))
                .map(r -> new Row(r.id(), r.family(), r.targetN(), r.seed(), "", 0, r.n(), r.cPerToken(), r.loss(), r.curve())).toList();
        Path dir = write(tmp.resolve("sweep"), rows);
        Path index = org.scalelab.scaling.report.Report.write(dir, dir.resolve("report"));
        String html = Files.readString(index);
        assertTrue(html.contains("What the data show") && html.contains("At equal N (pre-training), deepnarrow's loss is 5.0% higher"),
                html.substring(0, Math.min(3000, html.length())));
        assertTrue(!Files.exists(dir.resolve("transfer.json")), "the report writes no transfer.json");
        Files.writeString(dir.resolve("transfer.json"), "{\"points\":[],\"statements\":[\"written by transfer\"]}");
        html = Files.readString(org.scalelab.scaling.report.Report.write(dir, dir.resolve("report")));
        assertTrue(html.contains("written by transfer") && !html.contains("5.0% higher"), "transfer.json is what the report shows");
    }
}
