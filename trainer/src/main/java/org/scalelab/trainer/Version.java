package org.scalelab.trainer;

import org.nd4j.linalg.factory.Nd4j;

/** Versions recorded in every spec.json. */
public final class Version {
    public static final String SCALELAB = "0.1.0";
    public static final String ND4J = "1.0.0-M2.1";

    private Version() {}

    /** The ND4J backend in use, e.g. "CPU" or "CUDA". */
    public static String backend() {
        return Nd4j.getBackend().getClass().getSimpleName().replace("Backend", "");
    }
}
