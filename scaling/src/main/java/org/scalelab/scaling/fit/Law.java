package org.scalelab.scaling.fit;

import java.util.List;

/**
 * A scaling law fitted in log space: log L̂ = f(θ, x). {@code θ} is the law's internal
 * parametrisation (logs of positive constants, so the optimiser is unconstrained); {@link #report}
 * turns it into the published parametrisation.
 */
public interface Law {
    /** Short id, e.g. {@code L(N)}, {@code L(N)+E}, {@code L(N,D)}, {@code chinchilla}. */
    String id();

    String formula();

    /** Names of the reported parameters, in {@link #report} order. */
    List<String> paramNames();

    /** Which input columns x holds: e.g. ["N"] or ["N", "D"]. */
    List<String> inputs();

    int size();

    /** log L̂(θ, x). */
    double logPredict(double[] theta, double[] x);

    /** ∂ log L̂ / ∂θ into {@code out}; returns log L̂. */
    double gradient(double[] theta, double[] x, double[] out);

    /** Initial points for the optimiser. */
    List<double[]> starts();

    /** The reported parameters. */
    double[] report(double[] theta);
}
