package org.scalelab.scaling.report;

import java.util.Collection;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The exact loss floor the drawn runs share, for a dashed horizontal line on the loss-vs-N and loss-vs-C
 * charts. The synthetic corpus knows its Bayes-optimal loss exactly and results.csv records it per run:
 * {@code loss_floor_ctx}, the floor given only the n_ctx tokens a model sees, and {@code loss_floor}, the
 * floor with the whole document as context (never above the first). The line is
 * <ul>
 * <li>{@code loss_floor_ctx} when every drawn run records the same one ("exact floor 1.175");</li>
 * <li>else {@code loss_floor} when every run records the same one (runs at different context lengths share
 * the corpus but not their context floors): "exact floor 1.143 (full context; …)";</li>
 * <li>else none, with {@link #note} saying why, when some run records a floor; nothing at all when no run
 * does (a corpus without a known floor).</li>
 * </ul>
 * Runs that record no floor (not finished yet) are left out when they share a corpus ({@code corpus})
 * with runs that do. Two floors are the same when they agree to a relative 1e-9.
 *
 * @param loss  the floor drawn, NaN when none is
 * @param label the line's legend entry, null when none is drawn
 * @param note  why none is drawn, or null
 */
record ExactFloor(double loss, String label, String note) {
    static final double SAME = 1e-9;

    boolean drawn() {
        return Double.isFinite(loss);
    }

    /**
     * The floor of these runs, or null when none of them records one. A run without a floor (one not yet
     * finished) counts only when its {@code corpus} differs from every run's that has one: that floor is
     * not its floor.
     */
    static ExactFloor of(Collection<SweepData.Run> all) {
        java.util.List<SweepData.Run> runs = all.stream().filter(ExactFloor::records).toList();
        java.util.Set<String> corpora = runs.stream().map(r -> r.row().getOrDefault("corpus", "")).collect(java.util.stream.Collectors.toSet());
        boolean foreign = all.stream().anyMatch(r -> !records(r) && !corpora.contains(r.row().getOrDefault("corpus", "")));
        if (runs.isEmpty()) return null;
        if (foreign) return new ExactFloor(Double.NaN, null, "no exact floor: only some runs' corpora have one");
        double[] ctx = range(runs, "loss_floor_ctx"), full = range(runs, "loss_floor");
        if (ctx == null && full == null) return null;
        if (ctx != null && ctx[2] == runs.size() && same(ctx)) {
            return new ExactFloor(ctx[0], String.format(Locale.ROOT, "exact floor %.3f", ctx[0]), null);
        }
        if (full != null && full[2] == runs.size() && same(full)) {
            String why = ctx == null || ctx[2] < runs.size() ? "not every run records its context-length floor"
                    : String.format(Locale.ROOT, "the runs' floors at their context lengths differ, %.3f to %.3f", ctx[0], ctx[1]);
            return new ExactFloor(full[0], String.format(Locale.ROOT, "exact floor %.3f (full context; %s)", full[0], why), null);
        }
        double[] r = full != null && full[2] == runs.size() ? full : ctx != null && ctx[2] == runs.size() ? ctx : null;
        String note = r == null ? "no exact floor: the runs record different kinds of floor"
                : String.format(Locale.ROOT, "no exact floor: the runs' floors differ, %.3f to %.3f", r[0], r[1]);
        return new ExactFloor(Double.NaN, null, note);
    }

    private static boolean records(SweepData.Run r) {
        return r.num("loss_floor_ctx").orElse(0) > 0 || r.num("loss_floor").orElse(0) > 0;
    }

    /** {min, max, number of runs recording it} of a column over the runs; null when no run records it. */
    private static double[] range(Collection<SweepData.Run> runs, String column) {
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        int n = 0;
        for (SweepData.Run r : runs) {
            OptionalDouble v = r.num(column);
            if (v.isEmpty() || !(v.getAsDouble() > 0)) continue;
            lo = Math.min(lo, v.getAsDouble());
            hi = Math.max(hi, v.getAsDouble());
            n++;
        }
        return n == 0 ? null : new double[]{lo, hi, n};
    }

    private static boolean same(double[] r) {
        return r[1] - r[0] <= SAME * r[1];
    }
}
