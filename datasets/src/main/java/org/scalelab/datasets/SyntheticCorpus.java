package org.scalelab.datasets;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The built-in synthetic corpus: generated from a seed in seconds, needing no network, with a loss
 * floor computed exactly.
 *
 * <p>The process (defaults: 16 sub-languages, vocabulary 64, 4 successors, Zipf 1, documents of 100 tokens
 * on average, 2 M training and 200 k validation tokens): {@code langs} sub-languages, each a sparse first-order Markov chain over tokens
 * 1 … vocab−1 (every token has {@code successors} possible next tokens with random probabilities, and
 * its own distribution of first tokens). Documents pick a sub-language with Zipf probabilities
 * π_k ∝ k^(−zipf), then emit tokens from its chain; after each token the document ends with
 * probability 1/docLen and the separator 0 is emitted. Frequent sub-languages are learned first and
 * rare ones need capacity, which is what makes loss fall as a power of model size.
 *
 * <p>The floor: the Bayes-optimal prediction of a token given the whole document so far is
 * p(x_t | x_&lt;t) = Σ_k P(k | x_&lt;t)·p_k(x_t | x_t−1), the posterior over the sub-language updated
 * token by token (the forward algorithm of a static latent). Its mean −log on the validation split is
 * {@link #floor}; no model can beat it in expectation, and a model seeing only nCtx tokens can at best
 * approach it.
 *
 * <p>Versions: this is version 1, named {@code synthetic}, {@code synthetic:key=value,…} or, explicitly,
 * {@code synthetic:v1[,key=value,…]} (the same corpus, the same floors and the same canonical name, so
 * runs and stores made before versions existed keep their meaning). {@code synthetic:v2[,…]} is
 * {@link SyntheticV2}, built for predictable scaling exponents with an unbounded training split.
 */
public final class SyntheticCorpus {
    /**
     * The version a synthetic corpus name asks for: 2 for {@code synthetic:v2[,…]}, else 1 (a malformed
     * name is reported when its settings are parsed).
     */
    static int version(String spec) {
        String s = spec.trim();
        if (!s.startsWith("synthetic:")) return 1;
        return s.substring("synthetic:".length()).split(",", 2)[0].trim().equals("v2") ? 2 : 1;
    }

    /**
     * Generator settings: {@code synthetic:seed=1,tokens=2000000,langs=64,vocab=128,...}.
     *
     * <p>{@link #parse} also accepts {@code synthetic:v2[,…]} and then gives a summary of that corpus'
     * settings in these fields (tokens = 2^40 when its training split is unbounded), for callers that
     * only check a name or need its vocabulary and size; the corpus itself is built by {@link #dataset}.
     */
    public record Params(long seed, long tokens, int valTokens, int langs, int vocab, int successors, double zipf, double docLen) {
        public static Params parse(String spec) {
            if (version(spec) == 2) {
                SyntheticV2.Params v = SyntheticV2.Params.parse(spec);
                return new Params(v.seed(), v.trainTokens(), v.valTokens(), v.langs(), v.vocab(), v.successors(), v.zipf(), v.docLen());
            }
            Map<String, String> kv = new LinkedHashMap<>();
            int colon = spec.indexOf(':');
            if (colon > 0) {
                boolean firstPart = true;
                for (String part : spec.substring(colon + 1).split(",")) {
                    if (part.isBlank()) continue;
                    boolean leading = firstPart;
                    firstPart = false;
                    String version = part.trim();
                    if (version.matches("[vV]\\d+")) {
                        if (!leading || !(version.equals("v1") || version.equals("v2"))) {
                            throw new UserError("data.corpus '" + spec + "': '" + version + "' "
                                    + (leading ? "is not a version of the synthetic corpus; use v1 or v2" : "must come first")
                                    + ", e.g. synthetic:v2,seed=2 or synthetic:v1,seed=2");
                        }
                        continue; // v1: this corpus, under its explicit name
                    }
                    String[] p = part.split("=", 2);
                    if (p.length != 2) throw new UserError("data.corpus '" + spec + "': '" + part + "' is not key=value");
                    kv.put(p[0].trim(), p[1].trim());
                }
            }
            Params d = new Params(1, 2_000_000, 0, 16, 64, 4, 1.0, 100);
            for (String k : kv.keySet()) {
                if (!java.util.Set.of("seed", "tokens", "val", "langs", "vocab", "successors", "zipf", "doclen").contains(k)) {
                    throw new UserError("data.corpus '" + spec + "': unknown setting '" + k
                            + "'; use seed, tokens, val, langs, vocab, successors, zipf, doclen");
                }
            }
            try {
                long tokens = (long) Double.parseDouble(kv.getOrDefault("tokens", "" + d.tokens));
                Params p = new Params(Long.parseLong(kv.getOrDefault("seed", "" + d.seed)), tokens,
                        (int) Double.parseDouble(kv.getOrDefault("val", "" + Math.min(200_000, Math.max(10_000, tokens / 10)))),
                        Integer.parseInt(kv.getOrDefault("langs", "" + d.langs)), Integer.parseInt(kv.getOrDefault("vocab", "" + d.vocab)),
                        Integer.parseInt(kv.getOrDefault("successors", "" + d.successors)),
                        Double.parseDouble(kv.getOrDefault("zipf", "" + d.zipf)), Double.parseDouble(kv.getOrDefault("doclen", "" + d.docLen)));
                if (p.tokens < 1000 || p.valTokens < 100 || p.langs < 1 || p.vocab < 3 || p.vocab > 4096 || p.successors < 1
                        || p.successors >= p.vocab || !(p.docLen > 1) || !(p.zipf >= 0)) {
                    throw new UserError("data.corpus '" + spec + "': out of range; need tokens ≥ 1000, val ≥ 100, langs ≥ 1, "
                            + "3 ≤ vocab ≤ 4096, 1 ≤ successors < vocab, doclen > 1, zipf ≥ 0");
                }
                return p;
            } catch (NumberFormatException e) {
                throw new UserError("data.corpus '" + spec + "': " + e.getMessage() + " is not a number");
            }
        }

        public String canonical() {
            return String.format(Locale.ROOT, "synthetic:seed=%d,tokens=%d,val=%d,langs=%d,vocab=%d,successors=%d,zipf=%s,doclen=%s",
                    seed, tokens, valTokens, langs, vocab, successors, zipf, docLen);
        }
    }

    final Params p;
    final double[] prior;            // π_k
    final double[][] first;          // [k][token] first-token distribution
    final int[][][] next;            // [k][token] successor tokens
    final double[][][] nextP;        // [k][token] their probabilities
    final double stop;               // probability that a document ends after a token
    final double[] firstMix;         // Σ_k π_k·first_k: the predictive of a document's first token
    private double[][] stationary;   // lazily: expected visits per document, [k][token]

    public SyntheticCorpus(Params p) {
        this.p = p;
        SplittableRandom r = new SplittableRandom(p.seed * 0x9E3779B97F4A7C15L + 7);
        int K = p.langs, V = p.vocab;
        prior = new double[K];
        double z = 0;
        for (int k = 0; k < K; k++) z += prior[k] = Math.pow(k + 1, -p.zipf);
        for (int k = 0; k < K; k++) prior[k] /= z;
        first = new double[K][V];
        next = new int[K][V][];
        nextP = new double[K][V][];
        for (int k = 0; k < K; k++) {
            first[k] = randomSimplex(r, V, p.successors * 2);
            for (int t = 1; t < V; t++) {
                int[] succ = r.ints(1, V).distinct().limit(p.successors).toArray();
                Arrays.sort(succ);
                double[] w = new double[succ.length];
                double s = 0;
                for (int i = 0; i < w.length; i++) s += w[i] = -Math.log(1 - r.nextDouble()); // Dirichlet(1)
                for (int i = 0; i < w.length; i++) w[i] /= s;
                next[k][t] = succ;
                nextP[k][t] = w;
            }
        }
        stop = 1 / p.docLen;
        firstMix = new double[V];
        for (int k = 0; k < K; k++) for (int v = 0; v < V; v++) firstMix[v] += prior[k] * first[k][v];
    }

    /** A distribution over tokens 1 … V−1 with {@code support} random nonzero entries. */
    private static double[] randomSimplex(SplittableRandom r, int V, int support) {
        double[] d = new double[V];
        int[] idx = r.ints(1, V).distinct().limit(Math.min(support, V - 1)).toArray();
        double s = 0;
        for (int i : idx) s += d[i] = -Math.log(1 - r.nextDouble());
        for (int i : idx) d[i] /= s;
        return d;
    }

    /** p_k(x | prev): prev = 0 means the document's first token. */
    double prob(int k, int prev, int x) {
        if (prev == 0) return first[k][x];
        int[] s = next[k][prev];
        int i = Arrays.binarySearch(s, x);
        return i >= 0 ? nextP[k][prev][i] : 0;
    }

    /** n tokens of whole documents (the stream starts at a document boundary). */
    int[] generate(long seed, int n) {
        int[] out = new int[n];
        new Stream(seed, n).fill(out, 0, n);
        return out;
    }

    /**
     * The token stream of {@link #generate} produced piece by piece, identical to it for the same seed
     * and length: documents are drawn until {@code n} tokens exist, the last one cut short.
     */
    final class Stream {
        private final SplittableRandom r;
        private long remaining;
        private int k = -1, prev;
        private boolean pendingSep;

        Stream(long seed, long n) {
            this.r = new SplittableRandom(seed);
            this.remaining = n;
        }

        /** Writes up to {@code len} tokens into {@code buf[off …]}; returns how many. */
        int fill(int[] buf, int off, int len) {
            int i = 0;
            while (i < len && remaining > 0) {
                if (pendingSep) {
                    buf[off + i++] = 0;
                    remaining--;
                    pendingSep = false;
                    k = -1;
                    continue;
                }
                if (k < 0) {
                    k = sample(r, prior);
                    prev = 0;
                }
                int x = prev == 0 ? sample(r, first[k]) : next[k][prev][sample(r, nextP[k][prev])];
                buf[off + i++] = x;
                remaining--;
                prev = x;
                if (remaining > 0 && r.nextDouble() < stop) pendingSep = true;
            }
            return i;
        }
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

    /**
     * The Bayes-optimal mean loss (nats/token) of predicting tokens 1 … n−1 of a stream from their whole
     * document so far. {@code expected[0]}, when given, receives the mean conditional entropy of those
     * predictions (the loss expected under the predictive itself), a check on the computation.
     */
    double floor(int[] s, double[] expected) {
        // The stream starts at a document boundary, so s[0] is a document's first token (or a separator).
        boolean sep = s[0] == 0;
        return windowLoss(s, 0, s.length, sep ? prior.clone() : update(prior.clone(), 0, s[0]), sep, expected);
    }

    /**
     * The Bayes-optimal loss of a model that sees at most {@code nCtx} tokens, as a run evaluates it:
     * windows of nCtx+1 tokens, each position predicted from the window's earlier tokens only. The
     * validation stream is cut into windows starting every nCtx tokens, so each token after the first
     * is predicted exactly once, from 1 … nCtx tokens of context (uniformly). A window starts at a
     * random point of the process: its first token's sub-language has the stationary posterior
     * ∝ π_k·ρ_k(x), ρ_k the expected visits of token x in a document of sub-language k.
     */
    double floorAtContext(int[] s, int nCtx, double[] expected) {
        if (nCtx < 1) throw new UserError("nCtx must be ≥ 1 for a context floor, got " + nCtx);
        double[][] stat = stationary();
        double sum = 0, ent = 0;
        long count = 0;
        double[] e = expected == null ? null : new double[1];
        for (int start = 0; start + 1 < s.length; start += nCtx) {
            int end = Math.min(s.length, start + nCtx + 1);
            boolean sep = s[start] == 0;
            double[] post = prior.clone();
            if (!sep) {
                for (int k = 0; k < p.langs; k++) post[k] *= stat[k][s[start]];
                normalise(post);
            }
            int n = end - start - 1;
            sum += windowLoss(s, start, end, post, sep, e) * n;
            if (e != null) ent += e[0] * n;
            count += n;
        }
        if (expected != null) expected[0] = ent / count;
        return sum / count;
    }

    /**
     * Mean −ln p(x_t | x_from … x_t−1) over t in (from, to): the forward algorithm of a static latent
     * sub-language, reset at every separator. {@code post} is the posterior over sub-languages after
     * x_from; {@code afterSep} tells whether x_from is a separator.
     */
    private double windowLoss(int[] s, int from, int to, double[] post, boolean afterSep, double[] expected) {
        int K = p.langs;
        int prev = s[from];
        double sum = 0, ent = 0;
        double[] pred = expected == null ? null : new double[p.vocab];
        for (int t = from + 1; t < to; t++) {
            int x = s[t];
            double px;
            if (afterSep) {
                px = firstMix[x];
                if (pred != null) System.arraycopy(firstMix, 0, pred, 0, p.vocab);
            } else {
                px = x == 0 ? stop : 0;
                if (pred != null) {
                    Arrays.fill(pred, 0);
                    pred[0] = stop;
                }
                for (int k = 0; k < K; k++) {
                    if (post[k] == 0) continue;
                    int[] succ = next[k][prev];
                    double[] sp = nextP[k][prev];
                    if (pred != null) {
                        for (int i = 0; i < succ.length; i++) pred[succ[i]] += (1 - stop) * post[k] * sp[i];
                    }
                    if (x != 0) {
                        int i = Arrays.binarySearch(succ, x);
                        if (i >= 0) px += (1 - stop) * post[k] * sp[i];
                    }
                }
            }
            sum -= Math.log(px);
            if (pred != null) for (double q : pred) if (q > 0) ent -= q * Math.log(q);
            if (x == 0) {
                post = prior.clone();
                afterSep = true;
            } else {
                post = update(post, afterSep ? 0 : prev, x);
                afterSep = false;
            }
            prev = x;
        }
        int n = to - from - 1;
        if (expected != null) expected[0] = ent / n;
        return sum / n;
    }

    private double[] update(double[] post, int prev, int x) {
        double z = 0;
        double[] out = new double[post.length];
        for (int k = 0; k < post.length; k++) z += out[k] = post[k] * prob(k, prev, x);
        for (int k = 0; k < post.length; k++) out[k] /= z;
        return out;
    }

    private static void normalise(double[] v) {
        double z = 0;
        for (double x : v) z += x;
        for (int i = 0; i < v.length; i++) v[i] /= z;
    }

    /**
     * ρ_k(x): expected number of times token x occurs in a document of sub-language k, the solution of
     * ρ = first_k + (1 − 1/docLen)·ρ·P_k, by fixed-point iteration to 1e-13.
     */
    double[][] stationary() {
        if (stationary != null) return stationary;
        int K = p.langs, V = p.vocab;
        double[][] out = new double[K][];
        double keep = 1 - stop;
        for (int k = 0; k < K; k++) {
            double[] rho = first[k].clone(), nxt = new double[V];
            for (int it = 0; it < 100_000; it++) {
                System.arraycopy(first[k], 0, nxt, 0, V);
                for (int t = 1; t < V; t++) {
                    if (rho[t] == 0) continue;
                    int[] succ = next[k][t];
                    double[] sp = nextP[k][t];
                    for (int i = 0; i < succ.length; i++) nxt[succ[i]] += keep * rho[t] * sp[i];
                }
                double d = 0;
                for (int t = 0; t < V; t++) d = Math.max(d, Math.abs(nxt[t] - rho[t]));
                double[] tmp = rho;
                rho = nxt;
                nxt = tmp;
                if (d < 1e-13) break;
            }
            out[k] = rho;
        }
        stationary = out;
        return out;
    }

    /** The tokenizer of synthetic corpora: the separator is a newline, tokens are printable characters. */
    public static CharTokenizer tokenizer(int vocab) {
        int[] cps = new int[vocab];
        cps[0] = '\n';
        int cp = 0x21;
        for (int i = 1; i < vocab; i++) {
            cps[i] = cp++;
            if (cp == 0x7F) cp = 0xA1;
            if (cp == 0xAD) cp++; // soft hyphen is invisible
        }
        return new CharTokenizer(cps);
    }

    /** The corpus as a dataset: its own train and validation streams, and the exact floor of the latter. */
    public static Dataset dataset(String spec) {
        return dataset(spec, DataSpec.DEFAULT.seed());
    }

    /** The last corpus generated in this process, by (spec, budget seed): a warm worker's runs share it. */
    private static final Object LAST_LOCK = new Object();
    private static String lastKey;
    private static Dataset last;

    /**
     * As {@link #dataset(String)}; {@code budgetSeed} orders the blocks of a token budget. A corpus is a
     * pure function of its spec and seed and a Dataset does not change once built, so the last one is
     * kept and handed out again: a process that trains runs back to back ({@code sweep run --reuse-jvm})
     * generates it once (0.17 s for the default corpus here) instead of before every run.
     */
    static Dataset dataset(String spec, long budgetSeed) {
        String key = spec + "\u0000" + budgetSeed;
        synchronized (LAST_LOCK) {
            if (key.equals(lastKey)) return last;
        }
        Dataset d = generate(spec, budgetSeed);
        synchronized (LAST_LOCK) {
            lastKey = key;
            last = d;
        }
        return d;
    }

    /** Drops the kept corpus, so that the next {@link #dataset} generates it again (tests). */
    static void forgetLast() {
        synchronized (LAST_LOCK) {
            lastKey = null;
            last = null;
        }
    }

    private static Dataset generate(String spec, long budgetSeed) {
        if (version(spec) == 2) return SyntheticV2.dataset(spec, budgetSeed);
        Params p = Params.parse(spec);
        if (p.tokens > Integer.MAX_VALUE - 8) {
            throw new UserError("data.corpus '" + spec + "': more than 2^31 tokens do not fit in memory; prepare it once with "
                    + "'scalelab data prepare --corpus " + spec + " --out DIR' and train on DIR");
        }
        SyntheticCorpus c = new SyntheticCorpus(p);
        int[] train = c.generate(p.seed * 31 + 1, (int) p.tokens);
        int[] val = c.generate(p.seed * 31 + 2, p.valTokens);
        double floor = c.floor(val, null);
        String name = p.canonical();
        return new Dataset(name, spec, tokenizer(p.vocab), TokenSource.of(train), TokenSource.of(val), floor, "generated", budgetSeed,
                null, null, null, nCtx -> c.floorAtContext(val, nCtx, null), name);
    }

    /**
     * The context floor of a store's validation tokens, from the generator settings in its metadata
     * ({@code synthetic} of val.meta.json): either version.
     */
    static java.util.function.IntToDoubleFunction contextFloor(String generator, TokenSource val) {
        if (version(generator) == 2) {
            SyntheticV2 gen = SyntheticV2.of(SyntheticV2.Params.parse(generator));
            return nCtx -> gen.mixture().floorAtContext(Dataset.toArray(val), nCtx, null);
        }
        SyntheticCorpus gen = new SyntheticCorpus(Params.parse(generator));
        return nCtx -> gen.floorAtContext(Dataset.toArray(val), nCtx, null);
    }

    /** Generates the corpus into a token store folder, streaming, so any size fits. */
    static Prepare.Report toStore(String spec, Prepare.Options o, Path dir, Path out, long t0) {
        if (version(spec) == 2) return SyntheticV2.toStore(spec, o, dir, out, t0);
        Params p = Params.parse(spec);
        SyntheticCorpus c = new SyntheticCorpus(p);
        CharTokenizer tok = tokenizer(p.vocab);
        String dtype = TokenStore.dtypeFor(tok.vocabSize());
        int w = TokenStore.width(dtype);
        long e0 = System.nanoTime();
        Progress bar = Prepare.bar(o, "generate " + p.canonical(), (p.tokens + p.valTokens) * w);
        int[] buf = new int[1 << 16];
        long[] docs = new long[2];
        try (TokenSink.File train = new TokenSink.File(dir.resolve("train.bin"), w)) {
            Stream s = c.new Stream(p.seed * 31 + 1, p.tokens);
            for (int n; (n = s.fill(buf, 0, buf.length)) > 0; ) {
                train.write(buf, 0, n);
                for (int i = 0; i < n; i++) if (buf[i] == 0) docs[0]++;
                bar.advance((long) n * w);
            }
        }
        int[] val = c.generate(p.seed * 31 + 2, p.valTokens);
        try (TokenSink.File v = new TokenSink.File(dir.resolve("val.bin"), w)) {
            v.write(val, 0, val.length);
        }
        for (int x : val) if (x == 0) docs[1]++;
        bar.advance((long) val.length * w);
        bar.finish();
        double floor = c.floor(val, null);
        return finishStore(spec, p.canonical(), p.seed, p.tokens, p.valTokens, tok, dtype, docs, floor, dir, out, e0, t0);
    }

    /**
     * What a generated store holds beside its token files, the same for every version of the corpus: the
     * tokenizer (and nanoGPT's meta.pkl), and each split's meta file with the generator's settings and, for
     * validation, its exact floor; then the report. {@code docs} counts each split's separators.
     */
    static Prepare.Report finishStore(String spec, String canonical, long seed, long trainTokens, long valTokens, CharTokenizer tok,
                                      String dtype, long[] docs, double floor, Path dir, Path out, long e0, long t0) {
        int w = TokenStore.width(dtype);
        double genS = (System.nanoTime() - e0) / 1e9;
        tok.save(dir.resolve(TokenStore.TOKENIZER_FILE));
        Pickles.writeNanogptMeta(dir, tok);
        String tokSha = Files2.sha256(Tokenizers.fileBytes(tok));
        String created = java.time.Instant.now().toString();
        for (String split : new String[]{"train", "val"}) {
            boolean t = split.equals("train");
            long n = t ? trainTokens : valTokens;
            StoreMeta m = new StoreMeta(TokenStore.FORMAT, TokenStore.VERSION, split, split + ".bin", dtype, "little", n, n * w,
                    Prepare.sha(dir.resolve(split + ".bin")), tok.vocabSize(), "char", TokenStore.TOKENIZER_FILE, tokSha, null,
                    docs[t ? 0 : 1] + 1, null, canonical, 0, 0L, null, "generated", null, seed, null, null, null,
                    canonical, t ? null : floor, created);
            Files2.writeAtomic(dir.resolve(split + ".meta.json"), Json.pretty(m));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        return new Prepare.Report(out, spec, "char", tok.vocabSize(), dtype, trainTokens, valTokens, docs[0] + docs[1] + 2, 0, 0, genS, s);
    }
}
