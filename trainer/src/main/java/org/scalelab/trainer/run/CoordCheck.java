package org.scalelab.trainer.run;

import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.datasets.TokenSource;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.Rng;
import org.scalelab.trainer.TrainConfig;
import org.scalelab.trainer.engine.CpuEngine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.model.ParamLayout;
import org.scalelab.trainer.model.Pass;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;
import org.scalelab.trainer.optim.AdamW;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * μP's coordinate check (Yang et al. 2022, Tensor Programs V, and the check microsoft/mup ships): the
 * run's model at several widths, each trained a few steps with the run's learning rate held constant (no
 * warmup, no decay, no clipping), recording before each step the mean |x| of every layer's output. Under
 * μP the sizes stay flat across widths; under SP the output logits (and with them the updates) grow with
 * width. Widths keep nHead (the head size grows with the width, as μP's attention scale 1/hs assumes).
 */
public final class CoordCheck {
    /** One measurement: a layer's mean |x| at one width, before step {@code step} (1 = at initialisation). */
    public record Point(int width, int step, String layer, double meanAbs) {}

    private CoordCheck() {}

    /**
     * Every width's activation sizes over {@code steps} steps of {@code cfg}'s training, averaged over
     * {@code seeds} seeds (train.seed, train.seed + 1, …: initial weights and batches).
     */
    public static List<Point> run(RunConfig cfg, int[] widths, int steps, int seeds, java.util.function.IntConsumer onWidth) {
        record Key(int width, int step, String layer) {}
        Map<Key, Double> mean = new java.util.LinkedHashMap<>();
        for (int s = 0; s < seeds; s++) {
            RunConfig c = cfg.withTrain(cfg.train().withSeed(cfg.train().seed() + s));
            for (Point p : run(c, widths, steps, s == seeds - 1 ? onWidth : null)) {
                mean.merge(new Key(p.width(), p.step(), p.layer()), p.meanAbs() / seeds, Double::sum);
            }
        }
        List<Point> out = new ArrayList<>();
        mean.forEach((k, v) -> out.add(new Point(k.width(), k.step(), k.layer(), v)));
        return out;
    }

    /** Every width's activation sizes over {@code steps} steps of {@code cfg}'s training, one seed. */
    public static List<Point> run(RunConfig cfg, int[] widths, int steps, java.util.function.IntConsumer onWidth) {
        List<Point> out = new ArrayList<>();
        TrainConfig tc = cfg.train();
        for (int w : widths) {
            ModelConfig mc = cfg.model().withShape(cfg.model().nLayer(), w, cfg.model().nHead());
            Trainer.Prepared prep = Trainer.prepare(cfg.withModel(mc));
            mc = prep.config().model().validate();
            Transformer m = Transformer.of(mc);
            ParamLayout layout = m.layout();
            CpuEngine e = (CpuEngine) Engines.create(Engines.Kind.CPU, m, Weights.init(layout, DataType.FLOAT, tc.seed()), Pass.Options.defaults());
            double[] decay = Trainer.decayRates(layout, tc, mc);
            AdamW adam = Trainer.adamW(layout, tc, mc);
            Rng rng = new Rng(tc.seed() * 0x9E3779B97F4A7C15L + 1);
            TokenSource train = prep.train();
            for (int step = 1; step <= steps; step++) {
                Batch b = Batch.sample(train, tc.micro(), mc.nCtx(), rng);
                for (Map.Entry<String, Double> en : e.activationSizes(b.inputs).entrySet()) {
                    out.add(new Point(w, step, en.getKey(), en.getValue()));
                }
                e.zeroGrads();
                e.accumulate(b.inputs, b.targets, new Rng(step));
                for (int i = 0; i < layout.size(); i++) {
                    adam.update(i, e.param(i), e.grad(i), 1f, step, tc.lr(), decay[i]);
                }
                e.paramsWritten();
            }
            if (onWidth != null) onWidth.accept(w);
        }
        return out;
    }

    /**
     * The least-squares slope of log mean|x| against log width for one layer at one step: about 0 when the
     * size does not depend on the width, about 0.5 or 1 when it grows as √width or width.
     */
    public static double slope(List<Point> points, String layer, int step) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int n = 0;
        for (Point p : points) {
            if (p.step() != step || !p.layer().equals(layer)) continue;
            double x = Math.log(p.width()), y = Math.log(p.meanAbs());
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
            n++;
        }
        if (n < 2) return Double.NaN;
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }
}
