package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticCorpusTest {

    /** The last corpus generated is handed out again for the same spec and seed, and only then. */
    @Test
    void theLastCorpusIsKeptForTheNextRun() {
        DataSpec spec = new DataSpec("synthetic:seed=5,tokens=20000", "char", 0.1, 0, 1);
        Dataset a = Dataset.open(spec);
        assertSame(a, Dataset.open(spec), "the same spec and seed: the kept corpus");
        Dataset other = Dataset.open(new DataSpec("synthetic:seed=5,tokens=20000", "char", 0.1, 0, 2));
        assertNotSame(a, other, "another budget seed is another dataset");
        assertNotSame(a, Dataset.open(spec), "one corpus is kept, the last one");
    }

    @Test
    void sameSeedSameCorpusOtherSeedOther() {
        Dataset a = Dataset.open(new DataSpec("synthetic:seed=3,tokens=20000", "char", 0.1, 0, 1));
        SyntheticCorpus.forgetLast();   // generated again, not the kept one
        Dataset b = Dataset.open(new DataSpec("synthetic:seed=3,tokens=20000", "char", 0.1, 0, 1));
        assertNotSame(a, b);
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

    // ---- version 1 stays what it was ---------------------------------------------------------------------

    private static final String SMALL_V1 = "synthetic:seed=3,tokens=20000,val=5000,langs=5,vocab=12,successors=3,doclen=20";

    /**
     * A small version-1 corpus, by its old name and by its explicit one: the canonical name (part of what
     * runs record) is the same text as before, the tokens are the first version's generator, and both floors
     * equal their definitions computed here by brute force, not by the forward algorithm.
     */
    @Test
    void versionOneIsUnchangedUnderBothNames() {
        Dataset old = Dataset.open(new DataSpec(SMALL_V1, "char", 0.1, 0, 1));
        Dataset named = Dataset.open(new DataSpec(SMALL_V1.replace("synthetic:", "synthetic:v1,"), "char", 0.1, 0, 1));
        String canonical = "synthetic:seed=3,tokens=20000,val=5000,langs=5,vocab=12,successors=3,zipf=1.0,doclen=20.0";
        assertEquals(canonical, old.name());
        assertEquals(canonical, named.name());
        assertEquals(canonical, SyntheticCorpus.Params.parse("synthetic:v1,seed=3,tokens=20000,val=5000,langs=5,vocab=12,successors=3,doclen=20").canonical());
        assertEquals(SyntheticCorpus.Params.parse("synthetic").canonical(), SyntheticCorpus.Params.parse("synthetic:v1").canonical());

        SyntheticCorpus c = new SyntheticCorpus(SyntheticCorpus.Params.parse(SMALL_V1));
        int[] train = TokenStoreTest.all(old.train()), val = TokenStoreTest.all(old.val());
        assertArrayEquals(firstVersionGenerate(c, 3 * 31 + 1, 20000), train);
        assertArrayEquals(firstVersionGenerate(c, 3 * 31 + 2, 5000), val);
        assertArrayEquals(train, TokenStoreTest.all(named.train()));
        assertArrayEquals(val, TokenStoreTest.all(named.val()));

        double brute = -(logLikelihood(c, val) - Math.log(c.firstMix[val[0]])) / (val.length - 1);
        assertEquals(brute, old.lossFloorNats().getAsDouble(), 1e-9);
        assertEquals(old.lossFloorNats().getAsDouble(), named.lossFloorNats().getAsDouble(), 0);
        for (int ctx : new int[]{7, 64}) {
            assertEquals(bruteContextFloor(c, val, ctx), old.lossFloorNats(ctx).getAsDouble(), 1e-9, "ctx " + ctx);
            assertEquals(old.lossFloorNats(ctx).getAsDouble(), named.lossFloorNats(ctx).getAsDouble(), 0);
        }
        // and the values the code gave before synthetic:v2 existed, to the last digits
        assertEquals(1.0485635427058950, old.lossFloorNats().getAsDouble(), 1e-12);
        assertEquals(1.0639353396318307, old.lossFloorNats(64).getAsDouble(), 1e-12);
    }

    /** The default corpus' tokens, hashed as they were before synthetic:v2 existed (SHA-256 of one byte per token). */
    @Test
    void theDefaultCorpusKeepsItsTokens() throws Exception {
        Dataset d = Dataset.open(new DataSpec("synthetic", "char", 0.1, 0, 1));
        assertEquals("084df8f3c151786b", sha(TokenStoreTest.all(d.train())));
        assertEquals("9604fd6b3fafe904", sha(TokenStoreTest.all(d.val())));
        assertEquals(1.1434468634801545, d.lossFloorNats().getAsDouble(), 1e-12);
        assertEquals(1.1748920405618164, d.lossFloorNats(64).getAsDouble(), 1e-12);
        assertEquals(2_000_000, d.describe().trainTokens());
        assertEquals(null, d.describe().trainUnbounded());
    }

    private static String sha(int[] ids) throws Exception {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        for (int x : ids) md.update((byte) x);
        return java.util.HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    /**
     * The context floor by its definition: windows of ctx+1 tokens every ctx tokens; within a window each
     * token's probability is the ratio of the window's likelihoods up to it and up to the token before,
     * summed over the sub-language of every document in the window (the first one weighted by π_k·ρ_k of
     * the window's first token, ρ_k solved here as a linear system).
     */
    static double bruteContextFloor(SyntheticCorpus c, int[] s, int ctx) {
        int K = c.prior.length, V = c.first[0].length;
        double[][] rho = new double[K][];
        for (int k = 0; k < K; k++) {
            double[][] a = new double[V][V];
            for (int i = 0; i < V; i++) a[i][i] = 1;
            for (int x = 1; x < V; x++) for (int y = 1; y < V; y++) a[y][x] -= (1 - c.stop) * c.prob(k, x, y);
            rho[k] = solve(a, c.first[k].clone());
        }
        double sum = 0;
        long n = 0;
        for (int start = 0; start + 1 < s.length; start += ctx) {
            int end = Math.min(s.length, start + ctx + 1);
            for (int t = start + 1; t < end; t++) {
                sum -= Math.log(windowLikelihood(c, rho, s, start, t + 1) / windowLikelihood(c, rho, s, start, t));
                n++;
            }
        }
        return sum / n;
    }

    /** The likelihood of s[from+1 … to) given s[from], documents by brute force over their sub-language. */
    private static double windowLikelihood(SyntheticCorpus c, double[][] rho, int[] s, int from, int to) {
        double total = 1;
        int a = from;
        boolean firstDoc = s[from] != 0;
        if (!firstDoc) a = from + 1;
        while (a < to) {
            int b = a;
            while (b < to && s[b] != 0) b++;
            double p = 0;
            for (int k = 0; k < c.prior.length; k++) {
                double q = firstDoc ? c.prior[k] * rho[k][s[a]] : c.prior[k] * c.first[k][s[a]];
                for (int j = a + 1; j < b; j++) q *= (1 - c.stop) * c.prob(k, s[j - 1], s[j]);
                if (b < to) q *= c.stop;
                p += q;
            }
            if (firstDoc) {
                double z = 0;
                for (int k = 0; k < c.prior.length; k++) z += c.prior[k] * rho[k][s[a]];
                p /= z;  // s[from] itself is given, not predicted
            }
            total *= p;
            firstDoc = false;
            a = b + 1;
        }
        return total;
    }

    /** Gaussian elimination with partial pivoting: a·x = b. */
    static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            double[] tr = a[col]; a[col] = a[piv]; a[piv] = tr;
            double tb = b[col]; b[col] = b[piv]; b[piv] = tb;
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] / a[col][col];
                for (int k = col; k < n; k++) a[r][k] -= f * a[col][k];
                b[r] -= f * b[col];
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double v = b[r];
            for (int k = r + 1; k < n; k++) v -= a[r][k] * x[k];
            x[r] = v / a[r][r];
        }
        return x;
    }

    @Test
    void versionNamesAreChecked() {
        UserError e = assertThrows(UserError.class, () -> SyntheticCorpus.Params.parse("synthetic:v3"));
        assertTrue(e.getMessage().contains("'v3' is not a version of the synthetic corpus; use v1 or v2"), e.getMessage());
        e = assertThrows(UserError.class, () -> SyntheticCorpus.Params.parse("synthetic:seed=2,v2"));
        assertTrue(e.getMessage().contains("'v2' must come first, e.g. synthetic:v2,seed=2"), e.getMessage());
        e = assertThrows(UserError.class, () -> Dataset.open(new DataSpec("synthetic:seed=2,v1", "char", 0.1, 0, 1)));
        assertTrue(e.getMessage().contains("must come first"), e.getMessage());
    }
}
