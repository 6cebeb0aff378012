package org.scalelab.datasets;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticCorpusTest {

    @Test
    void sameSeedSameCorpusOtherSeedOther() {
        Dataset a = Dataset.open(new DataSpec("synthetic:seed=3,tokens=20000", "char", 0.1, 0, 1));
        Dataset b = Dataset.open(new DataSpec("synthetic:seed=3,tokens=20000", "char", 0.1, 0, 1));
        Dataset c = Dataset.open(new DataSpec("synthetic:seed=4,tokens=20000", "char", 0.1, 0, 1));
        int[] x = new int[1000], y = new int[1000], z = new int[1000];
        a.train().read(0, x, 0, 1000);
        b.train().read(0, y, 0, 1000);
        c.train().read(0, z, 0, 1000);
        assertArrayEquals(x, y);
        assertNotEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(z));
        assertEquals(a.lossFloorNats().getAsDouble(), b.lossFloorNats().getAsDouble(), 0);
        assertEquals(20000, a.train().size());
    }

    /**
     * The floor is the mean −log p of the tokens that occurred (a Monte-Carlo average); it must agree
     * with the mean entropy of the same predictive distributions (their exact expectation) within
     * 4 standard errors. A predictive that differed from the generating process would not.
     */
    @Test
    void floorAgreesWithItsExpectation() {
        SyntheticCorpus c = new SyntheticCorpus(SyntheticCorpus.Params.parse("synthetic:seed=7,langs=16,vocab=64"));
        int[] s = c.generate(99, 200_000);
        double[] expected = new double[1];
        double floor = c.floor(s, expected);
        // per-token −log p has a standard deviation of order 1 nat: 4 standard errors ≈ 4/√n
        assertEquals(expected[0], floor, 4.0 / Math.sqrt(s.length), "floor " + floor + " vs expectation " + expected[0]);
        // and knowing the sub-language is worth something: the floor is below the unigram entropy
        double[] counts = new double[64];
        for (int t : s) counts[t]++;
        double h = 0;
        for (double k : counts) if (k > 0) h -= k / s.length * Math.log(k / s.length);
        assertTrue(floor < h - 1, "floor " + floor + " vs unigram entropy " + h);
    }

    @Test
    void tokenizerRoundTripsAndDecodesPrintably() {
        CharTokenizer t = SyntheticCorpus.tokenizer(128);
        int[] ids = new int[128];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        assertArrayEquals(ids, t.encode(t.decode(ids)));
        assertEquals(128, t.decode(ids).codePoints().distinct().count());
    }

    @Test
    void badSettingsAreRefused() {
        UserError e = assertThrows(UserError.class, () -> SyntheticCorpus.Params.parse("synthetic:sed=1"));
        assertTrue(e.getMessage().contains("unknown setting 'sed'"), e.getMessage());
        e = assertThrows(UserError.class, () -> SyntheticCorpus.Params.parse("synthetic:vocab=abc"));
        assertTrue(e.getMessage().contains("not a number"), e.getMessage());
    }
}
