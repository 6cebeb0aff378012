package org.scalelab.scaling;

import java.util.List;

/**
 * What {@link Fits#fitAll} fits and how. Immutable: each {@code withX} returns a changed copy.
 *
 * @param laws            {@code --laws} keys to fit (n, n+e, d, d+e, c, c+e, nd, ns, chinchilla); null fits every
 *                        law the table supports and skips the rest with the reason
 * @param bootstrap       bootstrap replicates over runs for every interval (0: none); 1000 by default
 * @param seed            seed of the bootstrap draws: the same seed gives the same intervals
 * @param holdout         k: refit each law without the k largest runs and report its error on them (0: none)
 * @param huberDelta      Huber δ on log-loss residuals for every law but Chinchilla's (0: least squares);
 *                        approach 3 always uses Hoffmann et al.'s δ = 1e-3
 * @param level           interval coverage (0.95)
 * @param replicateStarts starts per bootstrap replicate: the best distinct end points of the full grid (8)
 * @param curves          also run what the learning curves support: compute frontier, approach 1, critical batch
 * @param columns         which column holds what
 */
public record FitOptions(List<String> laws, int bootstrap, long seed, int holdout, double huberDelta, double level,
                         int replicateStarts, boolean curves, Columns columns) {

    /** Hoffmann et al.'s Huber δ for approach 3. */
    public static final double CHINCHILLA_HUBER = 1e-3;

    /**
     * Column names; a null entry takes its default: N → {@code N}, D → {@code D}, C → {@code C} (else
     * 6·N·D), loss → {@code best_val_loss} if the table has it, else {@code final_val_loss}, else
     * {@code loss}; batch (tokens per step) → {@code tokens_per_step}, else batch_size·n_ctx; steps →
     * {@code steps_done}, else {@code steps}; weight → all 1.
     */
    public record Columns(String n, String d, String c, String loss, String batch, String steps, String weight) {
        public static Columns defaults() {
            return new Columns(null, null, null, null, null, null, null);
        }
    }

    public FitOptions {
        if (bootstrap < 0) throw new ScalingError("--bootstrap must be 0 or more, got " + bootstrap);
        if (holdout < 0) throw new ScalingError("--holdout must be 0 or more, got " + holdout);
        if (!(huberDelta >= 0) || Double.isInfinite(huberDelta)) throw new ScalingError("--huber must be a number ≥ 0, got " + huberDelta);
        if (!(level > 0 && level < 1)) throw new ScalingError("interval level must lie in (0, 1), got " + level);
        if (replicateStarts < 1) throw new ScalingError("replicate starts must be 1 or more, got " + replicateStarts);
        laws = laws == null ? null : List.copyOf(laws);
        columns = columns == null ? Columns.defaults() : columns;
    }

    /** Every supported law, 1000 bootstraps, seed 1, the 2 largest runs held out, least squares, curves on. */
    public static FitOptions defaults() {
        return new FitOptions(null, 1000, 1, 2, 0, 0.95, 8, true, Columns.defaults());
    }

    public FitOptions withLaws(List<String> l) { return new FitOptions(l, bootstrap, seed, holdout, huberDelta, level, replicateStarts, curves, columns); }
    public FitOptions withBootstrap(int b) { return new FitOptions(laws, b, seed, holdout, huberDelta, level, replicateStarts, curves, columns); }
    public FitOptions withSeed(long s) { return new FitOptions(laws, bootstrap, s, holdout, huberDelta, level, replicateStarts, curves, columns); }
    public FitOptions withHoldout(int k) { return new FitOptions(laws, bootstrap, seed, k, huberDelta, level, replicateStarts, curves, columns); }
    public FitOptions withHuber(double d) { return new FitOptions(laws, bootstrap, seed, holdout, d, level, replicateStarts, curves, columns); }
    public FitOptions withCurves(boolean c) { return new FitOptions(laws, bootstrap, seed, holdout, huberDelta, level, replicateStarts, c, columns); }
    public FitOptions withColumns(Columns c) { return new FitOptions(laws, bootstrap, seed, holdout, huberDelta, level, replicateStarts, curves, c); }
}
