package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/** GPT-2's MLP: proj(gelu(fc(x))), GELU in the tanh approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
final class GeluMlp extends Mlp {
    GeluMlp(Linear fc, Linear proj) {
        super(fc, proj);
    }

    @Override
    boolean backwardInPlace() { return true; }

    @Override
    void activate(Pass ps, Buf pre, Buf act, int rows) {
        Kernels.gelu(pre.b(), act.b(), rows * hidden());
        ps.tick("f.gelu");
    }

    @Override
    void activateBackward(Pass ps, Buf pre, Buf dact, Buf dpre, int rows) {
        Kernels.geluBackward(pre.b(), dact.b(), rows * hidden());   // in place: dpre is dact
        ps.tick("b.gelu");
    }

    @Override
    SDVariable emitActivation(Graph g, SDVariable x) {
        SDVariable inner = x.add(g.sd.math.cube(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return x.mul(g.sd.math.tanh(inner).add(1.0)).mul(0.5);
    }
}
