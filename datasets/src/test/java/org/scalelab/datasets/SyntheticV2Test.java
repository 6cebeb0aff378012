package org.scalelab.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticV2Test {
    private static final int C = SyntheticV2.CHUNK;
    /** Three sub-languages over five tokens and short documents: small enough to compute losses by brute force. */
    private static final String TINY = "synthetic:v2,seed=5,val=1500,langs=3,vocab=6,successors=2,doclen=4";
    private static final String SMALL = "synthetic:v2,seed=2,val=40000,langs=48";

    private static Dataset open(String spec) {
        return Dataset.open(new DataSpec(spec, "char", 0.1, 0, 1));
    }

    private static SyntheticV2 corpus(String spec) {
        return new SyntheticV2(SyntheticV2.Params.parse(spec));
    }

    // ---- names and settings --------------------------------------------------------------------------------

    @Test
    void namesAndDefaults() {
        SyntheticV2.Params p = SyntheticV2.Params.parse("synthetic:v2");
        assertEquals("synthetic:v2,seed=1,tokens=unbounded,val=200000,langs=512,vocab=128,successors=4,zipf=1.5,doclen=16.0", p.canonical());
        assertTrue(p.unbounded());
        assertEquals(SyntheticV2.UNBOUNDED, p.trainTokens());
        assertEquals(p, SyntheticV2.Params.parse(" synthetic: v2 , seed = 1 ,tokens=unbounded"));
        assertEquals(p, SyntheticV2.Params.parse(p.canonical()));
        assertEquals(9007199254740993L, SyntheticV2.Params.parse("synthetic:v2,seed=9007199254740993").seed());
        SyntheticV2.Params q = SyntheticV2.Params.parse("synthetic:v2,tokens=5e6,langs=100,zipf=1.2");
        assertEquals(5_000_000, q.tokens());
        assertEquals(q, SyntheticV2.Params.parse(q.canonical()));
        // what callers that only check a name see (a sweep's plan): vocabulary and size
        SyntheticCorpus.Params summary = SyntheticCorpus.Params.parse("synthetic:v2,vocab=100");
        assertEquals(100, summary.vocab());
        assertEquals(SyntheticV2.UNBOUNDED, summary.tokens());
        assertEquals(2, SyntheticCorpus.version("synthetic:v2,seed=3"));
        assertEquals(1, SyntheticCorpus.version("synthetic:seed=3"));
        assertEquals(1, SyntheticCorpus.version("synthetic"));
    }

    @Test
    void badSettingsNameTheSettingAndTheFix() {
        String[][] cases = {
                {"synthetic:v2,langs=0", "langs=0 is out of range; give langs from 1 to 65,536, e.g. langs=512"},
                {"synthetic:v2,vocab=abc", "vocab=abc is not a number; write e.g. vocab=128"},
                {"synthetic:v2,vocab=3", "vocab=3 is out of range; give vocab from 4 to 4,096, e.g. vocab=128"},
                {"synthetic:v2,sucessors=3", "unknown setting 'sucessors' of synthetic:v2; use seed, tokens, val, langs, vocab, successors, zipf, doclen"},
                {"synthetic:v2,successors=127", "successors=127 is out of range; give successors from 1 to 126, e.g. successors=4 (at most vocab − 2"},
                {"synthetic:v2,tokens=10", "tokens=10 is out of range; give tokens=unbounded (the default) or a size from 1000 to 2^40"},
                {"synthetic:v2,zipf=-1", "zipf=-1 is out of range; give 0 ≤ zipf ≤ 10, e.g. zipf=1.5"},
                {"synthetic:v2,doclen=1", "doclen=1 is out of range; give a mean document length 1 < doclen ≤ 1000, e.g. doclen=16"},
                {"synthetic:v2,val=10", "val=10 is out of range; give val from 1,000 to"},
                {"synthetic:v2,seed=1.5", "seed=1.5 is not a whole number; write e.g. seed=2"},
                {"synthetic:v2,langs=5.5", "whole numbers; e.g. langs=512"},
                {"synthetic:v2,langs=3,langs=4", "langs is set twice; give it once"},
                {"synthetic:v2,langs", "'langs' is not key=value; write e.g. synthetic:v2,langs=256"},
                {"synthetic:v2,langs=60000,vocab=4096,successors=4", "more than 2^26 fit; use fewer langs, a smaller vocab or fewer successors"},
        };
        for (String[] c : cases) {
            UserError e = assertThrows(UserError.class, () -> open(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
            assertTrue(e.getMessage().startsWith("data.corpus '" + c[0] + "'"), e.getMessage());
        }
    }

    // ---- the unbounded training split ----------------------------------------------------------------------

    @Test
    void sameSeedSameTokensOtherSeedOther() {
        Dataset a = open("synthetic:v2,seed=3,langs=64,val=5000"), b = open("synthetic:v2,seed=3,langs=64,val=5000");
        Dataset c = open("synthetic:v2,seed=4,langs=64,val=5000");
        assertEquals(SyntheticV2.UNBOUNDED, a.train().size());
        assertTrue(a.train().unbounded());
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 50; i++) {
            long at = r.nextLong(a.train().size() - 65);
            int[] x = new int[65], y = new int[65], z = new int[65];
            a.train().read(at, x, 0, 65);
            b.train().read(at, y, 0, 65);
            c.train().read(at, z, 0, 65);
            assertArrayEquals(x, y, "position " + at);
            assertNotEquals(Arrays.toString(x), Arrays.toString(z));
        }
        assertArrayEquals(TokenStoreTest.all(a.val()), TokenStoreTest.all(b.val()));
        assertEquals(a.lossFloorNats().getAsDouble(), b.lossFloorNats().getAsDouble(), 0);
        assertNotEquals(a.lossFloorNats().getAsDouble(), c.lossFloorNats().getAsDouble());
        // the validation stream is not the training stream
        int[] t = new int[5000];
        a.train().read(0, t, 0, t.length);
        assertNotEquals(Arrays.toString(t), Arrays.toString(TokenStoreTest.all(a.val())));
    }

    /** Reads of any length at any place, across chunk boundaries, in any order: the chunks concatenated. */
    @Test
    void chunkReadsEqualSequentialGeneration() {
        SyntheticV2 g = corpus("synthetic:v2,seed=7,langs=32,val=2000");
        int chunks = 6;
        int[] seq = new int[chunks * C];
        for (int c = 0; c < chunks; c++) System.arraycopy(g.chunk(c), 0, seq, c * C, C);
        TokenSource src = g.train();
        int[] all = new int[seq.length];
        src.read(0, all, 0, all.length);
        assertArrayEquals(seq, all, "one read over six chunks");
        // a fresh source: windows straddling every boundary first (chunks generated part-way, then further)
        TokenSource fresh = g.train();
        for (int c = 1; c < chunks; c++) {
            int[] w = new int[65];
            fresh.read((long) c * C - 10, w, 0, 65);
            assertArrayEquals(Arrays.copyOfRange(seq, c * C - 10, c * C + 55), w, "across boundary " + c);
        }
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 300; i++) {
            int len = 1 + r.nextInt(3 * C);
            long at = r.nextLong(seq.length - len + 1);
            int[] w = new int[len + 2];
            fresh.read(at, w, 1, len);
            assertArrayEquals(Arrays.copyOfRange(seq, (int) at, (int) at + len), Arrays.copyOfRange(w, 1, len + 1), at + "+" + len);
            assertEquals(seq[(int) at], fresh.get(at));
        }
        // chunks that share a cache slot evict each other and come back the same
        long far = SyntheticV2.CACHE_SLOTS;
        int[] x = new int[100], y = new int[100];
        for (int rep = 0; rep < 3; rep++) {
            fresh.read(far * C + 4000, x, 0, 100);
            fresh.read(4000, y, 0, 100);
            assertArrayEquals(Arrays.copyOfRange(seq, 4000, 4100), y);
            assertArrayEquals(Arrays.copyOfRange(g.chunk(far), 4000, 4096), Arrays.copyOfRange(x, 0, 96));
        }
        // far away, the same tokens whether read cold or after the cache saw others
        long deep = (SyntheticV2.UNBOUNDED / C - 3) * C + 17;
        int[] u = new int[2 * C], v = new int[2 * C];
        fresh.read(deep, u, 0, u.length);
        g.train().read(deep, v, 0, v.length);
        assertArrayEquals(u, v);
        assertThrows(IndexOutOfBoundsException.class, () -> fresh.read(SyntheticV2.UNBOUNDED - 10, new int[20], 0, 20));
    }

    /** Each chunk is whole documents ending in a separator, so the concatenation has no empty document and no seam. */
    @Test
    void chunksAreWholeDocuments() {
        SyntheticV2 g = corpus("synthetic:v2,seed=1,langs=16,vocab=16,successors=3,doclen=40,val=2000");
        for (long c = 0; c < 200; c++) {
            int[] a = g.chunk(c);
            assertEquals(0, a[C - 1], "chunk " + c + " ends with a separator");
            assertNotEquals(0, a[0], "chunk " + c + " starts with a document");
            for (int i = 1; i < C; i++) assertFalse(a[i] == 0 && a[i - 1] == 0, "empty document in chunk " + c + " at " + i);
        }
    }

    /** tokens=N and a budget D both give the start of the one stream; a budget is nested and counted as unique tokens. */
    @Test
    void finiteSizesAndBudgetsAreTheStartOfTheStream() {
        Dataset unbounded = open("synthetic:v2,seed=3,langs=64,val=5000");
        Dataset finite = open("synthetic:v2,seed=3,langs=64,val=5000,tokens=30000");
        assertEquals(30000, finite.train().size());
        assertFalse(finite.train().unbounded());
        int[] head = new int[30000];
        unbounded.train().read(0, head, 0, head.length);
        assertArrayEquals(head, TokenStoreTest.all(finite.train()));
        assertArrayEquals(TokenStoreTest.all(unbounded.val()), TokenStoreTest.all(finite.val()));
        assertEquals(unbounded.lossFloorNats().getAsDouble(), finite.lossFloorNats().getAsDouble(), 0);

        TokenSource d = unbounded.train(20000);
        assertEquals(20000, d.size());
        assertFalse(d.unbounded());
        assertArrayEquals(Arrays.copyOf(head, 20000), TokenStoreTest.all(d));
        DatasetInfo budget = unbounded.describe(20000), whole = unbounded.describe();
        assertEquals(20000, budget.uniqueTokens());
        assertEquals(null, budget.trainUnbounded());
        assertEquals(Boolean.TRUE, whole.trainUnbounded());
        assertEquals(SyntheticV2.UNBOUNDED, whole.trainTokens());
        assertEquals(SyntheticV2.UNBOUNDED, whole.uniqueTokens());
        assertThrows(UserError.class, () -> finite.train(40000));
    }

    // ---- the floors --------------------------------------------------------------------------------------

    /** The generator draws what the floors assume: transition, first-token and end frequencies within 4.5 standard errors. */
    @Test
    void theGeneratorSamplesTheChainsTheFloorsUse() {
        SyntheticV2 g = corpus("synthetic:v2,seed=11,val=400000,langs=1,vocab=7,successors=3,doclen=5");
        int[] s = g.stream(123, 400_000);
        int V = 7;
        long[][] pairs = new long[V][V];
        long[] from = new long[V], firsts = new long[V];
        long docs = 0;
        for (int t = 1; t < s.length; t++) {
            if (s[t - 1] == 0) {
                firsts[s[t]]++;
                docs++;
            } else {
                pairs[s[t - 1]][s[t]]++;
                from[s[t - 1]]++;
            }
        }
        MarkovMixture.Chain ch = g.chains[0];
        for (int a = 1; a < V; a++) {
            for (int b = 0; b < V; b++) {
                double p = b == 0 ? g.stop : (1 - g.stop) * ch.trans(a, b), n = from[a];
                double se = Math.sqrt(p * (1 - p) / n);
                assertEquals(p, pairs[a][b] / n, 4.5 * se + 1e-12, a + "→" + b);
            }
            assertEquals(ch.first[a], firsts[a] / (double) docs, 4.5 * Math.sqrt(ch.first[a] * (1 - ch.first[a]) / docs) + 1e-12, "first " + a);
        }
        assertEquals(0.2, g.stop, 1e-12);
    }

    /** The predictive of the floor, p(x_t | x_&lt;t), by its definition: the ratio of two document likelihoods, each summed over the sub-language. */
    @Test
    void theFloorsEqualTheirDefinitionByBruteForce() {
        Dataset d = open(TINY);
        SyntheticV2 g = corpus(TINY);
        int[] val = TokenStoreTest.all(d.val());
        MarkovMixture m = g.mixture();
        assertEquals(bruteFloor(m, val), d.lossFloorNats().getAsDouble(), 1e-9);
        double[][] rho = solvedVisits(m);
        for (int c = 0; c < m.chains.length; c++) assertArrayEquals(rho[c], m.chains[c].visits, 1e-10, "visits of language " + (c + 1));
        for (int ctx : new int[]{1, 5, 16, 64}) {
            assertEquals(bruteContextFloor(m, rho, val, ctx), d.lossFloorNats(ctx).getAsDouble(), 1e-9, "ctx " + ctx);
        }
        // the same definition for an oracle with a pooled chain
        MarkovMixture o = g.oracle(1);
        assertEquals(bruteContextFloor(o, solvedVisits(o), val, 16), o.floorAtContext(val, 16, null), 1e-9, "oracle n = 1");
        assertEquals(bruteFloor(o, val), o.floor(val, null), 1e-9, "oracle n = 1, whole documents");
    }

    /**
     * The floor is the mean −log p of the tokens that occurred; it must agree with the mean entropy of the same
     * predictive (its exact expectation) within 4 standard errors, at every context length, and a shorter
     * context can only lose. The per-token loss has a standard deviation of up to about 2 nats here (a
     * document's first token costs about 4), hence 8/√n.
     */
    @Test
    void theFloorIsCalibratedAndTheContextFloorLiesAboveIt() {
        Dataset d = open(SMALL);
        SyntheticV2 g = corpus(SMALL);
        int[] val = TokenStoreTest.all(d.val());
        double[] e = new double[1];
        double full = g.mixture().floor(val, e);
        assertEquals(full, d.lossFloorNats().getAsDouble(), 0);
        double tol = 8.0 / Math.sqrt(val.length);
        assertEquals(e[0], full, tol, "whole documents");
        double prev = Double.MAX_VALUE;
        for (int ctx : new int[]{4, 16, 64, 256}) {
            double f = g.mixture().floorAtContext(val, ctx, e);
            assertEquals(e[0], f, tol, "ctx " + ctx);
            assertTrue(f >= full, "ctx " + ctx + ": " + f + " below the document floor " + full);
            assertTrue(f < prev, "ctx " + ctx + ": " + f + " after " + prev);
            prev = f;
        }
        assertTrue(d.lossFloorNats(64).getAsDouble() - full < 0.05, "a sub-language is known from a few tokens: ctx 64 is near the document floor");
    }

    // ---- the oracle ---------------------------------------------------------------------------------------

    @Test
    void theOracleFallsWithWhatItKnowsAndEndsAtTheFloor() {
        SyntheticV2 g = corpus(SMALL);
        Dataset d = open(SMALL);
        SyntheticV2.Prediction pr = g.predict(64, 2, 12);
        List<SyntheticV2.OraclePoint> curve = pr.curve();
        assertEquals(0, curve.get(0).n());
        assertEquals(48, curve.get(curve.size() - 1).n());
        for (int i = 1; i < curve.size(); i++) {
            assertTrue(curve.get(i).loss() < curve.get(i - 1).loss(), "L_" + curve.get(i).n() + " = " + curve.get(i).loss()
                    + " not below L_" + curve.get(i - 1).n() + " = " + curve.get(i - 1).loss());
        }
        assertEquals(d.lossFloorNats(64).getAsDouble(), curve.get(curve.size() - 1).loss(), 1e-9, "L_K is the floor");
        assertEquals(d.lossFloorNats(64).getAsDouble(), pr.floor(), 1e-9);
        assertEquals(0, curve.get(curve.size() - 1).excess(), 1e-9);
        assertTrue(pr.alpha() > 0.2 && pr.alpha() < 1.5, "alpha " + pr.alpha());
        assertEquals(pr.alpha() / 1.5, pr.alphaD(), 1e-12);
        assertEquals(6, pr.fitPoints(), "n = 2, 3, 4, 6, 8, 11 within 2 … 12: " + curve);
    }

    /** The pooled chain is a chain: rows and first tokens sum to 1, and its visits solve ρ = first + (1 − stop)·ρ·P. */
    @Test
    void thePooledChainIsTheVisitWeightedMixture() {
        SyntheticV2 g = corpus("synthetic:v2,seed=4,val=2000,langs=20,vocab=24,successors=3");
        for (int n : new int[]{0, 1, 7, 19}) {
            MarkovMixture o = g.oracle(n);
            assertEquals(n + 1, o.chains.length);
            MarkovMixture.Chain r = o.chains[n];
            double w = 0;
            for (int k = n; k < 20; k++) w += g.prior[k];
            assertEquals(w, o.prior[n], 1e-15);
            assertEquals(1, Arrays.stream(r.first).sum(), 1e-12);
            for (int a = 1; a < 24; a++) {
                double row = 0;
                for (int j = r.rowOff[a]; j < r.rowOff[a + 1]; j++) row += r.prob[j];
                assertEquals(r.visits[a] > 0 ? 1 : 0, row, 1e-12, "row " + a + " (empty when the pooled languages never reach it)");
                if (r.visits[a] == 0) continue;
                // P_R(a→b) = Σ π_k ρ_k(a) P_k(a→b) / Σ π_k ρ_k(a), from the definition
                for (int b = 1; b < 24; b++) {
                    double num = 0, den = 0;
                    for (int k = n; k < 20; k++) {
                        num += g.prior[k] * g.chains[k].visits[a] * g.chains[k].trans(a, b);
                        den += g.prior[k] * g.chains[k].visits[a];
                    }
                    assertEquals(num / den, r.trans(a, b), 1e-12, n + ": " + a + "→" + b);
                }
            }
            assertArrayEquals(MarkovMixture.visits(r.first, r.rowOff, r.succ, r.prob, g.stop), r.visits, 1e-9, "n = " + n);
            for (int c = 0; c < n; c++) assertEquals(g.prior[c], o.prior[c], 0);
        }
    }

    @Test
    void zipfWeights() {
        SyntheticV2 g = corpus("synthetic:v2,val=2000,langs=300,zipf=1.3,vocab=16");
        assertEquals(1, Arrays.stream(g.prior).sum(), 1e-12);
        for (int k = 0; k < 300; k++) assertEquals(Math.pow(k + 1, -1.3), g.prior[k] / g.prior[0], 1e-12, "π_" + (k + 1) + "/π_1");
        SyntheticV2 flat = corpus("synthetic:v2,val=2000,langs=10,zipf=0,vocab=16");
        for (double p : flat.prior) assertEquals(0.1, p, 1e-15);
    }

    // ---- data info and stores --------------------------------------------------------------------------------

    @Test
    void dataInfoPrintsTheFloorsAndThePrediction() throws Exception {
        String spec = "synthetic:v2,seed=2,langs=64,val=20000";
        JsonNode j = Json.MAPPER.readTree(run("info", spec, "--ctx", "32,64", "--json"));
        assertEquals("synthetic:v2,seed=2,tokens=unbounded,val=20000,langs=64,vocab=128,successors=4,zipf=1.5,doclen=16.0", j.get("name").asText());
        assertTrue(j.get("train_unbounded").asBoolean());
        JsonNode v = j.get("synthetic_v2"), o = v.get("oracle");
        assertEquals(1.5, v.get("zipf").asDouble(), 0);
        assertEquals(32, o.get("ctx").asInt());
        assertEquals(List.of(2, 8), List.of(o.get("fit_n").get(0).asInt(), o.get("fit_n").get(1).asInt()));
        assertEquals(0.5, o.get("zipf_minus_1").asDouble(), 1e-12);
        assertTrue(o.get("alpha_n").isNumber());
        JsonNode curve = o.get("curve");
        assertEquals(j.get("loss_floor_nats_at_ctx").get("32").asDouble(), curve.get(curve.size() - 1).get("loss_nats").asDouble(), 1e-9);
        assertTrue(o.get("assumes").asText().contains("n ∝ N"));
        String text = run("info", spec, "--ctx", "64", "--fit-n", "3:16");
        for (String s : new String[]{"loss_floor_nats", "loss_floor_nats_at_ctx 64:", "Zipf weights π_k ∝ k^-1.5", "predicted alpha_n",
                "over n = 3 … 16", "zipf − 1 = 0.500", "predicted alpha_D", "assumes"}) {
            assertTrue(text.contains(s), s + " in\n" + text);
        }
        UserError e = assertThrows(UserError.class, () -> run("info", spec, "--fit-n", "10:64"));
        assertTrue(e.getMessage().contains("1 ≤ LO < HI < langs = 64"), e.getMessage());
        e = assertThrows(UserError.class, () -> run("info", "synthetic:tokens=20000", "--fit-n", "2:8"));
        assertTrue(e.getMessage().contains("--fit-n applies to synthetic:v2 only"), e.getMessage());
    }

    private static String run(String... args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Exception[] thrown = new Exception[1];
        picocli.CommandLine cl = new picocli.CommandLine(new DataCommand());
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            thrown[0] = ex;
            return 1;
        });
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            cl.execute(args);
        } finally {
            System.setOut(old);
        }
        if (thrown[0] != null) throw thrown[0];
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aStoreIsTheStartOfTheStreamWithTheSameFloors(@TempDir Path tmp) {
        String spec = "synthetic:v2,seed=6,tokens=20000,val=5000,langs=32";
        Path out = tmp.resolve("v2");
        Prepare.toStore(spec, TokenStoreTest.opts("char").withQuiet(true), out, false);
        Dataset mem = open(spec), disk = open(out.toString());
        assertArrayEquals(TokenStoreTest.all(mem.train()), TokenStoreTest.all(disk.train()));
        assertArrayEquals(TokenStoreTest.all(mem.val()), TokenStoreTest.all(disk.val()));
        assertEquals(mem.tokenizer(), disk.tokenizer());
        assertEquals(mem.lossFloorNats().getAsDouble(), disk.lossFloorNats().getAsDouble(), 0);
        assertEquals(mem.lossFloorNats(64).getAsDouble(), disk.lossFloorNats(64).getAsDouble(), 0);
        assertEquals(mem.name(), disk.generator());
        UserError e = assertThrows(UserError.class,
                () -> Prepare.toStore("synthetic:v2,langs=32", TokenStoreTest.opts("char").withQuiet(true), tmp.resolve("x"), false));
        assertTrue(e.getMessage().contains("a store needs a size, e.g. --corpus 'synthetic:v2,langs=32,tokens=50000000'"), e.getMessage());
    }

    // ---- brute force ------------------------------------------------------------------------------------------

    /** Mean −ln p(x_t | x_&lt;t), t ≥ 1, each p the ratio of the current document's likelihood with and without x_t. */
    static double bruteFloor(MarkovMixture m, int[] s) {
        double sum = 0;
        int docStart = s[0] == 0 ? 1 : 0;
        for (int t = 1; t < s.length; t++) {
            if (s[t - 1] == 0) docStart = t;
            double with = docLikelihood(m, null, s, docStart, t + 1), without = t == docStart ? 1 : docLikelihood(m, null, s, docStart, t);
            sum -= Math.log(with / without);
        }
        return sum / (s.length - 1);
    }

    /**
     * The likelihood of the document s[a … b) (b − 1 may be its separator), summed over its chain; with
     * {@code rho}, s[a] is given (the chain weighted by prior·ρ of it, normalised) rather than a first token.
     */
    private static double docLikelihood(MarkovMixture m, double[][] rho, int[] s, int a, int b) {
        double p = 0, z = 0;
        for (int c = 0; c < m.chains.length; c++) {
            MarkovMixture.Chain ch = m.chains[c];
            double q = m.prior[c] * (rho == null ? ch.first[s[a]] : rho[c][s[a]]);
            if (rho != null) z += q;
            for (int j = a + 1; j < b; j++) q *= s[j] == 0 ? m.stop : (1 - m.stop) * ch.trans(s[j - 1], s[j]);
            p += q;
        }
        return rho == null ? p : p / z;
    }

    /** Windows of ctx+1 tokens every ctx tokens; each token by the ratio of the window's likelihoods with and without it. */
    static double bruteContextFloor(MarkovMixture m, double[][] rho, int[] s, int ctx) {
        double sum = 0;
        long n = 0;
        for (int start = 0; start + 1 < s.length; start += ctx) {
            int end = Math.min(s.length, start + ctx + 1);
            for (int t = start + 1; t < end; t++) {
                sum -= Math.log(window(m, rho, s, start, t + 1) / window(m, rho, s, start, t));
                n++;
            }
        }
        return sum / n;
    }

    /** The likelihood of s[from+1 … to) given s[from]: a product over the window's documents. */
    private static double window(MarkovMixture m, double[][] rho, int[] s, int from, int to) {
        double total = 1;
        boolean partial = s[from] != 0;
        int a = partial ? from : from + 1;
        while (a < to) {
            int b = a;
            while (b < to && s[b] != 0) b++;
            total *= docLikelihood(m, partial ? rho : null, s, a, Math.min(to, b + 1));
            partial = false;
            a = b + 1;
        }
        return total;
    }

    /** ρ_c for every chain, solved as the linear system (I − (1 − stop)·P_cᵀ)·ρ = first_c. */
    static double[][] solvedVisits(MarkovMixture m) {
        int V = m.vocab;
        double[][] out = new double[m.chains.length][];
        for (int c = 0; c < m.chains.length; c++) {
            MarkovMixture.Chain ch = m.chains[c];
            double[][] a = new double[V][V];
            for (int i = 0; i < V; i++) a[i][i] = 1;
            for (int x = 1; x < V; x++) for (int y = 1; y < V; y++) a[y][x] -= (1 - m.stop) * ch.trans(x, y);
            out[c] = SyntheticCorpusTest.solve(a, ch.first.clone());
        }
        return out;
    }
}
