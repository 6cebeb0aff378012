package org.scalelab.trainer;

import org.scalelab.datasets.Json;

import java.nio.charset.StandardCharsets;

/**
 * Run ids derived from the resolved config: readable coordinates plus a short hash of everything,
 * so the same grid point always maps to the same directory (what makes resume and sharding safe).
 * An explicit {@code name} in the config is used as is.
 */
public final class RunIds {
    private RunIds() {}

    public static String of(RunConfig c) {
        if (c.name() != null && !c.name().isBlank()) return c.name();
        ModelConfig m = c.model();
        // The output location and the name do not change what is trained, so they are not hashed.
        RunConfig hashed = new RunConfig("", "", m, c.data(), c.train());
        String hash = Checkpoint.sha256(Json.line(hashed).getBytes(StandardCharsets.UTF_8)).substring(0, 10);
        return String.format("L%d-d%d-h%d-T%d-%s", m.nLayer(), m.dModel(), m.nHead(), m.nCtx(), hash);
    }
}
