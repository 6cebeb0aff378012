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

/** {@code scalelab quickstart} end to end on a smaller kaplan-tiny: 4 sizes, 10 steps, in this JVM. */
class QuickstartTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void runsFitsReportsAndPrintsTheComparison(@TempDir Path tmp) throws IOException {
        Path dir = tmp.resolve("qs");
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "quickstart", "--dir", dir.toString(),
                "--steps", "10", "--sizes", "4", "--bootstrap", "50", "--in-process");
        String text = out.toString();
        assertEquals(0, code, text + err);
        assertTrue(text.contains("kaplan-tiny: 4 runs"), text);

        Matcher a = Pattern.compile("alpha_N = (-?\\d+\\.\\d{3})  \\[(-?\\d+\\.\\d{3}), (-?\\d+\\.\\d{3})\\] 95%   \\(Kaplan et al\\. 2020: 0\\.076\\)").matcher(text);
        assertTrue(a.find(), "alpha_N with its interval and Kaplan's value: " + text);
        double v = Double.parseDouble(a.group(1)), lo = Double.parseDouble(a.group(2)), hi = Double.parseDouble(a.group(3));
        assertTrue(lo <= v && v <= hi, text);
        JsonNode fits = JSON.readTree(dir.resolve("fits.json").toFile());
        JsonNode alpha = null;
        for (JsonNode l : fits.get("laws")) if (l.get("law").asText().equals("L(N)")) alpha = l.get("params").get("alpha_N");
        assertEquals(alpha.get("value").asDouble(), v, 5e-4, "the printed alpha_N is fits.json's");
        assertEquals(50, fits.get("options").get("bootstrap").asInt());

        // the fitted E (or why it is undetermined), then the corpus' exact floor as the runs recorded it
        assertTrue(text.contains("E = ") || text.contains("E is not determined"), text);
        Matcher f = Pattern.compile("exact loss floor of the synthetic corpus[^:]*: (\\d+\\.\\d{3}) nats").matcher(text);
        assertTrue(f.find(), text);
        List<JsonNode> results = new java.util.ArrayList<>();
        try (var runs = Files.list(dir.resolve("runs"))) {
            for (Path r : (Iterable<Path>) runs::iterator) {
                if (Files.isRegularFile(r.resolve("result.json"))) results.add(JSON.readTree(r.resolve("result.json").toFile()));
            }
        }
        assertEquals(4, results.size());
        assertEquals(QuickstartCommand.floor(results).nats(), Double.parseDouble(f.group(1)), 5e-4);

        Matcher r = Pattern.compile("report: (\\S+index\\.html)").matcher(text);
        assertTrue(r.find(), text);
        assertTrue(Files.isRegularFile(Path.of(r.group(1))));
        assertEquals(dir.resolve("report/index.html").toAbsolutePath(), Path.of(r.group(1)));
        assertTrue(Files.readString(dir.resolve("sweep.yaml")).contains("steps: 10"));
    }

    @Test
    void theFloorAtTheRunsContextComesFirst() throws IOException {
        JsonNode full = JSON.readTree("{\"loss_floor\":1.20}"), ctx = JSON.readTree("{\"loss_floor\":1.20,\"loss_floor_ctx\":1.35}");
        assertEquals(new QuickstartCommand.Floor(1.35, true), QuickstartCommand.floor(List.of(full, ctx)));
        assertEquals(new QuickstartCommand.Floor(1.20, false), QuickstartCommand.floor(List.of(full)));
        assertTrue(Double.isNaN(QuickstartCommand.floor(List.of(JSON.readTree("{}"))).nats()));
    }

    @Test
    void smallerPresetKeepsItsShapeAndRejectsTooFewSizes() {
        String preset = "name: kaplan-tiny\nbase:\n  train:\n    steps: 300\n    warmupSteps: 30\n    evalEvery: 50\n    checkpointEvery: 200\n"
                + "zip:\n  model.nLayer: [1, 1, 2, 2, 2]\n  model.dModel: [16, 24, 24, 32, 48]\n";
        assertEquals(preset, QuickstartCommand.smaller(preset, null, null));
        String s = QuickstartCommand.smaller(preset, 40, 3);
        assertTrue(s.contains("steps: 40") && s.contains("warmupSteps: 4") && s.contains("evalEvery: 8") && s.contains("checkpointEvery: 40"), s);
        assertTrue(s.contains("- 24") && !s.contains("- 32") && !s.contains("- 48"), s);
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.scalelab.datasets.UserError.class, () -> QuickstartCommand.smaller(preset, null, 2));
        assertTrue(e.getMessage().startsWith("--sizes must be between 3 and 5"), e.getMessage());
        assertFalse(QuickstartCommand.smaller(preset, 40, null).contains("steps: 300"));
    }
}
