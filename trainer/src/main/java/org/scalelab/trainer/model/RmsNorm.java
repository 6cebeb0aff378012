package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/**
 * RMSNorm (Zhang &amp; Sennrich 2019; Llama): x/√(mean(x²) + ε)·g, ε = 1e-6; no mean subtraction and no
 * shift, so it has a gain and never a bias.
 */
final class RmsNorm implements Norm {
    static final float EPS = 1e-6f;
    private final ParamLayout.Tensor g;
    private final int d;

    RmsNorm(ParamLayout layout, String name, int d) {
        this.d = d;
        this.g = layout.add(name + ".g", ParamLayout.Init.ONES, 0, ParamLayout.Role.NORM_GAIN, d);
    }

    @Override public int stats() { return 1; }   // 1/√(mean(x²) + ε)

    @Override
    public void forward(Pass ps, Buf x, Buf y, float[][] st, int rows) {
        Kernels.rmsNorm(x.b(), y.b(), ps.p(g).b(), st[0], rows, d, EPS);
        ps.tick("f.norm");
    }

    @Override
    public void backward(Pass ps, Buf x, Buf dy, Buf dx, float[][] st, int rows) {
        Kernels.rmsNormBackward(x.b(), dy.b(), ps.p(g).b(), dx.b(), ps.g(g).b(), st[0], rows, d);
        ps.tick("b.norm");
    }

    @Override
    public SDVariable emit(Graph gr, SDVariable x) {
        int axis = 2;   // x is (B, T, dModel)
        SDVariable ms = x.mul(x).mean(true, axis);
        return x.mul(gr.sd.math.rsqrt(ms.add(EPS))).mul(gr.var(g));
    }
}
