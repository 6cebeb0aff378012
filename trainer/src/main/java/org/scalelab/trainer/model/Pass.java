package org.scalelab.trainer.model;

import org.scalelab.trainer.kernels.Blas;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Sections;

/**
 * What the host forward and backward passes of the layers share for one micro-batch of B sequences of T
 * tokens (N = B·T rows): the parameters' host buffers and their gradient buffers (none for a pass that
 * only evaluates), the matrix products, the options and the section timer.
 */
public final class Pass {

    /**
     * @param attentionBlockRows rows per block of the causal attention products: row block r only needs the
     *                           columns up to its own end, so with T/rows blocks the (T, T) products cost
     *                           (1 + … + k)/k² of the full ones (3/4 for two blocks). Used when T is a multiple
     *                           of it and larger; 0 turns blocks off
     * @param splitWork          multiply-adds from which a product is split over the kernel threads
     *                           ({@code -Dscalelab.gemmSplitWork=N}, for measuring)
     * @param sections           the section timer ({@link Sections#OFF}: none)
     */
    public record Options(int attentionBlockRows, long splitWork, Sections sections) {
        public static Options defaults() {
            return new Options(64, Math.max(1, Long.getLong("scalelab.gemmSplitWork", 1L << 20)), Sections.OFF);
        }

        public Options withSections(Sections s) { return new Options(attentionBlockRows, splitWork, s); }
    }

    public final int B, T, N;
    final Blas blas;
    final Options options;
    private final Buf[] params, grads;

    Pass(int B, int T, Buf[] params, Buf[] grads, Options options) {
        this.B = B;
        this.T = T;
        this.N = B * T;
        this.params = params;
        this.grads = grads;
        this.options = options;
        this.blas = new Blas(options.splitWork());
    }

    Buf p(ParamLayout.Tensor t) { return params[t.index()]; }

    /** The gradient buffer of {@code t}, or null when this pass does not differentiate. */
    Buf g(ParamLayout.Tensor t) { return grads == null ? null : grads[t.index()]; }

    void tick(String section) { options.sections().tick(section); }
}
