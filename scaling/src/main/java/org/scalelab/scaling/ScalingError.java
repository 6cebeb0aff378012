package org.scalelab.scaling;

/**
 * An error in the user's input to a fit, plan or report (a missing table, a column, too few points):
 * the command line prints its one-line message and exits 2.
 */
public class ScalingError extends RuntimeException {
    public ScalingError(String message) {
        super(message);
    }
}
