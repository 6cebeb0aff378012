package org.scalelab.trainer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.datasets.TokenSource;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;

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

    /** One-hot matrix (ids.length, vocab) in the given type. */
    public static INDArray oneHot(int[] ids, int vocab, DataType dtype) {
        INDArray a = Nd4j.zeros(dtype, ids.length, vocab);
        fillOneHot(a, null, ids, vocab);
        return a;
    }

    /**
     * Rewrites a reusable one-hot matrix in place: clears the ones of {@code previous} (may be null)
     * and sets those of {@code ids}, O(B·T) instead of O(B·T·V).
     */
    public static void fillOneHot(INDArray a, int[] previous, int[] ids, int vocab) {
        if (a.dataType() == DataType.DOUBLE) {
            DoubleBuffer buf = a.data().asNioDouble();
            if (previous != null) for (int i = 0; i < previous.length; i++) buf.put(i * vocab + previous[i], 0.0);
            for (int i = 0; i < ids.length; i++) buf.put(i * vocab + ids[i], 1.0);
        } else {
            FloatBuffer buf = a.data().asNioFloat();
            if (previous != null) for (int i = 0; i < previous.length; i++) buf.put(i * vocab + previous[i], 0f);
            for (int i = 0; i < ids.length; i++) buf.put(i * vocab + ids[i], 1f);
        }
        TrainStep.wroteOnHost(a);
    }
}
