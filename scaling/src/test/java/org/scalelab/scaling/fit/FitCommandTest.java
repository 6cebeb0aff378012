package org.scalelab.scaling.fit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.scaling.ScalingError;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FitCommandTest {

    /** results.csv of a 4 × 4 sweep over N and D drawn from L = 1.8 + 300/N^0.3 + 500/D^0.3 with 1% noise, plus a failed run. */
    static Path sweep(Path dir) throws IOException {
        SplittableRandom r = new SplittableRandom(5);
        StringBuilder sb = new StringBuilder("run_id,status,N,D,C,best_val_loss,final_val_loss\n");
        int i = 0;
        for (double n = 1e5; n <= 1e7; n *= 3.2) {
            for (double d = 1e7; d <= 1e9; d *= 4.6) {
                double l = (1.8 + 300 / Math.pow(n, 0.3) + 500 / Math.pow(d, 0.3)) * Math.exp(0.01 * FitterTest.gaussian(r));
                sb.append(String.format(Locale.ROOT, "r%d,done,%.0f,%.0f,%.4g,%.6f,%.6f%n", i++, n, d, 6 * n * d, l, l + 0.01));
            }
        }
        sb.append("bad,diverged,1000,1000,1,,\n");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.csv"), sb);
        return dir;
    }

    @Test
    void fitsEverySupportedLawAndWritesFitsJson(@TempDir Path tmp) throws IOException {
        Path dir = sweep(tmp.resolve("sweep"));
        int code = new CommandLine(new FitCommand()).execute(dir.toString(), "--bootstrap", "100");
        assertEquals(0, code);
        JsonNode fits = new ObjectMapper().readTree(dir.resolve("fits.json").toFile());
        assertEquals("best_val_loss", fits.get("loss_column").asText());
        assertEquals(16, fits.get("rows").asInt(), "only runs with status done");
        JsonNode chin = null;
        for (JsonNode l : fits.get("laws")) if (l.get("law").asText().equals("chinchilla")) chin = l;
        assertNotNull(chin);
        JsonNode alpha = chin.get("params").get("alpha");
        assertEquals(0.3, alpha.get("value").asDouble(), 0.08);
        assertTrue(alpha.get("ci_low").asDouble() <= alpha.get("value").asDouble()
                && alpha.get("value").asDouble() <= alpha.get("ci_high").asDouble());
        assertEquals(0.34, alpha.get("published").get(0).get("value").asDouble(), 1e-12, "published value beside it");
        // E is the least determined parameter of 16 noisy points: its interval must hold the truth
        JsonNode e = chin.get("params").get("E");
        assertTrue(e.get("ci_low").asDouble() <= 1.8 && 1.8 <= e.get("ci_high").asDouble(), e.toString());
        assertEquals(1.8, e.get("value").asDouble(), 0.4);
        JsonNode ex = chin.get("extrapolation");
        assertEquals(2, ex.get("held_out").asInt());
        assertTrue(ex.get("mean_abs_rel_error").asDouble() < 0.05, ex.toString());
        // L(N) uses one run per N (the one with the most data): 4 points
        for (JsonNode l : fits.get("laws")) if (l.get("law").asText().equals("L(N)")) assertEquals(4, l.get("n_points").asInt());
    }

    @Test
    void anyCsvWithNamedColumns(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        StringBuilder sb = new StringBuilder("params,myloss\n");
        for (double n = 1e3; n <= 1e8; n *= 3) sb.append(String.format(Locale.ROOT, "%.0f,%.6f%n", n, Math.pow(1e10 / n, 0.08)));
        Files.writeString(f, sb);
        assertEquals(0, new CommandLine(new FitCommand()).execute("--csv", f.toString(), "--n-col", "params",
                "--loss-col", "myloss", "--laws", "n", "--bootstrap", "50"));
        JsonNode l = new ObjectMapper().readTree(tmp.resolve("fits.json").toFile()).get("laws").get(0);
        assertEquals(0.08, l.get("params").get("alpha_N").get("value").asDouble(), 1e-6);
        assertEquals(1e10, l.get("params").get("N_c").get("value").asDouble(), 1e4);
    }

    /** A zero weight removes a point: an outlier with weight 0 leaves the fit exact. */
    @Test
    void weightsColumn(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        StringBuilder sb = new StringBuilder("N,loss,w\n");
        for (double n = 1e3; n <= 1e8; n *= 3) sb.append(String.format(Locale.ROOT, "%.0f,%.6f,1%n", n, Math.pow(1e10 / n, 0.08)));
        sb.append("5000,9.0,0\n");
        Files.writeString(f, sb);
        assertEquals(0, new CommandLine(new FitCommand()).execute("--csv", f.toString(), "--loss-col", "loss",
                "--weight-col", "w", "--laws", "n", "--bootstrap", "0"));
        JsonNode l = new ObjectMapper().readTree(tmp.resolve("fits.json").toFile()).get("laws").get(0);
        assertEquals(0.08, l.get("params").get("alpha_N").get("value").asDouble(), 1e-6);
    }

    @Test
    void computeLawFromACsvColumn(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        StringBuilder sb = new StringBuilder("flops,loss\n");
        for (double c = 1e12; c <= 1e20; c *= 10) sb.append(String.format(Locale.ROOT, "%.0f,%.6f%n", c, Math.pow(2.68e28 / c, 0.05)));
        Files.writeString(f, sb);
        assertEquals(0, new CommandLine(new FitCommand()).execute("--csv", f.toString(), "--c-col", "flops", "--laws", "c", "--bootstrap", "0"));
        JsonNode l = new ObjectMapper().readTree(tmp.resolve("fits.json").toFile()).get("laws").get(0);
        assertEquals("L(C)", l.get("law").asText());
        assertEquals(0.05, l.get("params").get("alpha_C").get("value").asDouble(), 1e-6);
    }

    @Test
    void userErrors(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("t.csv");
        Files.writeString(f, "N,loss\n1000,3\n1000,2.9\n1000,3.1\n");
        FitCommand c = new FitCommand();
        new CommandLine(c).parseArgs("--csv", f.toString(), "--laws", "n");
        ScalingError e = assertThrows(ScalingError.class, c::call);
        assertTrue(e.getMessage().contains("same N"), e.getMessage());
        FitCommand c2 = new FitCommand();
        new CommandLine(c2).parseArgs("--csv", f.toString(), "--loss-col", "nope");
        e = assertThrows(ScalingError.class, c2::call);
        assertTrue(e.getMessage().contains("no column 'nope'"), e.getMessage());
    }
}
