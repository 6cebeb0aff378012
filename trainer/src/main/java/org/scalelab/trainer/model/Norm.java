package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.kernels.Buf;

/**
 * A normalisation over the last axis (dModel) of each row. The host forward keeps {@link #stats()} floats
 * per row for the backward pass; the backward adds into dx (the residual stream's gradient).
 */
interface Norm {
    /** Floats per row the forward pass keeps. */
    int stats();

    /** y = norm(x) for {@code rows} rows of dModel. */
    void forward(Pass ps, Buf x, Buf y, float[][] stats, int rows);

    /** dx += ∂loss/∂x given dy; the parameters' gradients are added to. */
    void backward(Pass ps, Buf x, Buf dy, Buf dx, float[][] stats, int rows);

    /** x (B, T, dModel) → normalised, the same shape. */
    SDVariable emit(Graph g, SDVariable x);

    /** The norm {@code cfg} asks for, declaring its tensors {@code name.g} (and {@code name.b}). */
    static Norm of(ModelConfig cfg, ParamLayout layout, String name) {
        return switch (cfg.norm()) {
            case LAYERNORM -> new LayerNorm(layout, name, cfg.dModel(), cfg.bias());
            case RMSNORM -> new RmsNorm(layout, name, cfg.dModel());
        };
    }
}
