package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.kernels.Buf;

/**
 * The feed-forward branch: x (N, d), normalised → out (N, d). {@code in} maps d to {@link #inWidth()}
 * columns, the activation maps those to {@link #hidden()}, {@code out} maps back to d.
 */
abstract class Mlp {
    final Linear in, out;

    /** What the forward pass keeps: the input projection's output and the activation's. */
    static final class Acts {
        final Buf pre, act;

        Acts(int rows, Mlp m) {
            pre = Buf.alloc((long) rows * m.inWidth());
            act = Buf.alloc((long) rows * m.hidden());
        }
    }

    Mlp(Linear in, Linear out) {
        this.in = in;
        this.out = out;
    }

    /** Columns of the input projection's output. */
    int inWidth() { return in.out; }

    /** Columns of the activation's output (the second matrix's input). */
    int hidden() { return out.in; }

    /** act = activation(pre), rows × columns as declared. */
    abstract void activate(Pass ps, Buf pre, Buf act, int rows);

    /** Whether {@link #activateBackward} works in place, so that dact and dpre can be one buffer. */
    boolean backwardInPlace() { return false; }

    /** From dact (rows, hidden) writes dpre (rows, inWidth); dact may be overwritten (or be dpre). */
    abstract void activateBackward(Pass ps, Buf pre, Buf dact, Buf dpre, int rows);

    /** The activation in the graph: (rows, inWidth) → (rows, hidden). */
    abstract SDVariable emitActivation(Graph g, SDVariable pre);

    void forward(Pass ps, Buf x, Buf y, Acts a) {
        in.forward(ps, x, a.pre, ps.N);
        activate(ps, a.pre, a.act, ps.N);
        out.forward(ps, a.act, y, ps.N);
    }

    /** From dy (N, d) writes dx (N, d); scratch dact (N, hidden) and dpre (N, inWidth), which may be one buffer. */
    void backward(Pass ps, Buf x, Buf dy, Buf dx, Acts a, Buf dact, Buf dpre) {
        out.backward(ps, a.act, dy, dact, ps.N);
        ps.tick(null);
        activateBackward(ps, a.pre, dact, dpre, ps.N);
        in.backward(ps, x, dpre, dx, ps.N);
    }

    /** x (B·T, d) → (B·T, d). */
    SDVariable emit(Graph g, SDVariable x) {
        return out.emit(g, emitActivation(g, in.emit(g, x)));
    }

    /** The MLP {@code cfg} asks for, declaring its tensors under {@code name}. */
    static Mlp of(ModelConfig cfg, ParamLayout layout, String name, double std, double residStd) {
        int d = cfg.dModel(), f = cfg.ff();
        boolean b = cfg.bias();
        return switch (cfg.mlp()) {
            case GELU -> new GeluMlp(new Linear(layout, name + ".fc", d, f, b, std, ParamLayout.Role.MLP_IN),
                    new Linear(layout, name + ".proj", f, d, b, residStd, ParamLayout.Role.MLP_OUT));
            case SWIGLU -> new SwiGluMlp(new Linear(layout, name + ".fc", d, 2 * f, b, std, ParamLayout.Role.MLP_IN),
                    new Linear(layout, name + ".proj", f, d, b, residStd, ParamLayout.Role.MLP_OUT));
        };
    }
}
