package org.scalelab.scaling.report;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens index.html in headless Chromium (Debian's package; .ci/run installs it) and checks that the
 * browser decoded every chart. Skipped where no Chromium is installed.
 */
class ReportBrowserTest {

    static Path chromium() {
        for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
            if (Files.isExecutable(Path.of(c))) return Path.of(c);
        }
        return null;
    }

    @Test
    void everyChartLoadsInChromium(@TempDir Path tmp) throws IOException, InterruptedException {
        Path browser = chromium();
        Assumptions.assumeTrue(browser != null, "Chromium not installed");
        Path index = Report.write(ReportTest.fakeSweep(tmp), tmp.resolve("report"));
        assertAllLoad(browser, index, tmp, 6);
    }

    /** The fuller report of a fitted sweep: fitted curves, compute-optimal N and D, both family charts. */
    @Test
    void everyChartOfAFittedSweepLoadsInChromium(@TempDir Path tmp) throws IOException, InterruptedException {
        Path browser = chromium();
        Assumptions.assumeTrue(browser != null, "Chromium not installed");
        Path index = Report.write(ReportTest.fittedSweep(tmp.resolve("sweep")), tmp.resolve("report"));
        assertAllLoad(browser, index, tmp, 8);
    }

    private static void assertAllLoad(Path browser, Path index, Path tmp, int charts) throws IOException, InterruptedException {
        String want = charts + "/" + charts, seen = "";
        // Two attempts: Chromium's first start on a fresh machine sometimes exits before the page loads.
        for (int attempt = 0; attempt < 2 && !seen.equals(want); attempt++) seen = plotsLoaded(browser, index, tmp);
        assertTrue(seen.equals(want), "charts decoded by the browser: " + seen + ", want " + want);
    }

    private static String plotsLoaded(Path browser, Path index, Path tmp) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(browser.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--user-data-dir=" + tmp.resolve("profile"), "--virtual-time-budget=5000",
                "--dump-dom", index.toUri().toString())
                .redirectError(tmp.resolve("chromium.err").toFile()).start();
        String dom = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium finished");
        var m = java.util.regex.Pattern.compile("data-plots=\"([^\"]*)\"").matcher(dom);
        return m.find() ? m.group(1) : "none; stderr: " + Files.readString(tmp.resolve("chromium.err"));
    }
}
