package org.scalelab.scaling.fit;

import java.util.List;

/**
 * A scaling law fitted in log space: log L̂ = f(θ, ln x). Every law here depends on its inputs only
 * through their logarithms, so a fit takes ln x once and never again. {@code θ} is the law's internal
 * parametrisation (exponents and logs of positive constants, so the optimiser is unconstrained);
 * {@link #report} turns it into the published parametrisation and {@link #theta} back.
 */
public interface Law {
    /** Short id used in fits.json and by {@link org.scalelab.scaling.Published}, e.g. {@code L(N)}, {@code L(N)+E}, {@code chinchilla}. */
    String id();

    /** The name on the command line ({@code --laws}), e.g. {@code n}, {@code n+e}, {@code nd}, {@code chinchilla}. */
    String key();

    /** The formula in the published parametrisation, e.g. {@code L = (N_c/N)^alpha_N}. */
    String formula();

    /** Names of the reported parameters, in {@link #report} order. */
    List<String> paramNames();

    /** The inputs, in the order a point holds them: e.g. ["N"] or ["N", "D"]. */
    List<String> inputs();

    /** Number of parameters. */
    int size();

    /**
     * log L̂(θ) at a point whose inputs are given as logarithms {@code lnX}; when {@code grad} is not
     * null it receives ∂ log L̂ / ∂θ.
     */
    double logLoss(double[] theta, double[] lnX, double[] grad);

    /** The optimiser's start grid (θ values); a fit runs L-BFGS from every one of them. */
    List<double[]> starts();

    /** The reported parameters for θ. */
    double[] report(double[] theta);

    /** θ for reported parameters (inverse of {@link #report}): how a published law is evaluated. */
    double[] theta(double[] params);

    /** L̂ at inputs {@code x} (not logs). */
    default double predict(double[] theta, double... x) {
        double[] lx = new double[x.length];
        for (int i = 0; i < x.length; i++) lx[i] = Math.log(x[i]);
        return Math.exp(logLoss(theta, lx, null));
    }
}
