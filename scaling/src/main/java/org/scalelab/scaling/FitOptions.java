package org.scalelab.scaling;

import org.scalelab.scaling.fit.Hyperparameters;

import java.util.List;

/**
 * What {@link Fits#fitAll} fits and how. Immutable: each {@code withX} returns a changed copy.
 *
 * @param laws            {@code --laws} keys to fit (n, n+e, d, d+e, c, c+e, nd, ns, chinchilla, and the analyses
 *                        approach1, approach2, batch, hyper); null fits every
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
 * @param hyperMargin     the hyperparameter fit's near-optimal region per budget: loss ≤ min·(1 + margin);
 *                        0.0025 by default, DeepSeek LLM's 0.25% (Bi et al. 2024, §3.1)
 */
public record FitOptions(List<String> laws, int bootstrap, long seed, int holdout, double huberDelta, double level,
                         int replicateStarts, boolean curves, Columns columns, double hyperMargin) {

    /** Hoffmann et al.'s Huber δ for approach 3. */
    public static final double CHINCHILLA_HUBER = 1e-3;

    /**
     * Column names; a null entry takes its default: N → {@code N}, D → {@code D}, C → {@code C} (else
     * 6·N·D), loss → {@code best_val_loss} if the table has it, else {@code final_val_loss}, else
     * {@code loss}; batch (tokens per step) → {@code tokens_per_step}, else batch_size·n_ctx; steps →
     * {@code steps_done}, else {@code steps}; weight → all 1; lr (peak learning rate) → {@code lr}.
     */
    public record Columns(String n, String d, String c, String loss, String batch, String steps, String weight, String lr) {
        /** Without a learning-rate column name (the default, {@code lr}). */
        public Columns(String n, String d, String c, String loss, String batch, String steps, String weight) {
            this(n, d, c, loss, batch, steps, weight, null);
        }

        public static Columns defaults() {
            return new Columns(null, null, null, null, null, null, null, null);
        }
    }

    public FitOptions {
        if (bootstrap < 0) throw new ScalingError("--bootstrap must be 0 or more, got " + bootstrap);
        if (holdout < 0) throw new ScalingError("--holdout must be 0 or more, got " + holdout);
        if (!(huberDelta >= 0) || Double.isInfinite(huberDelta)) throw new ScalingError("--huber must be a number ≥ 0, got " + huberDelta);
        if (!(level > 0 && level < 1)) throw new ScalingError("interval level must lie in (0, 1), got " + level);
        if (replicateStarts < 1) throw new ScalingError("replicate starts must be 1 or more, got " + replicateStarts);
        if (!(hyperMargin >= 0) || Double.isInfinite(hyperMargin)) throw new ScalingError("--hyper-margin must be a number ≥ 0, got " + hyperMargin);
        laws = laws == null ? null : List.copyOf(laws);
        columns = columns == null ? Columns.defaults() : columns;
    }

    /** With DeepSeek's near-optimal margin for the hyperparameter fit. */
    public FitOptions(List<String> laws, int bootstrap, long seed, int holdout, double huberDelta, double level,
                      int replicateStarts, boolean curves, Columns columns) {
        this(laws, bootstrap, seed, holdout, huberDelta, level, replicateStarts, curves, columns, DEFAULT_HYPER_MARGIN);
    }

    /** DeepSeek LLM's near-optimal margin, 0.25% of the lowest loss at a budget. */
    public static final double DEFAULT_HYPER_MARGIN = Hyperparameters.MARGIN;

    /** Every supported law, 1000 bootstraps, seed 1, the 2 largest runs held out, least squares, curves on. */
    public static FitOptions defaults() {
        return new FitOptions(null, 1000, 1, 2, 0, 0.95, 8, true, Columns.defaults(), DEFAULT_HYPER_MARGIN);
    }

    public FitOptions withLaws(List<String> l) { return new FitOptions(l, bootstrap, seed, holdout, huberDelta, level, replicateStarts, curves, columns, hyperMargin); }
    public FitOptions withBootstrap(int b) { return new FitOptions(laws, b, seed, holdout, huberDelta, level, replicateStarts, curves, columns, hyperMargin); }
    public FitOptions withSeed(long s) { return new FitOptions(laws, bootstrap, s, holdout, huberDelta, level, replicateStarts, curves, columns, hyperMargin); }
    public FitOptions withHoldout(int k) { return new FitOptions(laws, bootstrap, seed, k, huberDelta, level, replicateStarts, curves, columns, hyperMargin); }
    public FitOptions withHuber(double d) { return new FitOptions(laws, bootstrap, seed, holdout, d, level, replicateStarts, curves, columns, hyperMargin); }
    public FitOptions withCurves(boolean c) { return new FitOptions(laws, bootstrap, seed, holdout, huberDelta, level, replicateStarts, c, columns, hyperMargin); }
    public FitOptions withColumns(Columns c) { return new FitOptions(laws, bootstrap, seed, holdout, huberDelta, level, replicateStarts, curves, c, hyperMargin); }
    public FitOptions withHyperMargin(double m) { return new FitOptions(laws, bootstrap, seed, holdout, huberDelta, level, replicateStarts, curves, columns, m); }
}
