package org.scalelab.datasets;

import java.util.SplittableRandom;

/**
 * The training tokens a run with a token budget D sees: the training split cut into blocks of
 * {@code block} tokens, the whole blocks put in a fixed order by a seeded shuffle (the partial last
 * block, if any, stays last), and the first D tokens of that order. The order does not depend on D,
 * so a smaller budget's tokens are the start of a larger one's: data-size sweeps are nested, and a
 * small budget still samples the whole corpus rather than its first pages.
 *
 * <p>Seams: positions are contiguous in the shuffled order, so a window of nCtx+1 tokens that starts
 * fewer than nCtx tokens before the end of a block runs on into the next block of the order, which
 * comes from elsewhere in the corpus. Such a window holds one artificial transition (like a document
 * boundary without its separator); a uniformly drawn window crosses a seam with probability about
 * nCtx/block (1.6% at nCtx = 64 with 4,096-token blocks, 6% at nCtx = 256).
 */
final class BlockShuffle implements TokenSource {
    private final TokenSource base;
    private final long size;
    private final int block;
    private final long fullBlocks;
    private final int[] order; // position in the shuffled order → block index in base

    BlockShuffle(TokenSource base, long budget, long seed, int block) {
        if (budget < 0 || budget > base.size()) throw new IllegalArgumentException("budget " + budget + " of " + base.size());
        if (base.size() / block > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("too many blocks");
        this.base = base;
        this.size = budget;
        this.block = block;
        this.fullBlocks = base.size() / block;
        this.order = permutation((int) fullBlocks, seed);
    }

    /** A Fisher–Yates shuffle of 0 … n−1 from the seed. */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Where shuffled position {@code i} lies in the base source. */
    long map(long i) {
        long b = i / block;
        long off = i % block;
        return b < fullBlocks ? (long) order[(int) b] * block + off : fullBlocks * block + off;
    }

    @Override public long size() { return size; }

    @Override
    public int get(long i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i + " of " + size);
        return base.get(map(i));
    }

    @Override
    public void read(long from, int[] dst, int off, int len) {
        if (from < 0 || len < 0 || from + len > size) throw new IndexOutOfBoundsException(from + "+" + len + " of " + size);
        while (len > 0) {
            int n = (int) Math.min(len, block - from % block); // the rest of this block
            base.read(map(from), dst, off, n);
            from += n;
            off += n;
            len -= n;
        }
    }
}
