package org.scalelab.scaling.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {

    /** A sweep of 5 sizes × 2 budgets following L = 2 + (1e4/N)^0.3, with learning curves. */
    static Path fakeSweep(Path dir) throws IOException {
        StringBuilder csv = new StringBuilder("run_id,status,n_layer,d_model,N,D,C,best_val_loss,final_val_loss,family\n");
        int i = 0;
        for (double D : new double[]{1e6, 4e6}) {
            for (double N : new double[]{1e3, 3e3, 1e4, 3e4, 1e5}) {
                String id = "run" + i;
                double loss = 2 + Math.pow(1e4 / N, 0.3) + Math.pow(1e6 / D, 0.3) * 0.2;
                csv.append(String.format(Locale.ROOT, "%s,done,2,64,%.0f,%.0f,%.4g,%.5f,%.5f,%s%n", id, N, D, 6 * N * D, loss,
                        loss + 0.01, i % 2 == 0 ? "standard" : "deepnarrow"));
                Path run = Files.createDirectories(dir.resolve("runs").resolve(id));
                StringBuilder m = new StringBuilder();
                for (int s = 0; s <= 10; s++) {
                    double t = D * s / 10;
                    double l = s == 0 ? 5.5 : loss + 3 * Math.pow(t / 1e4, -0.5);
                    m.append(String.format(Locale.ROOT, "{\"step\":%d,\"tokens\":%.0f,\"train_loss\":null,\"val_loss\":%.5f}%n", s * 10, t, l));
                }
                Files.writeString(run.resolve("metrics.jsonl"), m);
                i++;
            }
        }
        csv.append("failedrun,failed,2,64,,,,,,standard\n");
        Files.writeString(dir.resolve("results.csv"), csv);
        return dir;
    }

    @Test
    void rendersEveryChartAsPngAndSvgAndOneSelfContainedPage(@TempDir Path tmp) throws IOException {
        Path index = Report.write(fakeSweep(tmp), tmp.resolve("report"));
        String html = Files.readString(index);
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        int images = 0;
        while (m.find()) {
            BufferedImage img = ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(m.group(1))));
            assertNotNull(img, "embedded image decodes");
            assertEquals(Plots.W, img.getWidth());
            images++;
        }
        // loss vs N, loss vs D, curves vs tokens, curves vs compute, families
        assertEquals(5, images);
        for (String name : new String[]{"loss_vs_N", "loss_vs_D", "curves_vs_tokens", "curves_vs_compute", "families"}) {
            assertNotNull(ImageIO.read(tmp.resolve("report").resolve(name + ".png").toFile()), name);
            assertTrue(Files.readString(tmp.resolve("report").resolve(name + ".svg")).contains("<svg"), name);
        }
        assertTrue(html.contains("failedrun"), "every run is in the table, failed ones too");
        assertTrue(!html.contains("http://") && !html.contains("https://"), "no network references");
    }

    @Test
    void computeFrontierIsTheRunningMinimum(@TempDir Path tmp) throws IOException {
        SweepData data = SweepData.read(fakeSweep(tmp));
        var chart = Plots.learningCurves(data, true);
        var front = chart.getSeriesMap().get("compute frontier (min loss at ≤ C)");
        double[] ys = front.getYData();
        for (int i = 1; i < ys.length; i++) assertTrue(ys[i] < ys[i - 1], "strictly decreasing frontier");
        double globalMin = data.runs().stream().flatMap(r -> r.curve().stream()).filter(p -> p.tokens() > 0)
                .mapToDouble(SweepData.Point::valLoss).min().orElseThrow();
        assertEquals(globalMin, ys[ys.length - 1], 1e-12);
    }
}
