package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/**
 * Llama's MLP (Shazeer 2020): proj(silu(x·W_gate) ⊙ (x·W_up)), silu(g) = g·σ(g). The gate and up matrices
 * are one tensor {@code fc.w} (d, 2·hidden), gate in its first hidden columns, so that one product computes
 * both.
 */
final class SwiGluMlp extends Mlp {
    SwiGluMlp(Linear fc, Linear proj) {
        super(fc, proj);
    }

    @Override
    void activate(Pass ps, Buf pre, Buf act, int rows) {
        Kernels.swiglu(pre.b(), act.b(), rows, hidden());
        ps.tick("f.swiglu");
    }

    @Override
    void activateBackward(Pass ps, Buf pre, Buf dact, Buf dpre, int rows) {
        Kernels.swigluBackward(pre.b(), dact.b(), dpre.b(), rows, hidden());
        ps.tick("b.swiglu");
    }

    @Override
    SDVariable emitActivation(Graph g, SDVariable x) {
        SDVariable[] gu = g.sd.unstack(x.reshape(-1, 2, hidden()), 1, 2);            // gate, up: (B·T, hidden)
        return gu[0].mul(g.sd.nn.sigmoid(gu[0])).mul(gu[1]);
    }
}
