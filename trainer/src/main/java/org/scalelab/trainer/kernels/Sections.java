package org.scalelab.trainer.kernels;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Time per named section of a pass ({@code bench --profile}); {@link #OFF} records nothing. One instance
 * per engine, used from its calling thread only.
 */
public class Sections {
    /** Records nothing (the default). */
    public static final Sections OFF = new Sections() {
        @Override public void tick(String section) {}
    };

    private final Map<String, long[]> times = new TreeMap<>();
    private long mark;

    /** Ends the current section under {@code section} (null: discard the time since the last tick). */
    public void tick(String section) {
        long now = System.nanoTime();
        if (section != null) times.computeIfAbsent(section, k -> new long[1])[0] += now - mark;
        mark = now;
    }

    /** Returns and clears the section timings (ms per section). */
    public Map<String, Double> drain() {
        Map<String, Double> r = new LinkedHashMap<>();
        times.forEach((k, v) -> r.put(k, v[0] / 1e6));
        times.clear();
        return r;
    }
}
