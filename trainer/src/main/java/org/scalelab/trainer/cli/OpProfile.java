package org.scalelab.trainer.cli;


import org.nd4j.autodiff.listeners.At;
import org.nd4j.autodiff.listeners.BaseListener;
import org.nd4j.autodiff.listeners.Operation;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.internal.SameDiffOp;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.dataset.api.MultiDataSet;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Wall time per op type and output shape, summed over the steps it listens to ({@code bench --profile}).
 * The time between two ops (the session's own work) is summed separately as "session".
 */
final class OpProfile extends BaseListener {
    private final Map<String, long[]> byOp = new HashMap<>();  // key → {nanos, count}
    private long start, lastEnd;

    @Override
    public boolean isActive(Operation operation) { return true; }

    @Override
    public void preOpExecution(SameDiff sd, At at, SameDiffOp op, OpContext ctx) {
        start = System.nanoTime();
        if (lastEnd != 0) add("(session, between ops)", start - lastEnd);
    }

    @Override
    public void opExecution(SameDiff sd, At at, MultiDataSet batch, SameDiffOp op, OpContext ctx, INDArray[] outputs) {
        lastEnd = System.nanoTime();
        String shape = outputs.length > 0 && outputs[0] != null ? Arrays.toString(outputs[0].shape()) : "";
        add(op.getOp().opName() + " " + shape, lastEnd - start);
    }

    /** Forgets the gap between the last op of one step and the first of the next. */
    void stepBoundary() { lastEnd = 0; }

    private void add(String key, long nanos) {
        long[] a = byOp.computeIfAbsent(key, k -> new long[2]);
        a[0] += nanos;
        a[1]++;
    }

    /** Lines "ms/step count/step op shape", largest first. */
    String report(int steps) {
        StringBuilder sb = new StringBuilder();
        long total = byOp.values().stream().mapToLong(a -> a[0]).sum();
        sb.append(String.format("%9.1f ms/step in total%n", total / 1e6 / steps));
        byOp.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0])).limit(40)
                .forEach(e -> sb.append(String.format("%9.2f %5d  %s%n", e.getValue()[0] / 1e6 / steps,
                        e.getValue()[1] / steps, e.getKey())));
        return sb.toString();
    }
}
