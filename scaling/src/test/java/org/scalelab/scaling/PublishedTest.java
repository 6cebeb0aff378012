package org.scalelab.scaling;

import org.junit.jupiter.api.Test;
import org.scalelab.scaling.fit.Law;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The published catalogue: every entry is a usable law with a source, and evaluates to the paper's formula. */
class PublishedTest {

    @Test
    void everyEntryIsAUsableLawWithASource() {
        for (Published.Fit p : Published.FITS) {
            Law law = p.law();
            assertEquals(law.paramNames().size(), p.params().size(), p.name());
            assertTrue(p.params().keySet().containsAll(law.paramNames()), p.name());
            assertTrue(p.source().matches(".*(Kaplan|Hoffmann|Besiroglu) et al\\. 20\\d\\d.*"), p.source());
            double[] x = law.inputs().stream().mapToDouble(i -> 1e9).toArray();
            double l = p.predict(x);
            assertTrue(l > 0.5 && l < 10, p.name() + " predicts " + l + " nats at 1e9");
        }
        for (Published.Constant c : Published.CONSTANTS) assertTrue(c.source().contains("et al. 20"), c.name());
    }

    /** Values exactly as the papers give them. */
    @Test
    void valuesAndUnits() {
        assertEquals(1.0, Published.KAPLAN_N.predict(8.8e13), 1e-12, "L(N_c) = 1 nat");
        assertEquals(3.1e8 * 8.64e19, Published.KAPLAN_C.params().get("C_c"), 0, "C_c in FLOP");
        assertEquals(1.69 + 406.4 / Math.pow(1e9, 0.34) + 410.7 / Math.pow(2e10, 0.28), Published.CHINCHILLA.predict(1e9, 2e10), 1e-12);
        assertEquals(1.8172 + 482.01 / Math.pow(1e9, 0.3478) + 2085.43 / Math.pow(2e10, 0.3658), Published.BESIROGLU.predict(1e9, 2e10), 1e-12);
        assertEquals(2e8, Published.kaplanCriticalBatch(1), 0);
        assertEquals(2e8 / Math.pow(3, 1 / 0.21), Published.kaplanCriticalBatch(3), 1e-6);
        assertEquals(2, Published.forLaw("chinchilla").size());
        assertEquals(0.73, Published.constant("kaplan_N_opt_exponent"), 0);
        assertEquals(Published.CHINCHILLA, Published.byName("chinchilla").orElseThrow());
    }
}
