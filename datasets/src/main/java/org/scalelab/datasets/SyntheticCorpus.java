package org.scalelab.datasets;

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
 */
public final class SyntheticCorpus {
    /** Generator settings: {@code synthetic:seed=1,tokens=2000000,langs=64,vocab=128,...}. */
    public record Params(long seed, long tokens, int valTokens, int langs, int vocab, int successors, double zipf, double docLen) {
        public static Params parse(String spec) {
            Map<String, String> kv = new LinkedHashMap<>();
            int colon = spec.indexOf(':');
            if (colon > 0) {
                for (String part : spec.substring(colon + 1).split(",")) {
                    if (part.isBlank()) continue;
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
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[n];
        int i = 0;
        while (i < n) {
            int k = sample(r, prior);
            int prev = 0;
            while (i < n) {
                int x = prev == 0 ? sample(r, first[k]) : next[k][prev][sample(r, nextP[k][prev])];
                out[i++] = x;
                prev = x;
                if (i < n && r.nextDouble() < stop) {
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

    /**
     * The Bayes-optimal mean loss (nats/token) of predicting tokens 1 … n−1 of a stream from their whole
     * document so far. {@code expected[0]}, when given, receives the mean conditional entropy of those
     * predictions (the loss expected under the predictive itself), a check on the computation.
     */
    double floor(int[] s, double[] expected) {
        int K = p.langs;
        // The stream starts at a document boundary, so s[0] is a document's first token (or a separator).
        double[] post = s[0] == 0 ? prior.clone() : update(prior.clone(), 0, s[0]);
        boolean afterSep = s[0] == 0;
        int prev = s[0];
        double sum = 0, ent = 0;
        double[] pred = new double[p.vocab];
        for (int t = 1; t < s.length; t++) {
            int x = s[t];
            // predictive over the next token: the separator (if a document is open) or a chain step
            Arrays.fill(pred, 0);
            if (afterSep) {
                for (int k = 0; k < K; k++) for (int v = 1; v < p.vocab; v++) pred[v] += prior[k] * first[k][v];
            } else {
                pred[0] = stop;
                for (int k = 0; k < K; k++) {
                    if (post[k] == 0) continue;
                    int[] succ = next[k][prev];
                    for (int i = 0; i < succ.length; i++) pred[succ[i]] += (1 - stop) * post[k] * nextP[k][prev][i];
                }
            }
            sum -= Math.log(pred[x]);
            if (expected != null) for (double q : pred) if (q > 0) ent -= q * Math.log(q);
            if (x == 0) {
                post = prior.clone();
                afterSep = true;
            } else {
                post = update(post, afterSep ? 0 : prev, x);
                afterSep = false;
            }
            prev = x;
        }
        if (expected != null) expected[0] = ent / (s.length - 1);
        return sum / (s.length - 1);
    }

    private double[] update(double[] post, int prev, int x) {
        double z = 0;
        double[] out = new double[post.length];
        for (int k = 0; k < post.length; k++) z += out[k] = post[k] * prob(k, prev, x);
        for (int k = 0; k < post.length; k++) out[k] /= z;
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
        Params p = Params.parse(spec);
        if (p.tokens > Integer.MAX_VALUE - 8) throw new UserError("data.corpus '" + spec + "': tokens must be < 2^31");
        SyntheticCorpus c = new SyntheticCorpus(p);
        int[] train = c.generate(p.seed * 31 + 1, (int) p.tokens);
        int[] val = c.generate(p.seed * 31 + 2, p.valTokens);
        double floor = c.floor(val, null);
        return new Dataset(p.canonical(), tokenizer(p.vocab), TokenSource.of(train), TokenSource.of(val), floor);
    }
}
