package org.scalelab.cli;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ConfigLoader;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.run.CoordCheck;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code scalelab coord-check}: μP's coordinate check for a run config (docs/parameterization.md). */
@Command(name = "coord-check", mixinStandardHelpOptions = true,
        description = {"μP's coordinate check: each layer's activation size against width over the first steps.", "",
                "Trains the config's model at several widths for a few steps (constant learning rate) and records "
                        + "the mean |x| of every layer's output before each step: flat against width under mup/completep, "
                        + "growing under sp. Writes coord.csv, slopes.csv and coord_step1.png / coord_stepN.png."},
        footer = {"", "Examples:",
                "  scalelab coord-check --set model.parameterization=mup --set model.baseWidth=64 --widths 64,128,256,512",
                "  scalelab coord-check --config run.yaml --widths 64,128,256,512 --steps 10 --out coord-sp"})
public final class CoordCheckCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Run config (YAML); defaults when omitted.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one config key (repeatable).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--widths", defaultValue = "64,128,256,512", split = ",", paramLabel = "W,W,…",
            description = "dModel values (nHead kept from the config) (default: ${DEFAULT-VALUE}).")
    int[] widths;

    @Option(names = "--steps", defaultValue = "10", description = "Training steps per width (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--seeds", defaultValue = "3", description = "Seeds averaged over (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--out", defaultValue = "coord-check", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        if (widths.length < 2) throw new UserError("--widths: give two or more widths, e.g. --widths 64,128,256,512");
        if (steps < 1) throw new UserError("--steps must be ≥ 1, got " + steps);
        if (seeds < 1) throw new UserError("--seeds must be ≥ 1, got " + seeds);
        int[] ws = Arrays.stream(widths).sorted().distinct().toArray();
        RunConfig cfg = ConfigLoader.load(config, sets);
        System.out.printf(Locale.ROOT, "coordinate check: %s, widths %s, %d steps at lr %s, %d seed(s)%n",
                cfg.model().parameterization().id(), Arrays.toString(ws), steps, cfg.train().lr(), seeds);
        List<CoordCheck.Point> pts = CoordCheck.run(cfg, ws, steps, seeds, w -> System.out.println("  width " + w + " done"));
        Set<String> layers = new LinkedHashSet<>();
        pts.forEach(p -> layers.add(p.layer()));

        StringBuilder csv = new StringBuilder("parameterization,width,step,layer,mean_abs\n");
        for (CoordCheck.Point p : pts) {
            csv.append(String.format(Locale.ROOT, "%s,%d,%d,%s,%.6g%n", cfg.model().parameterization().id(), p.width(), p.step(), p.layer(), p.meanAbs()));
        }
        Files2.writeAtomic(out.resolve("coord.csv"), csv.toString());
        StringBuilder slopes = new StringBuilder("layer,step,slope\n");
        System.out.printf(Locale.ROOT, "%nslope of log mean|x| against log width (0: independent of width):%n%-12s %10s %10s%n", "layer", "step 1", "step " + steps);
        for (String l : layers) {
            double a = CoordCheck.slope(pts, l, 1), b = CoordCheck.slope(pts, l, steps);
            System.out.printf(Locale.ROOT, "%-12s %+10.3f %+10.3f%n", l, a, b);
            for (int s = 1; s <= steps; s++) slopes.append(String.format(Locale.ROOT, "%s,%d,%.4f%n", l, s, CoordCheck.slope(pts, l, s)));
        }
        Files2.writeAtomic(out.resolve("slopes.csv"), slopes.toString());
        for (int s : new int[]{1, steps}) chart(pts, layers, s, cfg.model().parameterization().id(), out.resolve("coord_step" + s + ".png"));
        System.out.println("-> " + out.resolve("coord.csv") + ", slopes.csv, coord_step1.png, coord_step" + steps + ".png");
        return 0;
    }

    private static void chart(List<CoordCheck.Point> pts, Set<String> layers, int step, String param, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart c = new XYChartBuilder().width(800).height(520)
                .title(param + ": mean |x| of each layer's output before step " + step).xAxisTitle("width (dModel)").yAxisTitle("mean |x|").build();
        c.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true).setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        for (String l : layers) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (CoordCheck.Point p : pts) {
                if (p.step() == step && p.layer().equals(l)) {
                    x.add((double) p.width());
                    y.add(p.meanAbs());
                }
            }
            c.addSeries(l, x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
