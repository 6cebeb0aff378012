package org.scalelab.datasets;

/**
 * An error caused by the user's input (a file, a config field, a flag), not by a bug.
 * The command line prints its message as one line and exits non-zero, without a stack trace,
 * so the message must name the file or field at fault and say how to fix it.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
