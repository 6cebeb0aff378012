package org.scalelab.scaling.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * A bounded sample of a run's training steps, taken while metrics.jsonl streams past, so that a sweep
 * of long runs costs a few hundred steps per run in memory and in the page. Two grids make it up: every
 * k-th line, k doubling whenever more than {@link #EVEN} lines are held (evenly spread in step, for
 * linear axes), and the first line of each of {@link #PER_E_FOLD} buckets per e-fold of the step (for
 * log axes, where the early steps take most of the width); plus the last line. Up to 10⁷ steps that is
 * at most {@link #MAX} points.
 */
final class StepSample<T> {
    static final int EVEN = 300;        // lines held on the even grid before it thins by half (so 150..300)
    static final int PER_E_FOLD = 12;   // log buckets per factor e of the step: about 28 per decade
    /** The most points a run of up to 10⁷ steps keeps: the even grid, the log buckets and the last line. */
    static final int MAX = EVEN + PER_E_FOLD * 17 + 2;

    /** A held line and its position among the lines added. */
    private record Held<T>(long line, T item) {}

    private final ToLongFunction<T> stepOf;
    private final List<Held<T>> even = new ArrayList<>();
    private final TreeMap<Integer, Held<T>> firstInBucket = new TreeMap<>();
    private long stride = 1, seen;
    private Held<T> last;

    /** {@code stepOf}: the training step of a line, which places it in its log bucket. */
    StepSample(ToLongFunction<T> stepOf) {
        this.stepOf = stepOf;
    }

    void add(T s) {
        Held<T> h = new Held<>(seen, s);
        if (seen++ % stride == 0) {
            even.add(h);
            if (even.size() > EVEN) {
                // keep the lines at multiples of 2·stride: positions 0, 2, 4, … of what is held
                int w = 0;
                for (int i = 0; i < even.size(); i += 2) even.set(w++, even.get(i));
                even.subList(w, even.size()).clear();
                stride *= 2;
            }
        }
        long step = stepOf.applyAsLong(s);
        int bucket = step <= 0 ? -1 : (int) Math.floor(Math.log(step) * PER_E_FOLD);
        firstInBucket.putIfAbsent(bucket, h);
        last = h;
    }

    /** The sampled lines in the order they were added, each once. */
    List<T> points() {
        List<Held<T>> all = new ArrayList<>(even);
        all.addAll(firstInBucket.values());
        if (last != null) all.add(last);
        all.sort(Comparator.comparingLong(Held::line));
        List<T> out = new ArrayList<>();
        long prev = -1;
        for (Held<T> h : all) {
            if (h.line() != prev) out.add(h.item());
            prev = h.line();
        }
        return out;
    }
}
