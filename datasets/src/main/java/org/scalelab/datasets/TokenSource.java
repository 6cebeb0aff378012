package org.scalelab.datasets;

/** A read-only sequence of token ids, in memory or memory-mapped. */
public interface TokenSource {
    /** Number of tokens. */
    long size();

    /** The token at position {@code i}, 0 ≤ i &lt; size(). */
    int get(long i);

    /**
     * Whether the tokens are generated on demand from a source that does not run out ({@code synthetic:v2}):
     * {@link #size()} is then a nominal 2^40 and no run reads a token twice, so a run's unique tokens are
     * the tokens it trains on. False for stored and in-memory tokens.
     */
    default boolean unbounded() {
        return false;
    }

    /** Copies tokens [from, from + len) into {@code dst[off …]}. */
    default void read(long from, int[] dst, int off, int len) {
        for (int k = 0; k < len; k++) dst[off + k] = get(from + k);
    }

    /** An in-memory source over {@code ids[from, to)} (no copy). */
    static TokenSource of(int[] ids, int from, int to) {
        if (from < 0 || to > ids.length || from > to) throw new IndexOutOfBoundsException(from + ".." + to);
        return new TokenSource() {
            @Override public long size() { return to - from; }
            @Override public int get(long i) { return ids[from + (int) i]; }
            @Override public void read(long start, int[] dst, int off, int len) {
                System.arraycopy(ids, from + (int) start, dst, off, len);
            }
        };
    }

    static TokenSource of(int[] ids) {
        return of(ids, 0, ids.length);
    }
}
