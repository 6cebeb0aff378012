package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/** y = x·W (+ b): x (rows, in), W (in, out), b (out). */
final class Linear {
    final ParamLayout.Tensor w, b;   // b null without biases
    final int in, out;

    Linear(ParamLayout layout, String name, int in, int out, boolean bias, double std, ParamLayout.Role role) {
        this.in = in;
        this.out = out;
        this.w = layout.add(name + ".w", ParamLayout.Init.NORMAL, std, role, in, out);
        this.b = bias ? layout.add(name + ".b", ParamLayout.Init.ZEROS, 0, ParamLayout.Role.LINEAR_BIAS, out) : null;
    }

    void forward(Pass ps, Buf x, Buf y, int rows) {
        ps.blas.gemm(false, false, rows, out, in, 1, x, 0, in, ps.p(w), 0, out, 0, y, 0, out);
        ps.tick("f.gemm");
        if (b != null) Kernels.addBias(y.b(), ps.p(b).b(), rows, out);
        ps.tick("f.bias");
    }

    /** dW += xᵀ·dy, db += Σ dy, dx = dy·Wᵀ (overwritten). */
    void backward(Pass ps, Buf x, Buf dy, Buf dx, int rows) {
        ps.tick(null);
        ps.blas.gemm(true, false, in, out, rows, 1, x, 0, in, dy, 0, out, 1, ps.g(w), 0, out);
        ps.tick("b.gemm.dW");
        if (b != null) Kernels.sumRows(dy.b(), ps.g(b).b(), rows, out);
        ps.tick("b.bias");
        ps.blas.gemm(false, true, rows, in, out, 1, dy, 0, out, ps.p(w), 0, out, 0, dx, 0, in);
        ps.tick("b.gemm.dx");
    }

    /** x (rows, in) → (rows, out). */
    SDVariable emit(Graph g, SDVariable x) {
        SDVariable y = g.sd.mmul(x, g.var(w));
        return b == null ? y : y.add(g.var(b));
    }
}
