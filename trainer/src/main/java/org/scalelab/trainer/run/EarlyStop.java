package org.scalelab.trainer.run;

/**
 * Early stopping on the validation curve: a run stops once {@code patience} evaluations in a row have not
 * improved on the best value of the watched curve, which is the losses themselves ({@code beta} 0) or
 * their exponential moving average s ← β·s + (1 − β)·loss, started at the first loss. Smoothing keeps one
 * lucky evaluation from stopping a run that is still improving, and one unlucky one from resetting the count.
 */
public final class EarlyStop {
    private final int patience;
    private final double beta;
    private double smoothed, best;
    private int since;

    /** {@code patience} 0 never stops; {@code smoothed}, {@code best} and {@code since} as a checkpoint kept them (NaN, NaN, 0 at the start). */
    public EarlyStop(int patience, double beta, double smoothed, double best, int since) {
        this.patience = patience;
        this.beta = beta;
        this.smoothed = smoothed;
        this.best = best;
        this.since = since;
    }

    /** Takes one evaluation's loss; true when the run should stop now. */
    public boolean observe(double loss) {
        double watched = loss;
        if (beta > 0) watched = smoothed = Double.isNaN(smoothed) ? loss : beta * smoothed + (1 - beta) * loss;
        if (Double.isNaN(best) || watched < best) {
            best = watched;
            since = 0;
        } else {
            since++;
        }
        return patience > 0 && since >= patience;
    }

    public double smoothed() {
        return smoothed;
    }

    public double best() {
        return best;
    }

    /** Evaluations since the watched curve last improved. */
    public int since() {
        return since;
    }
}
