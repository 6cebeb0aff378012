package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/** Layer norm as ND4J computes it: (x − μ)/(σ + 1e-12)·g (+ b), σ the population standard deviation. */
final class LayerNorm implements Norm {
    private final ParamLayout.Tensor g, b;   // b null without biases
    private final int d;

    LayerNorm(ParamLayout layout, String name, int d, boolean bias) {
        this.d = d;
        this.g = layout.add(name + ".g", ParamLayout.Init.ONES, 0, ParamLayout.Role.NORM_GAIN, d);
        this.b = bias ? layout.add(name + ".b", ParamLayout.Init.ZEROS, 0, ParamLayout.Role.NORM_BIAS, d) : null;
    }

    @Override public int stats() { return 3; }   // μ, 1/(σ + 1e-12), σ

    @Override
    public void forward(Pass ps, Buf x, Buf y, float[][] st, int rows) {
        Kernels.layerNorm(x.b(), y.b(), ps.p(g).b(), b == null ? null : ps.p(b).b(), st[0], st[1], st[2], rows, d);
        ps.tick("f.norm");
    }

    @Override
    public void backward(Pass ps, Buf x, Buf dy, Buf dx, float[][] st, int rows) {
        Kernels.layerNormBackward(x.b(), dy.b(), ps.p(g).b(), dx.b(), ps.g(g).b(), b == null ? null : ps.g(b).b(),
                st[0], st[1], st[2], rows, d);
        ps.tick("b.norm");
    }

    @Override
    public SDVariable emit(Graph gr, SDVariable x) {
        int axis = 2;   // x is (B, T, dModel)
        return b == null ? gr.sd.nn.layerNorm(x, gr.var(g), false, axis)
                : gr.sd.nn.layerNorm(x, gr.var(g), gr.var(b), false, axis);
    }
}
