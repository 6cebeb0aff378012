package org.scalelab.trainer.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.model.Pass;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;

/**
 * The one place that decides which {@link Engine} computes a model: the host passes ({@code cpu}) in float32
 * on ND4J's CPU backend, the SameDiff graph ({@code samediff}) otherwise (float64, or the CUDA backend,
 * where parameters live on the device and no OpenBLAS is loaded). A further engine is one more case here.
 */
public final class Engines {
    static final String CPU_BACKEND = "org.nd4j.linalg.cpu.nativecpu.CpuBackend";

    public enum Kind { CPU, SAMEDIFF }

    private Engines() {}

    /** The engine for parameters of {@code dtype} under the ND4J backend of class {@code backendClass}. */
    public static Kind choose(DataType dtype, String backendClass) {
        return dtype == DataType.FLOAT && cpuBackend(backendClass) ? Kind.CPU : Kind.SAMEDIFF;
    }

    /** The engine for {@code dtype} under the backend this process loaded. */
    public static Kind choose(DataType dtype) {
        return choose(dtype, Nd4j.getBackend().getClass().getName());
    }

    static boolean cpuBackend(String backendClass) {
        return CPU_BACKEND.equals(backendClass);
    }

    /** The chosen engine on {@code w}. */
    public static Engine create(Transformer m, Weights w, Pass.Options options) {
        return create(choose(w.dtype()), m, w, options);
    }

    public static Engine create(Kind kind, Transformer m, Weights w, Pass.Options options) {
        return switch (kind) {
            case CPU -> new CpuEngine(m, w, options);
            case SAMEDIFF -> new GraphEngine(m, w);
        };
    }

    /** One line for the log: which engine runs. */
    public static String describe(Engine e) {
        return describe(e instanceof CpuEngine ? Kind.CPU : Kind.SAMEDIFF);
    }

    /** A fresh model of {@code cfg} with initial weights drawn from {@code seed}, on the chosen engine. */
    public static Engine fresh(org.scalelab.trainer.ModelConfig cfg, DataType dtype, long seed, Pass.Options options) {
        Transformer m = Transformer.of(cfg);
        return create(m, Weights.init(m.layout(), dtype, seed), options);
    }

    /** One line for the log: which engine, and why. */
    public static String describe(Kind kind) {
        String backend = Nd4j.getBackend().getClass().getSimpleName();
        return switch (kind) {
            case CPU -> "engine: cpu (the layers' host passes, BLAS on ND4J's " + backend + ", float32)";
            case SAMEDIFF -> "engine: samediff (the layers' SameDiff graph on ND4J's " + backend + ")";
        };
    }
}
