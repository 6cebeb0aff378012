package org.scalelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code scalelab quickstart} end to end on a smaller kaplan-synthetic: 4 sizes, budgets of 3.75 k–30 k tokens,
 * in this JVM; and the preset's adjustments.
 */
class QuickstartTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void runsFitsReportsAndChecksTheAnswerAgainstTheCorpus(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("qs");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "quickstart", "--dir", dir.toString(),
                "--sizes", "4", "--max-tokens", "3e4", "--bootstrap", "20", "--in-process");
        String text = out.toString();
        assertEquals(0, code, text + err);
        assertTrue(text.contains("kaplan-synthetic: 20 runs (4 sizes, each a main run and 4 budget branches)"), text);
        assertTrue(text.contains("rough numbers, not the quickstart's check"), text);

        Matcher a = Pattern.compile("alpha_N = (-?\\d+\\.\\d{3})  \\[(-?\\d+\\.\\d{3}), (-?\\d+\\.\\d{3})\\] 95%.*\\(predicted (\\d+\\.\\d{3})\\)").matcher(text);
        assertTrue(a.find(), "alpha_N with its interval and the corpus' prediction: " + text);
        double v = Double.parseDouble(a.group(1)), lo = Double.parseDouble(a.group(2)), hi = Double.parseDouble(a.group(3));
        assertTrue(lo <= v && v <= hi, text);
        JsonNode fits = JSON.readTree(dir.resolve("fits.json").toFile());
        JsonNode alpha = null;
        for (JsonNode l : fits.get("laws")) if (l.get("law").asText().equals("L(N)+E")) alpha = l.get("params").get("alpha_N");
        assertEquals(alpha.get("value").asDouble(), v, 5e-4, "the printed alpha_N is fits.json's");
        assertEquals(20, fits.get("options").get("bootstrap").asInt());
        // the prediction is the corpus' own: the oracle's slope for the preset's settings
        var pred = org.scalelab.datasets.SyntheticV2.prediction("synthetic:v2,seed=1,langs=256,vocab=32,successors=2", 64);
        assertEquals(pred.alpha(), Double.parseDouble(a.group(4)), 5e-4);

        // E beside the exact floor the runs recorded, with the distance and whether the interval holds it
        Matcher f = Pattern.compile("exact floor (\\d+\\.\\d{4}) nats at the runs' context of 64 tokens").matcher(text);
        assertTrue(f.find(), text);
        List<JsonNode> results = new java.util.ArrayList<>();
        try (var runs = Files.list(dir.resolve("runs"))) {
            for (Path r : (Iterable<Path>) runs::iterator) {
                if (Files.isRegularFile(r.resolve("result.json"))) results.add(JSON.readTree(r.resolve("result.json").toFile()));
            }
        }
        assertEquals(20, results.size());
        assertEquals(QuickstartCommand.floor(results).nats(), Double.parseDouble(f.group(1)), 5e-5);
        assertTrue(Pattern.compile("E += .*vs the exact floor \\d\\.\\d{3}: [+-]\\d+\\.\\d%, (inside|outside) the interval").matcher(text).find(), text);
        // 4 sizes leave none but the smallest at N ≤ N_max/8: the extrapolation says what it needs
        assertTrue(text.contains("extrapolation: needs 4 or more sizes with N ≤ N_max/8"), text);

        Matcher r = Pattern.compile("report: (\\S+index\\.html)").matcher(text);
        assertTrue(r.find(), text);
        assertTrue(Files.isRegularFile(Path.of(r.group(1))));
        assertEquals(dir.resolve("report/index.html").toAbsolutePath(), Path.of(r.group(1)));
        assertTrue(Files.readString(dir.resolve("sweep.yaml")).contains("30000"));
    }

    @Test
    void theFloorAtTheRunsContextComesFirst() throws IOException {
        JsonNode full = JSON.readTree("{\"loss_floor\":1.20}"), ctx = JSON.readTree("{\"loss_floor\":1.20,\"loss_floor_ctx\":1.35}");
        assertEquals(new QuickstartCommand.Floor(1.35, true), QuickstartCommand.floor(List.of(full, ctx)));
        assertEquals(new QuickstartCommand.Floor(1.20, false), QuickstartCommand.floor(List.of(full)));
        assertTrue(Double.isNaN(QuickstartCommand.floor(List.of(JSON.readTree("{}"))).nats()));
    }

    @Test
    void thePresetIsAdjustedAsAskedAndTooFewSizesAreRefused() {
        String preset = "name: kaplan-synthetic\nbase:\n  data:\n    corpus: synthetic:v2,seed=1,langs=256\n  model:\n    nCtx: 64\n"
                + "  train:\n    batchSize: 16\n    warmupSteps: 30\n    evalEvery: 100\n    seed: 1\n"
                + "zip:\n  model.nLayer: [1, 1, 2, 2, 2, 3]\n  model.dModel: [16, 24, 24, 32, 48, 56]\n"
                + "budgets:\n  tokens: [3.75e5, 7.5e5, 1.5e6]\n  cooldown: 0.2\n";
        assertEquals(preset, QuickstartCommand.adjusted(preset, false, null, null, null));
        String q = QuickstartCommand.adjusted(preset, true, null, null, null);
        assertTrue(q.contains("- 48") && !q.contains("- 56"), "--quick keeps 5 sizes: " + q);
        assertTrue(q.contains("93750") && q.contains("187500") && q.contains("375000"), "--quick: budgets a quarter as large: " + q);
        String m = QuickstartCommand.adjusted(preset, false, 4, 3e4, 7L);
        assertTrue(m.contains("7500") && m.contains("15000") && m.contains("30000") && !m.contains("- 48"), m);
        // the smallest budget is 7 steps of 1,024 tokens: warm-up and evaluations shrink with it
        assertTrue(m.contains("warmupSteps: 1") && m.contains("evalEvery: 2"), m);
        assertTrue(m.contains("synthetic:v2,seed=7,langs=256") && m.contains("seed: 7"), "--seed sets the corpus' and the runs' seeds: " + m);
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.scalelab.datasets.UserError.class,
                () -> QuickstartCommand.adjusted(preset, false, 3, null, null));
        assertTrue(e.getMessage().startsWith("--sizes must be between 4 and 6"), e.getMessage());
        assertFalse(QuickstartCommand.adjusted(preset, false, null, 3e4, null).contains("1500000"));
    }
}
