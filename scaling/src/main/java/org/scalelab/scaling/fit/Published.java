package org.scalelab.scaling.fit;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Published fits, with their sources, to set beside a user's own (and usable in their place).
 * Kaplan et al. (2020), "Scaling Laws for Neural Language Models", arXiv:2001.08361, eqs. 1.1–1.5 and
 * table 2 (WebText2, nats/token, N non-embedding); Hoffmann et al. (2022), "Training Compute-Optimal
 * Large Language Models", arXiv:2203.15556, eq. 10 (approach 3); Besiroglu et al. (2024), "Chinchilla
 * Scaling: A replication attempt", arXiv:2404.10102, table 1.
 */
public final class Published {
    /** A published law: id as in {@link Laws}, parameter values by name, and the source. */
    public record Entry(String law, Map<String, Double> params, String source) {}

    public static final List<Entry> ALL = List.of(
            new Entry("L(N)", Map.of("N_c", 8.8e13, "alpha_N", 0.076), "Kaplan et al. 2020, eq. 1.1"),
            new Entry("L(D)", Map.of("D_c", 5.4e13, "alpha_D", 0.095), "Kaplan et al. 2020, eq. 1.2"),
            new Entry("L(C)", Map.of("C_c", 3.1e8 * 8.64e19, "alpha_C", 0.050), "Kaplan et al. 2020, eq. 1.3 (C_c = 3.1e8 PF-days)"),
            new Entry("L(N,D)", Map.of("N_c", 6.4e13, "D_c", 1.8e13, "alpha_N", 0.076, "alpha_D", 0.103), "Kaplan et al. 2020, eq. 1.5 / table 2"),
            new Entry("L(N,S)", Map.of("N_c", 6.5e13, "S_c", 2.1e3, "alpha_N", 0.077, "alpha_S", 0.76), "Kaplan et al. 2020, eq. 1.6 / table 3"),
            new Entry("chinchilla", Map.of("E", 1.69, "A", 406.4, "B", 410.7, "alpha", 0.34, "beta", 0.28), "Hoffmann et al. 2022, eq. 10"),
            new Entry("chinchilla", Map.of("E", 1.8172, "A", 482.01, "B", 2085.43, "alpha", 0.3478, "beta", 0.3658), "Besiroglu et al. 2024, table 1"));

    private Published() {}

    /** The first published entry for a law id (ignoring a trailing "+E"), if any. */
    public static Optional<Entry> forLaw(String id) {
        return ALL.stream().filter(e -> e.law().equals(id)).findFirst();
    }

    /** All published entries for a law id. */
    public static List<Entry> allFor(String id) {
        return ALL.stream().filter(e -> e.law().equals(id)).toList();
    }
}
