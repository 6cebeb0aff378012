package org.scalelab.trainer.cli;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.run.*;
import org.scalelab.trainer.optim.*;
import org.scalelab.trainer.*;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.engine.Engine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.engine.GraphEngine;
import org.scalelab.trainer.kernels.Blas;
import org.scalelab.trainer.kernels.Sections;
import org.scalelab.trainer.model.Pass;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code scalelab bench}: times the training step (forward, backward, AdamW) of one shape on random
 * tokens, the same measurement as the PyTorch peer, and prints one JSON line: median step time,
 * tokens/s, achieved GFLOP/s (Kaplan's 6N + 6·nLayer·nCtx·dModel per token, the peer's convention),
 * MFU against an fp32 GEMM measured in the same process, and peak resident memory.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Time the training step of one model shape; prints one JSON line.",
        footer = {"", "Example:", "  scalelab bench --shape 4,128,4,128,16,256 --steps 20"})
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--shape", required = true, paramLabel = "L,D,H,T,B,V",
            description = "nLayer,dModel,nHead,nCtx,batch,nVocab")
    String shape;

    @Option(names = "--steps", defaultValue = "20", description = "Timed steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--untied", description = "Separate output matrix instead of the tied embedding.")
    boolean untied;

    @Option(names = "--profile", description = "Also print time per section (or per op type with --graph).")
    boolean profile;

    @Option(names = "--graph", description = "Time the step on the SameDiff graph engine (the reference the "
            + "host passes are tested against) instead of the CPU engine.")
    boolean graph;

    @Option(names = "--norm", defaultValue = "layernorm", description = "layernorm | rmsnorm (default: ${DEFAULT-VALUE}).")
    String norm;

    @Option(names = "--mlp", defaultValue = "gelu", description = "gelu | swiglu (default: ${DEFAULT-VALUE}).")
    String mlp;

    @Option(names = "--position", defaultValue = "learned", description = "learned | rope (default: ${DEFAULT-VALUE}).")
    String position;

    @Override
    public Integer call() {
        long[] s;
        try {
            s = Arrays.stream(shape.split(",")).mapToLong(x -> Long.parseLong(x.trim())).toArray();
        } catch (NumberFormatException e) {
            s = new long[0];
        }
        if (s.length != 6) throw new UserError("--shape '" + shape + "': expected six integers L,D,H,T,B,V, e.g. 4,128,4,128,16,256");
        ModelConfig cfg = new ModelConfig((int) s[0], (int) s[1], (int) s[2], 0, (int) s[3], (int) s[5], 0, !untied, true,
                ModelConfig.Norm.of(norm), ModelConfig.Mlp.of(mlp), ModelConfig.Position.of(position)).validate();
        int B = (int) s[4];
        System.out.println(Json.line(run(cfg, B, steps, warmup, profile, graph)));
        return 0;
    }

    /** Runs the benchmark and returns its numbers. */
    public static Map<String, Object> run(ModelConfig cfg, int B, int steps, int warmup) {
        return run(cfg, B, steps, warmup, false, false);
    }

    static Map<String, Object> run(ModelConfig cfg, int B, int steps, int warmup, boolean profile, boolean graph) {
        Nd4j.getEnvironment().setDebug(false);
        Nd4j.getEnvironment().setVerbose(false);
        Sections sections = profile && !graph ? new Sections() : Sections.OFF;
        Transformer model = Transformer.of(cfg);
        Weights weights = Weights.init(model.layout(), DataType.FLOAT, 0);
        Engine engine = Engines.create(graph ? Engines.Kind.SAMEDIFF : Engines.choose(DataType.FLOAT), model, weights,
                Pass.Options.defaults().withSections(sections));
        boolean usesGraph = engine instanceof GraphEngine;
        int T = cfg.nCtx(), V = cfg.nVocab();
        Rng rng = new Rng(0);
        int[] in = new int[B * T], out = new int[B * T];
        for (int i = 0; i < in.length; i++) {
            in[i] = (int) rng.nextLong(V);
            out[i] = (int) rng.nextLong(V);
        }
        Batch batch = new Batch(in, out, B, T);
        AdamW adam = new AdamW(model.layout().sizes(), 0.9, 0.95, 1e-8);
        TrainStep step = new TrainStep(engine, adam, new double[model.layout().size()], 1.0);
        double gemmBefore = gemmGflops();   // measured before and after the steps; the higher is the reference
        double[] times = new double[steps];
        double loss = 0;
        OpProfile prof = new OpProfile();
        for (int i = 0; i < warmup + steps; i++) {
            if (profile && i == warmup) sections.drain();
            if (profile && i == warmup && usesGraph) {
                SameDiff sd = ((GraphEngine) engine).sameDiff();
                sd.addListeners(prof);
                SameDiff g = sd.getFunction("grad");
                if (g != null) g.addListeners(prof);
            }
            prof.stepBoundary();
            long t0 = System.nanoTime();
            loss = step.run(List.of(batch), rng, 1e-3, i + 1).loss();
            if (i >= warmup) times[i - warmup] = (System.nanoTime() - t0) / 1e9;
        }
        if (profile && usesGraph) System.err.print(prof.report(steps));
        if (profile && !usesGraph) {
            double[] sum = {0};
            sections.drain().entrySet().stream().sorted((x, y) -> Double.compare(y.getValue(), x.getValue())).forEach(e -> {
                sum[0] += e.getValue() / steps;
                System.err.printf("%9.2f ms/step  %s%n", e.getValue() / steps, e.getKey());
            });
            System.err.printf("%9.2f ms/step  in total%n", sum[0]);
        }
        Arrays.sort(times);
        double med = times[steps / 2];
        // The peer's convention: N = 12·L·d² (dFf = 4d), FLOPs/token = 6N + 6·L·nCtx·d.
        double flopsPerToken = 6.0 * Accounting.of(cfg).kaplanApprox() + 6.0 * cfg.nLayer() * T * cfg.dModel();
        double gemm = Math.max(gemmBefore, gemmGflops());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("impl", "scalelab");
        r.put("engine", engine.name());
        r.put("variants", cfg.variants());
        r.put("threads", Runtime.getRuntime().availableProcessors());
        r.put("n_layer", cfg.nLayer());
        r.put("d_model", cfg.dModel());
        r.put("n_head", cfg.nHead());
        r.put("d_ff", cfg.ff());
        r.put("n_ctx", T);
        r.put("batch", B);
        r.put("vocab", V);
        r.put("tied", cfg.tiedOutput());
        r.put("step_s_median", med);
        r.put("tokens_per_s", B * T / med);
        double gflops = flopsPerToken * B * T / med / 1e9;
        r.put("gflop_per_s", gflops);
        r.put("gemm_gflop_per_s", gemm);
        r.put("mfu", gflops / gemm);
        r.put("final_loss", loss);
        r.put("peak_rss_mb", peakRssMb());
        return r;
    }

    /** fp32 GEMM rate of this process' ND4J backend on a 1024³ product at every core (best of 5, after one warm-up). */
    static double gemmGflops() {
        // at every core, whatever the training step set (the passes run BLAS on one thread per call)
        int prev = Blas.threads(Runtime.getRuntime().availableProcessors());
        try {
            return gemmRate();
        } finally {
            Blas.threads(prev);
        }
    }

    private static double gemmRate() {
        int n = 1024;
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n), b = Nd4j.rand(DataType.FLOAT, n, n), c = Nd4j.zeros(DataType.FLOAT, n, n);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            long t0 = System.nanoTime();
            Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
            if (i > 0) best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    /** Peak resident set size of this process (VmHWM), or -1 where /proc is unavailable. */
    static double peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (java.io.IOException | NumberFormatException ignored) {
            // not Linux, or a status file of another form
        }
        return -1;
    }

}
