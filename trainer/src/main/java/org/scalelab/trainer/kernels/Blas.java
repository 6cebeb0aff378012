package org.scalelab.trainer.kernels;

import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products on row-major {@link Buf}s through {@code cblas_sgemm} of the OpenBLAS that ND4J's CPU
 * backend loads. With {@link #OWN_THREADS} a large product is split into row blocks of C, one per kernel
 * thread, each a single-threaded BLAS call: every element of C is still computed by one call, so the
 * result does not depend on timing.
 */
public final class Blas {
    private static final int ROW = 101, NO = 111, TR = 112;   // CBLAS_ORDER / CBLAS_TRANSPOSE values

    /**
     * Whether products run BLAS single-threaded and spread the work over {@link Kernels}' threads
     * themselves rather than letting OpenBLAS thread each call. OpenBLAS's workers spin for a while after
     * every threaded call, on the core the element-wise loops' second thread needs; with one BLAS thread
     * there are no workers. {@code -Dscalelab.blasThreads=true} restores threaded BLAS calls (for
     * comparison in {@code bench}).
     */
    public static final boolean OWN_THREADS = !Boolean.getBoolean("scalelab.blasThreads") && Kernels.THREADS > 1;

    /** Multiply-adds from which a product is split over the kernel threads ({@code 1} splits every product). */
    private final long splitWork;

    public Blas(long splitWork) {
        this.splitWork = Math.max(1, splitWork);
    }

    /** C = α·op(A)·op(B) + β·C on blocks at the given element offsets, split over the kernel threads when large. */
    public void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, Buf a, long ao, int lda,
                     Buf b, long bo, int ldb, float beta, Buf c, long co, int ldc) {
        int parts = OWN_THREADS ? (int) Math.min(Kernels.THREADS, Math.max(1, (long) m * n * k / splitWork)) : 1;
        parts = Math.min(parts, Math.max(1, m / 4));
        if (parts <= 1) {
            gemm1(ta, tb, m, n, k, alpha, a, ao, lda, b, bo, ldb, beta, c, co, ldc);
            return;
        }
        int ps = parts;
        Kernels.parallel(ps, p -> {
            int r0 = (int) ((long) m * p / ps), r1 = (int) ((long) m * (p + 1) / ps);
            // rows r0… of op(A): rows of A, or columns of A when it is transposed
            gemm1(ta, tb, r1 - r0, n, k, alpha, a, ao + (ta ? r0 : (long) r0 * lda), lda, b, bo, ldb, beta, c, co + (long) r0 * ldc, ldc);
        });
    }

    /** One BLAS call. */
    public static void gemm1(boolean ta, boolean tb, int m, int n, int k, float alpha, Buf a, long ao, int lda,
                             Buf b, long bo, int ldb, float beta, Buf c, long co, int ldc) {
        openblas_nolapack.cblas_sgemm(ROW, ta ? TR : NO, tb ? TR : NO, m, n, k, alpha, a.at(ao), lda, b.at(bo), ldb,
                beta, c.at(co), ldc);
    }

    /**
     * Sets OpenBLAS's thread count (process-wide) and returns the previous one. With {@link #OWN_THREADS}
     * the CPU engine sets one thread for the rest of the process and leaves it there: switching back and
     * forth around each step cost more than it saved (about 0.3 ms a switch, and the woken BLAS workers
     * spin into the next step: 39 k instead of 50 k tokens/s on (2,64,2,64,16,256)).
     */
    public static int threads(int n) {
        org.nd4j.linalg.api.blas.Blas blas = Nd4j.factory().blas();
        int prev = blas.getMaxThreads();
        if (prev != n) blas.setMaxThreads(n);
        return prev;
    }
}
