package org.scalelab.datasets;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The second built-in synthetic corpus, {@code synthetic:v2}: built so that its scaling exponents can be
 * predicted from its construction (the quantization view: Zipf-distributed pieces of knowledge, each
 * costing a similar amount of capacity; see docs/synthetic.md).
 *
 * <p>The process (defaults in brackets): {@code langs} [512] sub-languages with Zipf weights
 * π_k ∝ k^(−zipf) [1.5]. Each is a sparse first-order Markov chain over tokens 1 … vocab−1 [128]: every
 * token has {@code successors} [4] possible next tokens (never itself) with Dirichlet(2) probabilities,
 * and the language has its own first-token distribution over 2·successors tokens (all probabilities
 * rounded to multiples of 2^−20, so that the generator samples exactly the chains the floors use). A
 * document picks a sub-language by π, draws its first token, and after each token ends with probability
 * 1/doclen [16] (rounded to a multiple of 2^−44; the separator 0 is emitted) or moves on along the chain.
 * The choices serve three aims: a sub-language is identified from two or three transitions (a random transition belongs to a given
 * language with probability successors/(vocab−2)), so a context of 64 tokens is almost as good as the
 * whole document; each sub-language is a table of (vocab−1)·successors transitions, the same size for
 * all; and a document of 16 tokens seldom repeats a bigram of its 508, so copying from the context is
 * worth little (4.8% of the validation tokens at the defaults, {@link #repeatedBigrams}).
 *
 * <p>The training split is unbounded: a {@link TokenSource} of 2^40 tokens whose
 * tokens are generated on demand in chunks of {@value #CHUNK} tokens, chunk c from (seed, c) alone. A
 * chunk is whole documents, the last one cut so that the chunk ends with a separator; concatenated, the
 * chunks are a stream of documents and no run ever sees a token twice. {@code tokens=N} makes the
 * training split the first N tokens of that same stream. The validation split is a separate stream of
 * {@code val} [200 k] tokens from another seed, held in memory, with its exact floors
 * ({@link MarkovMixture}).
 */
public final class SyntheticV2 {
    /** The size of the unbounded training split: 2^40 tokens. */
    public static final long UNBOUNDED = 1L << 40;
    static final int UNBOUNDED_LOG2 = 40;
    /** Tokens per generated chunk of the training split (equal to the budget block, {@link Dataset#BUDGET_BLOCK}). */
    public static final int CHUNK = 4096;
    /** Chunks a training source keeps (direct-mapped by index): 1 M tokens, 4 MB. */
    static final int CACHE_SLOTS = 256;

    /** The oracle's power law is fitted over n from this to {@link #defaultFitHi} unless told otherwise. */
    static final int FIT_LO = 2;

    /**
     * Generator settings: {@code synthetic:v2,seed=1,tokens=unbounded,val=200000,langs=512,vocab=128,...}.
     *
     * @param tokens training tokens, 0 = unbounded ({@link #UNBOUNDED} generated on demand)
     */
    public record Params(long seed, long tokens, int valTokens, int langs, int vocab, int successors, double zipf, double docLen) {
        static final Params DEFAULT = new Params(1, 0, 200_000, 512, 128, 4, 1.5, 16);
        static final List<String> KEYS = List.of("seed", "tokens", "val", "langs", "vocab", "successors", "zipf", "doclen");

        public boolean unbounded() {
            return tokens == 0;
        }

        /** Tokens of the training split: {@link #UNBOUNDED} when unbounded. */
        public long trainTokens() {
            return unbounded() ? UNBOUNDED : tokens;
        }

        /** Parses {@code synthetic:v2} or {@code synthetic:v2,key=value,...}. */
        public static Params parse(String spec) {
            String s = spec.trim();
            if (SyntheticCorpus.version(s) != 2) throw new IllegalArgumentException("not a synthetic:v2 name: " + spec);
            Map<String, String> kv = new LinkedHashMap<>();
            String[] parts = s.substring("synthetic:".length()).split(",");
            for (int i = 1; i < parts.length; i++) {   // parts[0] is v2
                String part = parts[i];
                if (part.isBlank()) continue;
                String[] p = part.split("=", 2);
                String key = p[0].trim();
                if (p.length != 2) {
                    throw new UserError("data.corpus '" + spec + "': '" + part.trim() + "' is not key=value; write e.g. synthetic:v2,langs=256,zipf=1.3");
                }
                if (!KEYS.contains(key)) {
                    throw new UserError("data.corpus '" + spec + "': unknown setting '" + key + "' of synthetic:v2; use "
                            + String.join(", ", KEYS) + " (e.g. synthetic:v2,langs=256)");
                }
                if (kv.put(key, p[1].trim()) != null) {
                    throw new UserError("data.corpus '" + spec + "': " + key + " is set twice; give it once");
                }
            }
            Params d = DEFAULT;
            long seed = d.seed;
            if (kv.containsKey("seed")) {
                try {
                    seed = Long.parseLong(kv.get("seed"));
                } catch (NumberFormatException e) {
                    throw new UserError("data.corpus '" + spec + "': seed=" + kv.get("seed") + " is not a whole number; write e.g. seed=2");
                }
            }
            long tokens = 0;
            String t = kv.get("tokens");
            if (t != null && !t.equalsIgnoreCase("unbounded") && !t.equalsIgnoreCase("inf")) {
                double v = number(spec, kv, "tokens", 0, "tokens=50000000");
                if (!(v >= 1000 && v <= UNBOUNDED)) {
                    throw new UserError(String.format(Locale.ROOT, "data.corpus '%s': tokens=%s is out of range; give tokens=unbounded "
                            + "(the default) or a size from 1000 to 2^40, e.g. tokens=50000000", spec, t));
                }
                tokens = (long) v;
            }
            double val = number(spec, kv, "val", d.valTokens, "val=200000");
            range(spec, "val", val, 1000, 1 << 28, "val=200000");
            double langs = number(spec, kv, "langs", d.langs, "langs=512");
            range(spec, "langs", langs, 1, 1 << 16, "langs=512");
            double vocab = number(spec, kv, "vocab", d.vocab, "vocab=128");
            range(spec, "vocab", vocab, 4, 4096, "vocab=128");
            double succ = number(spec, kv, "successors", d.successors, "successors=4");
            range(spec, "successors", succ, 1, vocab - 2, "successors=4 (at most vocab − 2: a token never follows itself)");
            double zipf = number(spec, kv, "zipf", d.zipf, "zipf=1.5");
            if (!(zipf >= 0 && zipf <= 10)) {
                throw new UserError("data.corpus '" + spec + "': zipf=" + kv.get("zipf") + " is out of range; give 0 ≤ zipf ≤ 10, e.g. zipf=1.5 "
                        + "(zipf > 1 for a power law in the number of sub-languages learned)");
            }
            double docLen = number(spec, kv, "doclen", d.docLen, "doclen=16");
            if (!(docLen > 1 && docLen <= 1000)) {
                throw new UserError("data.corpus '" + spec + "': doclen=" + kv.get("doclen") + " is out of range; give a mean document "
                        + "length 1 < doclen ≤ 1000, e.g. doclen=16");
            }
            if (langs * vocab * succ > (1 << 26)) {
                throw new UserError(String.format(Locale.ROOT, "data.corpus '%s': langs × vocab × successors = %,.0f transitions, more than "
                        + "2^26 fit; use fewer langs, a smaller vocab or fewer successors", spec, langs * vocab * succ));
            }
            if (!(val == Math.rint(val) && langs == Math.rint(langs) && vocab == Math.rint(vocab) && succ == Math.rint(succ))) {
                throw new UserError("data.corpus '" + spec + "': val, langs, vocab and successors are whole numbers; e.g. langs=512");
            }
            return new Params(seed, tokens, (int) val, (int) langs, (int) vocab, (int) succ, zipf, docLen);
        }

        private static double number(String spec, Map<String, String> kv, String key, double dflt, String example) {
            String v = kv.get(key);
            if (v == null) return dflt;
            try {
                double x = Double.parseDouble(v);
                if (Double.isNaN(x)) throw new NumberFormatException();
                return x;
            } catch (NumberFormatException e) {
                throw new UserError("data.corpus '" + spec + "': " + key + "=" + v + " is not a number; write e.g. " + example);
            }
        }

        private static void range(String spec, String key, double v, double lo, double hi, String example) {
            if (!(v >= lo && v <= hi)) {
                throw new UserError(String.format(Locale.ROOT, "data.corpus '%s': %s=%s is out of range; give %s from %,.0f to %,.0f, e.g. %s",
                        spec, key, v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v), key, lo, hi, example));
            }
        }

        public String canonical() {
            return String.format(Locale.ROOT, "synthetic:v2,seed=%d,tokens=%s,val=%d,langs=%d,vocab=%d,successors=%d,zipf=%s,doclen=%s",
                    seed, unbounded() ? "unbounded" : String.valueOf(tokens), valTokens, langs, vocab, successors, zipf, docLen);
        }
    }

    /** Probabilities of successors and first tokens are multiples of 2^−{@value #PBITS}, so that sampling them is exact. */
    static final int PBITS = 20;
    private static final int PONE = 1 << PBITS;
    /** The end-of-document coin uses the low {@value #SBITS} bits of a draw: P(end) = round(2^44/doclen)/2^44 exactly. */
    static final int SBITS = 64 - PBITS;

    final Params p;
    final double[] prior;                 // π_k
    private final double[] priorCum;      // cumulative π, last entry 1
    final MarkovMixture.Chain[] chains;   // one per sub-language, for the floors
    private final int[][] packed;         // [k] row a at (a−1)·S: successor << 20 | cumulative count, for sampling
    private final int[][] firstPacked;    // [k] first-token support, the same packing
    final double stop;                    // P(a document ends after a token), a multiple of 2^−44
    private final long stopBits;          // stop·2^44
    private final long trainSeed, valSeed;
    private MarkovMixture mixture;        // lazily: all sub-languages
    private int[] validation;             // lazily

    public SyntheticV2(Params p) {
        this.p = p;
        int K = p.langs(), V = p.vocab(), S = p.successors();
        stopBits = Math.max(1, Math.round(Math.scalb(1 / p.docLen(), SBITS)));
        stop = Math.scalb((double) stopBits, -SBITS);
        prior = new double[K];
        double z = 0;
        for (int k = 0; k < K; k++) z += prior[k] = Math.pow(k + 1, -p.zipf());
        for (int k = 0; k < K; k++) prior[k] /= z;
        priorCum = new double[K];
        double c = 0;
        for (int k = 0; k < K; k++) priorCum[k] = c += prior[k];
        priorCum[K - 1] = 1;
        SplittableRandom r = new SplittableRandom(mix(p.seed() ^ 0x7AB1E5_0002L));
        trainSeed = mix(p.seed() ^ 0x7EA1_0002L);
        valSeed = mix(p.seed() ^ 0x0FA1_0002L);
        chains = new MarkovMixture.Chain[K];
        packed = new int[K][];
        firstPacked = new int[K][];
        int[] pool = new int[V - 1], where = new int[V];
        for (int i = 0; i < V - 1; i++) {
            pool[i] = i + 1;
            where[i + 1] = i;
        }
        int F = Math.min(2 * S, V - 1);
        int[] rowOff = new int[V + 1];
        for (int a = 1; a <= V; a++) rowOff[a] = (a - 1) * S;   // row 0 (the separator) is empty
        for (int k = 0; k < K; k++) {
            int[] ft = choose(r, pool, where, F, 0);
            int[] fc = dirichlet2(r, F);
            double[] first = new double[V];
            for (int i = 0; i < F; i++) first[ft[i]] = Math.scalb((double) fc[i], -PBITS);
            firstPacked[k] = pack(ft, fc, 0, F);
            int[] succ = new int[(V - 1) * S], counts = new int[succ.length];
            double[] prob = new double[succ.length];
            for (int a = 1; a < V; a++) {
                int[] sa = choose(r, pool, where, S, a);
                int[] ca = dirichlet2(r, S);
                System.arraycopy(sa, 0, succ, rowOff[a], S);
                System.arraycopy(ca, 0, counts, rowOff[a], S);
                for (int i = 0; i < S; i++) prob[rowOff[a] + i] = Math.scalb((double) ca[i], -PBITS);
            }
            packed[k] = pack(succ, counts, S, succ.length);
            chains[k] = new MarkovMixture.Chain(first, MarkovMixture.visits(first, rowOff, succ, prob, stop), rowOff, succ, prob);
        }
    }

    /**
     * Tokens and counts (out of 2^20) as {@code token << 20 | running count}, the count restarting every
     * {@code row} entries (0: one row).
     */
    private static int[] pack(int[] tok, int[] count, int row, int n) {
        int[] out = new int[n];
        int run = 0;
        for (int i = 0; i < n; i++) {
            if (row > 0 && i % row == 0) run = 0;
            run += count[i];
            out[i] = tok[i] << PBITS | (run & (PONE - 1));   // a row's last running count, 2^20, is never compared
        }
        return out;
    }

    private static SyntheticV2 last;

    /** The corpus of these settings; the last one built is kept, so that opening it again (data info, a store's floors) is free. */
    static synchronized SyntheticV2 of(Params p) {
        if (last == null || !last.p.equals(p)) last = new SyntheticV2(p);
        return last;
    }

    /** The 64-bit finaliser of a seed: nearby seeds give unrelated streams. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * {@code m} distinct tokens of 1 … V−1 other than {@code exclude}, ascending: a partial Fisher–Yates
     * shuffle of {@code pool} (a permutation of 1 … V−1 kept between calls; {@code where} is its inverse).
     */
    private static int[] choose(SplittableRandom r, int[] pool, int[] where, int m, int exclude) {
        int n = pool.length;
        if (exclude > 0) swap(pool, where, where[exclude], --n);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            swap(pool, where, i, i + r.nextInt(n - i));
            out[i] = pool[i];
        }
        java.util.Arrays.sort(out);
        return out;
    }

    private static void swap(int[] pool, int[] where, int i, int j) {
        int a = pool[i], b = pool[j];
        pool[i] = b;
        pool[j] = a;
        where[b] = i;
        where[a] = j;
    }

    /**
     * A Dirichlet(2, …, 2) draw (normalised Gamma(2) variables, each the sum of two exponentials) as counts
     * out of 2^20, each at least 1, summing to 2^20 exactly (the largest absorbs the rounding).
     */
    private static int[] dirichlet2(SplittableRandom r, int m) {
        double[] w = new double[m];
        double s = 0;
        for (int i = 0; i < m; i++) s += w[i] = -Math.log(1 - r.nextDouble()) - Math.log(1 - r.nextDouble());
        int[] c = new int[m];
        int sum = 0, big = 0;
        for (int i = 0; i < m; i++) {
            c[i] = (int) Math.max(1, Math.round(w[i] / s * PONE));
            sum += c[i];
            if (c[i] > c[big]) big = i;
        }
        c[big] += PONE - sum;
        return c;
    }

    // ---- generation -------------------------------------------------------------------------------------

    /**
     * Documents written into {@code buf[0 … n)} on demand, resumable: {@link #fillTo} generates up to a
     * position and a later call goes on from there. Each document draws its sub-language (a double against
     * the cumulative π) and its first token (the top 20 bits of a long); after each token one long decides
     * both whether the document ends (its low 44 bits against stop·2^44) and, if not, the next token (its
     * top 20 bits against the row's counts). With {@code endWithSeparator} the last token is a separator
     * that ends the last document early (and a document never ends one token before that, so that no
     * document is empty); without, the last document is cut at n.
     */
    final class Gen {
        final int[] buf;
        private final int n;
        private final boolean endWithSeparator;
        private final SplittableRandom r;
        private int i, x;
        private int[] row = null;   // the current document's packed table, null between documents

        Gen(long seed, int n, boolean endWithSeparator) {
            this.buf = new int[n];
            this.n = n;
            this.endWithSeparator = endWithSeparator;
            this.r = new SplittableRandom(seed);
        }

        int generated() {
            return i;
        }

        void fillTo(int target) {
            final int S = p.successors(), last = n - 1;
            final long stopB = stopBits, lowMask = (1L << SBITS) - 1;
            int i = this.i, x = this.x;
            int[] row = this.row;
            while (i < target) {
                if (row == null) {
                    int k = java.util.Arrays.binarySearch(priorCum, r.nextDouble());
                    k = k >= 0 ? Math.min(k + 1, priorCum.length - 1) : -k - 1;
                    int[] f = firstPacked[k];
                    x = pickPacked(f, 0, f.length, (int) (r.nextLong() >>> SBITS));
                    row = packed[k];
                    buf[i++] = x;
                    continue;
                }
                if (endWithSeparator && i == last) {
                    buf[i++] = 0;
                    row = null;
                    continue;
                }
                long bits = r.nextLong();
                if ((bits & lowMask) < stopB && !(endWithSeparator && i == last - 1)) {
                    buf[i++] = 0;
                    row = null;
                    continue;
                }
                int off = (x - 1) * S;
                x = pickPacked(row, off, off + S, (int) (bits >>> SBITS));
                buf[i++] = x;
            }
            this.i = i;
            this.x = x;
            this.row = row;
        }
    }

    /** The token of the first packed entry in [from, to) whose running count exceeds u (u in [0, 2^20)); the last if none. */
    private static int pickPacked(int[] a, int from, int to, int u) {
        int j = from;
        for (int t = from; t < to - 1; t++) j += u >= (a[t] & (PONE - 1)) ? 1 : 0;
        return a[j] >>> PBITS;
    }

    /** Chunk c of the training stream, to be generated: {@value #CHUNK} tokens of whole documents, the last token a separator. */
    Gen chunkGen(long c) {
        return new Gen(mix(trainSeed + c * 0x9E3779B97F4A7C15L), CHUNK, true);
    }

    /** Chunk c of the training stream, generated. */
    int[] chunk(long c) {
        Gen g = chunkGen(c);
        g.fillTo(CHUNK);
        return g.buf;
    }

    /** n tokens of whole documents from {@code seed} (the last one cut at n). */
    int[] stream(long seed, int n) {
        Gen g = new Gen(seed, n, false);
        g.fillTo(n);
        return g.buf;
    }

    /** The validation split: {@code val} tokens of their own stream. */
    synchronized int[] validation() {
        if (validation == null) validation = stream(valSeed, p.valTokens());
        return validation;
    }

    /** The training split, generated on demand. */
    Train train() {
        return new Train(p.trainTokens(), p.unbounded());
    }

    /**
     * The training tokens [0, size): chunk c = tokens [c·CHUNK, (c+1)·CHUNK) generated from (seed, c) as far
     * as a read needs (a chunk's start costs less than its end), kept in a direct-mapped cache of
     * {@value #CACHE_SLOTS} chunks and generated further when a later read needs more. Reads may cross
     * chunk boundaries. Safe for concurrent readers.
     */
    final class Train implements TokenSource {
        private final long size;
        private final boolean unbounded;
        private final Gen[] slots = new Gen[CACHE_SLOTS];
        private final long[] tags = new long[CACHE_SLOTS];

        Train(long size, boolean unbounded) {
            this.size = size;
            this.unbounded = unbounded;
        }

        @Override public long size() { return size; }

        @Override public boolean unbounded() { return unbounded; }

        /** Chunk c generated at least up to position {@code upTo} (exclusive). */
        private synchronized int[] chunkAt(long c, int upTo) {
            int slot = (int) (c % CACHE_SLOTS);
            Gen g = slots[slot];
            if (g == null || tags[slot] != c) {
                g = chunkGen(c);
                slots[slot] = g;
                tags[slot] = c;
            }
            if (g.generated() < upTo) g.fillTo(upTo);
            return g.buf;
        }

        @Override
        public int get(long i) {
            if (i < 0 || i >= size) throw new IndexOutOfBoundsException(i + " of " + size);
            int at = (int) (i % CHUNK);
            return chunkAt(i / CHUNK, at + 1)[at];
        }

        @Override
        public void read(long from, int[] dst, int off, int len) {
            if (from < 0 || len < 0 || from + len > size) throw new IndexOutOfBoundsException(from + "+" + len + " of " + size);
            while (len > 0) {
                int at = (int) (from % CHUNK), n = Math.min(len, CHUNK - at);
                System.arraycopy(chunkAt(from / CHUNK, at + n), at, dst, off, n);
                from += n;
                off += n;
                len -= n;
            }
        }
    }

    // ---- floors and the n-quanta oracle -------------------------------------------------------------------

    /** The generative model itself: every sub-language with its weight. Its Bayes losses are the floors. */
    synchronized MarkovMixture mixture() {
        if (mixture == null) mixture = new MarkovMixture(prior, chains, p.vocab(), stop);
        return mixture;
    }

    /**
     * The n-quanta oracle's model: sub-languages 1 … n exactly, with their weights π_1 … π_n, and the
     * others as one pooled chain of weight W = Σ_{k&gt;n} π_k whose first-token distribution is
     * Σ_{k&gt;n} π_k·first_k / W and whose transitions are the π- and visit-weighted mixture
     * P_R(a→b) = Σ_{k&gt;n} π_k·ρ_k(a)·P_k(a→b) / Σ_{k&gt;n} π_k·ρ_k(a): the single Markov chain with the
     * expected bigram counts of the pooled languages (their maximum-likelihood chain on unlimited data).
     * Its visits are then Σ_{k&gt;n} π_k·ρ_k / W exactly. n = langs is the generative model itself.
     */
    MarkovMixture oracle(int n) {
        int K = p.langs(), V = p.vocab();
        if (n < 0 || n > K) throw new IllegalArgumentException("n = " + n + " of " + K);
        if (n == K) return mixture();
        double W = 0;
        for (int k = n; k < K; k++) W += prior[k];
        double[] first = new double[V], visits = new double[V];
        for (int k = n; k < K; k++) {
            for (int x = 0; x < V; x++) {
                first[x] += prior[k] * chains[k].first[x];
                visits[x] += prior[k] * chains[k].visits[x];
            }
        }
        int[] rowOff = new int[V + 1];
        List<int[]> rs = new ArrayList<>();
        List<double[]> rp = new ArrayList<>();
        double[] acc = new double[V];
        int total = 0;
        for (int a = 1; a < V; a++) {
            java.util.Arrays.fill(acc, 0);
            double mass = 0;
            for (int k = n; k < K; k++) {
                double w = prior[k] * chains[k].visits[a];
                if (w == 0) continue;
                MarkovMixture.Chain ch = chains[k];
                for (int j = ch.rowOff[a]; j < ch.rowOff[a + 1]; j++) acc[ch.succ[j]] += w * ch.prob[j];
                mass += w;
            }
            int m = 0;
            for (int b = 0; b < V; b++) if (acc[b] > 0) m++;
            int[] s = new int[m];
            double[] q = new double[m];
            m = 0;
            for (int b = 0; b < V; b++) if (acc[b] > 0) {
                s[m] = b;
                q[m++] = acc[b] / mass;
            }
            rs.add(s);
            rp.add(q);
            total += s.length;
            rowOff[a + 1] = total;
        }
        rowOff[1] = 0;
        int[] succ = new int[total];
        double[] prob = new double[total];
        for (int a = 1; a < V; a++) {
            System.arraycopy(rs.get(a - 1), 0, succ, rowOff[a], rs.get(a - 1).length);
            System.arraycopy(rp.get(a - 1), 0, prob, rowOff[a], rp.get(a - 1).length);
        }
        for (int x = 0; x < V; x++) {
            first[x] /= W;
            visits[x] /= W;
        }
        double[] w = new double[n + 1];
        MarkovMixture.Chain[] cs = new MarkovMixture.Chain[n + 1];
        System.arraycopy(prior, 0, w, 0, n);
        System.arraycopy(chains, 0, cs, 0, n);
        w[n] = W;
        cs[n] = new MarkovMixture.Chain(first, visits, rowOff, succ, prob);
        return new MarkovMixture(w, cs, V, stop);
    }

    /** One point of the oracle's curve: L_n and its excess over the floor E = L_K. */
    public record OraclePoint(int n, double loss, double excess) {}

    /**
     * The exponent the construction predicts: L_n at nCtx on the validation split for n = 0 and
     * n ≈ 2^(i/2) up to langs; {@code alpha}, the least-squares slope of ln(L_n − E) against ln n over
     * fitLo ≤ n ≤ fitHi, negated; the local slopes between the first two and the last two points of that
     * range; and {@code tailAlpha}, the same fit to the Zipf tail mass Σ_{k&gt;n} π_k alone (what a constant
     * loss per unknown sub-language would give, with the truncation at langs).
     */
    public record Prediction(int nCtx, double floor, List<OraclePoint> curve, int fitLo, int fitHi, int fitPoints, double alpha,
                             double slopeAtLo, double slopeAtHi, double tailAlpha, double zipf) {
        /** α_D = α/zipf: a sub-language is learned once seen a fixed number of times, so n ∝ D^(1/zipf). */
        public double alphaD() {
            return alpha / zipf;
        }
    }

    /** The oracle's grid of n: 0, then round(2^(i/2)) without repeats, and langs. */
    List<Integer> oracleGrid() {
        List<Integer> ns = new ArrayList<>();
        ns.add(0);
        for (int i = 0; ; i++) {
            int n = (int) Math.round(Math.pow(2, i / 2.0));
            if (n >= p.langs()) break;
            if (n > ns.get(ns.size() - 1)) ns.add(n);
        }
        ns.add(p.langs());
        return ns;
    }

    /** The default upper end of the fit: langs/8, where the truncation of the power law at langs is still modest. */
    int defaultFitHi() {
        return Math.max(FIT_LO + 1, p.langs() / 8);
    }

    /**
     * The exponent the corpus named {@code corpus} (a synthetic:v2 name) predicts at {@code nCtx}, fitted over
     * its default range of n; null for any other corpus.
     */
    public static Prediction prediction(String corpus, int nCtx) {
        if (corpus == null || !(corpus.startsWith("synthetic:v2"))) return null;
        SyntheticV2 g = new SyntheticV2(Params.parse(corpus));
        return g.predict(nCtx, FIT_LO, g.defaultFitHi());
    }

    /** The oracle's curve at nCtx and its power law fitted over lo ≤ n ≤ hi. */
    Prediction predict(int nCtx, int lo, int hi) {
        if (nCtx < 1) throw new UserError("nCtx must be ≥ 1 for the oracle, got " + nCtx);
        int[] val = validation();
        List<Integer> grid = oracleGrid();
        double[] loss = new double[grid.size()];
        java.util.stream.IntStream.range(0, grid.size()).parallel()
                .forEach(i -> loss[i] = oracle(grid.get(i)).floorAtContext(val, nCtx, null));
        double e = loss[grid.size() - 1];
        double[] tail = new double[p.langs() + 1];   // tail[n] = Σ_{k>n} π_k
        for (int k = p.langs() - 1; k >= 0; k--) tail[k] = tail[k + 1] + prior[k];
        List<OraclePoint> curve = new ArrayList<>();
        List<double[]> pts = new ArrayList<>(), tailPts = new ArrayList<>();
        for (int i = 0; i < grid.size(); i++) {
            int n = grid.get(i);
            curve.add(new OraclePoint(n, loss[i], loss[i] - e));
            if (n >= lo && n <= hi && n > 0 && n < p.langs()) {
                if (loss[i] > e) pts.add(new double[]{Math.log(n), Math.log(loss[i] - e)});
                tailPts.add(new double[]{Math.log(n), Math.log(tail[n])});
            }
        }
        int m = pts.size();
        double atLo = m >= 2 ? slope(pts.subList(0, 2)) : Double.NaN, atHi = m >= 2 ? slope(pts.subList(m - 2, m)) : Double.NaN;
        return new Prediction(nCtx, e, curve, lo, hi, m, m >= 2 ? slope(pts) : Double.NaN, atLo, atHi,
                tailPts.size() >= 2 ? slope(tailPts) : Double.NaN, p.zipf());
    }

    /** −(least-squares slope of y on x) over points {x, y}. */
    private static double slope(List<double[]> pts) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int m = pts.size();
        for (double[] q : pts) {
            sx += q[0];
            sy += q[1];
            sxx += q[0] * q[0];
            sxy += q[0] * q[1];
        }
        return -(m * sxy - sx * sy) / (m * sxx - sx * sx);
    }

    /**
     * The share of validation tokens (after a document's first) whose bigram already occurred earlier in the
     * same document: what copying from the context could predict at best.
     */
    double repeatedBigrams() {
        int[] s = validation();
        Set<Long> seen = new HashSet<>();
        long rep = 0, n = 0;
        for (int t = 1; t < s.length; t++) {
            if (s[t - 1] == 0) {
                seen.clear();
                continue;
            }
            if (s[t] == 0) continue;
            n++;
            if (!seen.add((long) s[t - 1] * p.vocab() + s[t])) rep++;
        }
        return n == 0 ? 0 : rep / (double) n;
    }

    /** What {@code data info} prints about the corpus beyond its sizes and floors. */
    Map<String, Object> describe(int nCtx, int lo, int hi) {
        if (!(lo >= 1 && hi > lo && hi < p.langs())) {
            throw new UserError("--fit-n " + lo + ":" + hi + ": the oracle's fit needs 1 ≤ LO < HI < langs = " + p.langs()
                    + "; e.g. --fit-n " + FIT_LO + ":" + defaultFitHi());
        }
        Prediction pr = predict(nCtx, lo, hi);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", 2);
        m.put("settings", p.canonical());
        m.put("langs", p.langs());
        m.put("zipf", p.zipf());
        m.put("vocab", p.vocab());
        m.put("successors", p.successors());
        m.put("doclen", p.docLen());
        m.put("train", p.unbounded() ? String.format(Locale.ROOT, "unbounded: 2^%d tokens generated on demand in chunks of %d, "
                + "chunk c from (seed, c)", UNBOUNDED_LOG2, CHUNK) : "the first " + p.tokens() + " tokens of the generated stream");
        m.put("transitions_per_language", (p.vocab() - 1) * p.successors());
        m.put("repeated_bigram_fraction", repeatedBigrams());
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("ctx", nCtx);
        o.put("floor_nats", pr.floor());
        o.put("fit_n", List.of(lo, hi));
        o.put("fit_points", pr.fitPoints());
        o.put("alpha_n", pr.alpha());
        o.put("local_alpha_at_fit_ends", List.of(pr.slopeAtLo(), pr.slopeAtHi()));
        o.put("tail_mass_alpha", pr.tailAlpha());
        o.put("zipf_minus_1", p.zipf() - 1);
        o.put("alpha_d", pr.alphaD());
        o.put("alpha_d_zipf", (p.zipf() - 1) / p.zipf());
        List<Map<String, Object>> curve = new ArrayList<>();
        for (OraclePoint q : pr.curve()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("n", q.n());
            c.put("loss_nats", q.loss());
            c.put("excess_nats", q.excess());
            curve.add(c);
        }
        o.put("curve", curve);
        o.put("assumes", ASSUMES);
        m.put("oracle", o);
        return m;
    }

    static final String ASSUMES = "a model of size N predicts like the n-quanta oracle with n ∝ N (the n most frequent sub-languages "
            + "known exactly, the rest pooled), so L(N) − E ∝ N^−α_n; data-limited, a sub-language is learned once seen a fixed "
            + "number of times, n ∝ D^(1/zipf), so L(D) − E ∝ D^−α_n/zipf";

    // ---- the corpus as a dataset and as a store ------------------------------------------------------------

    static Dataset dataset(String spec, long budgetSeed) {
        Params p = Params.parse(spec);
        SyntheticV2 c = of(p);
        int[] val = c.validation();
        MarkovMixture m = c.mixture();
        double floor = m.floor(val, null);
        return new Dataset(p.canonical(), spec, SyntheticCorpus.tokenizer(p.vocab()), c.train(), TokenSource.of(val), floor, "generated",
                budgetSeed, null, null, null, nCtx -> m.floorAtContext(val, nCtx, null), p.canonical());
    }

    /** Generates {@code tokens=N} training tokens and the validation split into a token store folder. */
    static Prepare.Report toStore(String spec, Prepare.Options o, Path dir, Path out, long t0) {
        Params p = Params.parse(spec);
        if (p.unbounded()) {
            throw new UserError("data.corpus '" + spec + "': the training split of synthetic:v2 is unbounded; a store needs a size, e.g. "
                    + "--corpus '" + spec + ",tokens=50000000' (runs read the unbounded stream directly: data.corpus=" + spec + ")");
        }
        SyntheticV2 c = of(p);
        CharTokenizer tok = SyntheticCorpus.tokenizer(p.vocab());
        String dtype = TokenStore.dtypeFor(tok.vocabSize());
        int w = TokenStore.width(dtype);
        long e0 = System.nanoTime();
        Progress bar = Prepare.bar(o, "generate " + p.canonical(), (p.tokens() + p.valTokens()) * w);
        long[] docs = new long[2];
        Train train = c.train();
        int[] buf = new int[CHUNK * 16];
        try (TokenSink.File f = new TokenSink.File(dir.resolve("train.bin"), w)) {
            for (long at = 0; at < p.tokens(); ) {
                int n = (int) Math.min(buf.length, p.tokens() - at);
                train.read(at, buf, 0, n);
                f.write(buf, 0, n);
                for (int i = 0; i < n; i++) if (buf[i] == 0) docs[0]++;
                bar.advance((long) n * w);
                at += n;
            }
        }
        int[] val = c.validation();
        try (TokenSink.File f = new TokenSink.File(dir.resolve("val.bin"), w)) {
            f.write(val, 0, val.length);
        }
        for (int x : val) if (x == 0) docs[1]++;
        bar.advance((long) val.length * w);
        bar.finish();
        double floor = c.mixture().floor(val, null);
        return SyntheticCorpus.finishStore(spec, p.canonical(), p.seed(), p.tokens(), p.valTokens(), tok, dtype, docs, floor, dir, out, e0, t0);
    }
}
