package org.scalelab.trainer.run;

import org.scalelab.trainer.*;

import org.scalelab.datasets.TokenSource;


/**
 * A batch of B windows of nCtx+1 consecutive tokens: inputs are tokens [0, nCtx), targets [1, nCtx].
 * Windows start at positions drawn from the trainer's RNG, so the data order is part of the
 * checkpointed state.
 */
public final class Batch {
    public final int[] inputs;   // (B·T) token ids, row-major by sequence
    public final int[] targets;  // (B·T)
    public final int batch, ctx;

    public Batch(int[] inputs, int[] targets, int batch, int ctx) {
        this.inputs = inputs;
        this.targets = targets;
        this.batch = batch;
        this.ctx = ctx;
    }

    /** Draws B windows uniformly from {@code src} (each start in [0, size − nCtx − 1]). */
    public static Batch sample(TokenSource src, int batch, int ctx, Rng rng) {
        long positions = src.size() - ctx;
        if (positions < 1) throw new IllegalArgumentException("source shorter than nCtx+1");
        long[] starts = new long[batch];
        for (int b = 0; b < batch; b++) starts[b] = rng.nextLong(positions);
        return at(src, starts, ctx);
    }

    /** Windows starting at the given positions. */
    public static Batch at(TokenSource src, long[] starts, int ctx) {
        int batch = starts.length;
        int[] in = new int[batch * ctx], out = new int[batch * ctx];
        int[] win = new int[ctx + 1];
        for (int b = 0; b < batch; b++) {
            src.read(starts[b], win, 0, ctx + 1);
            System.arraycopy(win, 0, in, b * ctx, ctx);
            System.arraycopy(win, 1, out, b * ctx, ctx);
        }
        return new Batch(in, out, batch, ctx);
    }
}
