package org.scalelab.scaling;

import org.scalelab.scaling.fit.Allocation;
import org.scalelab.scaling.fit.ComputeOptimal;
import org.scalelab.scaling.fit.CriticalBatch;
import org.scalelab.scaling.fit.Fitter;
import org.scalelab.scaling.fit.Holdout;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@link Fits#fitAll} found: each fitted law with its intervals, held-out error and
 * allocation, Chinchilla approaches 1 and 2, the critical batch size, the hyperparameter laws, and what
 * was skipped and why.
 * {@link #toJson()} is the content of fits.json; {@link #table()} the readable version.
 *
 * @param source          the table fitted
 * @param lossColumn      the column the losses came from
 * @param rows            finished runs (status done) in the table
 * @param otherStatuses   rows left out, by status
 * @param laws            the fitted laws, in {@code --laws} order
 * @param computeOptimal  approaches 1 and 2, where the runs support them
 * @param criticalBatch   the critical batch size fit, or null
 * @param hyperparameters lr_opt(C) and B_opt(C) from the near-optimal runs of each budget, or null
 * @param skipped         what was not fitted, each with its reason
 * @param options         the options used (recorded in fits.json)
 * @param seconds         wall time of the whole fit
 */
public record FitReport(String source, String lossColumn, int rows, Map<String, Integer> otherStatuses, List<LawFit> laws,
                        List<ComputeOptimal.Result> computeOptimal, CriticalBatch.Result criticalBatch,
                        Fits.Hyper hyperparameters, List<String> skipped,
                        FitOptions options, double seconds) {

    /**
     * One fitted law.
     *
     * @param fit         parameters, intervals, goodness of fit, replicates
     * @param pointsFrom  which runs (or frontier points) it was fitted to
     * @param huberDelta  Huber δ used (0: least squares)
     * @param holdout     the held-out extrapolation, or null
     * @param holdoutNote why there is none when one was asked for, else null
     * @param allocation  compute-optimal allocation for laws in N and D, else null
     */
    public record LawFit(Fitter.Fit fit, String pointsFrom, double huberDelta, Holdout holdout, String holdoutNote,
                         Allocation.Summary allocation) {
        public String id() {
            return fit.law().id();
        }

        /** A reported parameter by name (e.g. {@code alpha}). */
        public double param(String name) {
            int i = fit.law().paramNames().indexOf(name);
            if (i < 0) throw new IllegalArgumentException(id() + " has no parameter " + name);
            return fit.params()[i];
        }
    }

    /** The fit of a law by id (e.g. {@code chinchilla}, {@code L(N)+E}). */
    public Optional<LawFit> law(String id) {
        return laws.stream().filter(l -> l.id().equals(id)).findFirst();
    }

    /** fits.json as maps and lists (Jackson writes it; pandas reads it with json.load + json_normalize). */
    public Map<String, Object> toJson() {
        return FitJson.report(this);
    }

    /** An aligned text table: each law's parameters, intervals, published values, fit quality and extrapolation. */
    public String table() {
        return FitText.table(this);
    }
}
