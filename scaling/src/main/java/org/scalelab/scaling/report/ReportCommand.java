package org.scalelab.scaling.report;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code scalelab report SWEEP_DIR}: plots and an HTML page for a sweep. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write report/ for a sweep: PNG and SVG charts and a self-contained, interactive index.html.",
        footer = {"", "Example:", "  scalelab report experiments/kaplan-tiny      (then open experiments/kaplan-tiny/report/index.html)"})
public final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SWEEP_DIR", description = "A sweep directory (with results.csv).")
    Path dir;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: SWEEP_DIR/report).")
    Path out;

    @Override
    public Integer call() {
        if (!Files.isDirectory(dir)) throw new org.scalelab.scaling.ScalingError(dir + ": no such sweep directory");
        Path index = Report.write(dir, out != null ? out : dir.resolve("report"));
        System.out.println(index.toAbsolutePath());
        return 0;
    }
}
