package org.scalelab.trainer.engine;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.InferenceSession;
import org.nd4j.autodiff.samediff.internal.memory.AbstractMemoryMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.LongShapeDescriptor;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A per-step arena for SameDiff's op outputs. In SameDiff 1.0.0-M2.1 a training step allocates a
 * fresh off-heap array for every op output (hundreds per step) and releases almost none, leaving them
 * to the garbage collector: allocation and page clearing dominated the step and resident memory grew to
 * gigabytes. The arena hands out arrays by (type, shape, order) and takes every array of a step back
 * when {@link #reset()} starts the next one, so that from the second step on nothing is allocated.
 *
 * <p>Safe because a step recomputes every intermediate: nothing allocated during step k is read after
 * step k+1 begins, as long as callers consume a step's outputs and gradients before the next reset
 * (TrainStep does).
 */
public final class StepArena extends AbstractMemoryMgr {
    private final Map<String, ArrayDeque<INDArray>> free = new HashMap<>();
    private final List<INDArray> used = new ArrayList<>();

    /** Makes every array handed out since the last reset available again. */
    void reset() {
        for (INDArray a : used) free.computeIfAbsent(key(a.dataType(), a.shape(), a.ordering()), k -> new ArrayDeque<>()).add(a);
        used.clear();
    }

    private static String key(DataType dt, long[] shape, char order) {
        return dt.name() + Arrays.toString(shape) + order;
    }

    private INDArray take(DataType dt, long[] shape, char order) {
        ArrayDeque<INDArray> q = free.get(key(dt, shape, order));
        INDArray a = q == null || q.isEmpty() ? Nd4j.createUninitializedDetached(dt, order, shape) : q.poll();
        used.add(a);
        return a;
    }

    @Override
    public INDArray allocate(boolean detached, DataType dataType, long... shape) {
        return take(dataType, shape, 'c');
    }

    @Override
    public INDArray allocate(boolean detached, LongShapeDescriptor d) {
        if (d.isEmpty()) return Nd4j.create(d);
        return take(d.dataType(), d.getShape(), d.getOrder());
    }

    @Override
    public void release(INDArray array) {
        // kept until reset(): the step may still hold views of it
    }

    @Override
    public void close() {
        free.clear();
        used.clear();
    }

    /** Arenas installed in the sessions of a graph and of its gradient function. */
    public static final class Installed {
        private final Map<InferenceSession, StepArena> arenas = new IdentityHashMap<>();

        /** Puts an arena into every session not yet having one (sessions appear on first use, per thread). */
        public void cover(SameDiff sd) {
            List<InferenceSession> sessions = new ArrayList<>(sd.getSessions().values());
            SameDiff grad = sd.getFunction("grad");
            if (grad != null) sessions.addAll(grad.getSessions().values());
            for (InferenceSession s : sessions) {
                if (!arenas.containsKey(s)) {
                    StepArena a = new StepArena();
                    s.setMmgr(a);
                    arenas.put(s, a);
                }
            }
        }

        public void reset() {
            for (StepArena a : arenas.values()) a.reset();
        }
    }
}
