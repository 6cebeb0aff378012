package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

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

    /** The generator as first written (a fixed reference: corpora, run ids and published floors depend on it). */
    static int[] firstVersionGenerate(SyntheticCorpus c, long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        int i = 0;
        while (i < n) {
            int k = sample(r, c.prior);
            int prev = 0;
            while (i < n) {
                int x = prev == 0 ? sample(r, c.first[k]) : c.next[k][prev][sample(r, c.nextP[k][prev])];
                out[i++] = x;
                prev = x;
                if (i < n && r.nextDouble() < c.stop) {
                    out[i++] = 0;
                    break;
                }
            }
        }
        return out;
    }

    private static int sample(SplittableRandom r, double[] p) {
        double u = r.nextDouble(), c = 0;
        for (int i = 0; i < p.length; i++) {
            c += p[i];
            if (u < c) return i;
        }
        for (int i = p.length - 1; i >= 0; i--) if (p[i] > 0) return i;
        return 0;
    }

    @Test
    void theStreamedGeneratorIsTheFirstVersionBitForBit() {
        for (String spec : new String[]{"synthetic", "synthetic:seed=5,langs=40,vocab=200,successors=3,zipf=1.3,doclen=30"}) {
            SyntheticCorpus c = new SyntheticCorpus(SyntheticCorpus.Params.parse(spec));
            int[] ref = firstVersionGenerate(c, 77, 300_001);
            assertArrayEquals(ref, c.generate(77, 300_001));
            int[] pieces = new int[ref.length];
            SyntheticCorpus.Stream s = c.new Stream(77, ref.length);
            for (int off = 0, step = 1; off < ref.length; step = step * 3 % 1001 + 1) off += s.fill(pieces, off, Math.min(step, ref.length - off));
            assertArrayEquals(ref, pieces, "generated piece by piece");
        }
        // the default corpus' floor as published in the README (1.143 nats/token)
        assertEquals(1.1435, Dataset.open(new DataSpec("synthetic", "char", 0.1, 0, 1)).lossFloorNats().getAsDouble(), 5e-4);
    }

    /**
     * The floor's forward algorithm against the definition: for a short stream of a tiny corpus, the sum of
     * −ln p(x_t | x_&lt;t) over t ≥ 1 must equal −ln P(x_0 … x_n−1) + ln P(x_0), with P summed over the
     * sub-language of every document by brute force.
     */
    @Test
    void theFloorIsTheChainRuleOfTheExactLikelihood() {
        SyntheticCorpus c = new SyntheticCorpus(SyntheticCorpus.Params.parse("synthetic:seed=3,tokens=1000,val=100,langs=3,vocab=5,successors=2,doclen=4"));
        for (long seed = 1; seed <= 20; seed++) {
            int[] s = c.generate(seed, 14);
            double chain = c.floor(s, null) * (s.length - 1);
            double direct = -logLikelihood(c, s) + Math.log(c.firstMix[s[0]]);
            assertEquals(direct, chain, 1e-9, "stream " + Arrays.toString(s));
        }
    }

    /** ln P(stream) by summing over each document's sub-language. */
    static double logLikelihood(SyntheticCorpus c, int[] s) {
        double ll = 0;
        int start = 0;
        while (start < s.length) {
            int end = start;
            while (end < s.length && s[end] != 0) end++;
            double p = 0;
            for (int k = 0; k < c.prior.length; k++) {
                double q = c.prior[k] * c.first[k][s[start]];
                for (int j = start + 1; j < end; j++) q *= (1 - c.stop) * c.prob(k, s[j - 1], s[j]);
                if (end < s.length) q *= c.stop; // the separator that ends it
                p += q;
            }
            ll += Math.log(p);
            start = end + 1;
        }
        return ll;
    }

    /**
     * Monte Carlo: the floor of the validation split against the mean loss of the same Bayes predictor on
     * 8 fresh streams (other seeds); they agree within 4 standard errors of both estimates.
     */
    @Test
    void theExactFloorAgreesWithAMonteCarloEstimate() {
        SyntheticCorpus.Params p = SyntheticCorpus.Params.parse("synthetic");
        SyntheticCorpus c = new SyntheticCorpus(p);
        double floor = Dataset.open(new DataSpec("synthetic", "char", 0.1, 0, 1)).lossFloorNats().getAsDouble();
        int n = 100_000, runs = 8;
        double[] m = new double[runs];
        for (int i = 0; i < runs; i++) m[i] = c.floor(c.generate(1000 + i, n), null);
        double mean = Arrays.stream(m).average().orElseThrow();
        double var = Arrays.stream(m).map(x -> (x - mean) * (x - mean)).sum() / (runs - 1);
        double se = Math.sqrt(var / runs + var * n / p.valTokens()); // the MC mean's error and the 200 k-token floor's
        assertEquals(mean, floor, 4 * se, "floor " + floor + ", Monte Carlo " + mean + " ± " + se);
    }

    @Test
    void theFloorAtAContextLengthLiesAboveTheFloorAndFallsWithContext() {
        SyntheticCorpus c = new SyntheticCorpus(SyntheticCorpus.Params.parse("synthetic:seed=2"));
        double[][] rho = c.stationary();
        for (double[] r : rho) assertEquals(c.p.docLen(), Arrays.stream(r).sum(), 1e-6, "a document holds docLen tokens on average");
        int[] val = c.generate(5, 200_000);
        double full = c.floor(val, null);
        double prev = Double.MAX_VALUE;
        for (int ctx : new int[]{1, 8, 64, 128, 1024}) {
            double[] expected = new double[1];
            double f = c.floorAtContext(val, ctx, expected);
            assertTrue(f < prev, "ctx " + ctx + ": " + f + " after " + prev);
            assertTrue(f > full - 0.005, "ctx " + ctx + ": " + f + " vs document floor " + full);
            assertEquals(expected[0], f, 4.0 / Math.sqrt(val.length), "ctx " + ctx + ": calibrated predictive");
            prev = f;
        }
        assertEquals(full, c.floorAtContext(val, 1024, null), 0.01, "a long context nearly knows the document");
    }

    @Test
    void aSyntheticStoreIsTheSameCorpusWithTheSameFloors(@TempDir Path tmp) {
        String spec = "synthetic:seed=4,tokens=200000,val=20000";
        Path out = tmp.resolve("syn");
        Prepare.toStore(spec, TokenStoreTest.opts("char").withQuiet(true), out, false);
        Dataset mem = Dataset.open(new DataSpec(spec, "char", 0.1, 0, 1));
        Dataset disk = Dataset.open(new DataSpec(out.toString(), "auto", 0.1, 0, 1));
        assertArrayEquals(TokenStoreTest.all(mem.train()), TokenStoreTest.all(disk.train()));
        assertArrayEquals(TokenStoreTest.all(mem.val()), TokenStoreTest.all(disk.val()));
        assertEquals(mem.tokenizer(), disk.tokenizer());
        assertEquals(mem.lossFloorNats().getAsDouble(), disk.lossFloorNats().getAsDouble(), 0);
        assertEquals(mem.lossFloorNats(64).getAsDouble(), disk.lossFloorNats(64).getAsDouble(), 0);
        assertEquals(mem.lossFloorNats().getAsDouble(), disk.describe().lossFloorNats(), 0);
        UserError e = assertThrows(UserError.class, () -> Dataset.open(new DataSpec("synthetic", "gpt2", 0.1, 0, 1)));
        assertTrue(e.getMessage().contains("the synthetic corpus has its own vocabulary"), e.getMessage());
    }
}
