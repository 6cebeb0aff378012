package org.scalelab.datasets;

import java.util.Arrays;

/**
 * A mixture of first-order Markov chains over tokens 1 … V−1 with a shared end-of-document probability:
 * a document picks chain c with probability {@code prior[c]}, draws its first token from {@code first_c},
 * then after every token ends with probability {@code stop} (the separator 0 is emitted) or moves on with
 * the transition probabilities of chain c. This is the generative model of {@link SyntheticV2} (one chain
 * per sub-language) and of its n-quanta oracle (n sub-languages plus one pooled chain).
 *
 * <p>The losses are those of the Bayes predictor of this model: the posterior over the chain of the
 * current document is updated token by token (the forward algorithm of a static latent, reset at every
 * separator). Chains whose posterior is exactly zero (a transition they cannot make) are dropped from the
 * sum, which keeps a pass O(tokens · live chains) rather than O(tokens · chains): after a few tokens of a
 * document usually one chain is left. Nothing is approximated by the pruning; a dropped chain
 * would contribute 0 to every later sum.
 */
final class MarkovMixture {
    /** One chain: dense first-token and visit distributions, transitions as sorted sparse rows. */
    static final class Chain {
        final double[] first;   // [V] first-token distribution (first[0] = 0)
        final double[] visits;  // [V] ρ(x): expected occurrences of x in a document of this chain
        final int[] rowOff;     // [V+1] row a is succ/prob[rowOff[a] … rowOff[a+1])
        final int[] succ;       // successor tokens, ascending within a row
        final double[] prob;    // their probabilities (a row sums to 1)

        Chain(double[] first, double[] visits, int[] rowOff, int[] succ, double[] prob) {
            this.first = first;
            this.visits = visits;
            this.rowOff = rowOff;
            this.succ = succ;
            this.prob = prob;
        }

        /** P(next = b | current = a), a ≥ 1. */
        double trans(int a, int b) {
            int lo = rowOff[a], hi = rowOff[a + 1];
            if (hi - lo <= 8) {
                for (int i = lo; i < hi; i++) {
                    int s = succ[i];
                    if (s == b) return prob[i];
                    if (s > b) return 0;
                }
                return 0;
            }
            int i = Arrays.binarySearch(succ, lo, hi, b);
            return i >= 0 ? prob[i] : 0;
        }
    }

    final double[] prior;
    final Chain[] chains;
    final int vocab;
    final double stop;
    final double[] firstMix;     // Σ_c prior_c·first_c: the predictive of a document's first token
    private final int[][] byFirst;  // [x] chains with first_c(x) > 0
    private final int[][] byVisit;  // [x] chains with visits_c(x) > 0

    MarkovMixture(double[] prior, Chain[] chains, int vocab, double stop) {
        if (prior.length != chains.length) throw new IllegalArgumentException(prior.length + " weights for " + chains.length + " chains");
        this.prior = prior;
        this.chains = chains;
        this.vocab = vocab;
        this.stop = stop;
        firstMix = new double[vocab];
        int[] nf = new int[vocab], nv = new int[vocab];
        for (int c = 0; c < chains.length; c++) {
            for (int x = 0; x < vocab; x++) {
                if (chains[c].first[x] > 0) {
                    firstMix[x] += prior[c] * chains[c].first[x];
                    nf[x]++;
                }
                if (chains[c].visits[x] > 0) nv[x]++;
            }
        }
        byFirst = new int[vocab][];
        byVisit = new int[vocab][];
        for (int x = 0; x < vocab; x++) {
            byFirst[x] = new int[nf[x]];
            byVisit[x] = new int[nv[x]];
            nf[x] = nv[x] = 0;
        }
        for (int c = 0; c < chains.length; c++) {
            if (prior[c] == 0) continue;
            for (int x = 0; x < vocab; x++) {
                if (chains[c].first[x] > 0) byFirst[x][nf[x]++] = c;
                if (chains[c].visits[x] > 0) byVisit[x][nv[x]++] = c;
            }
        }
        for (int x = 0; x < vocab; x++) {
            byFirst[x] = Arrays.copyOf(byFirst[x], nf[x]);
            byVisit[x] = Arrays.copyOf(byVisit[x], nv[x]);
        }
    }

    /**
     * The Bayes-optimal mean loss (nats/token) of predicting tokens 1 … n−1 of a stream that starts at a
     * document boundary, each from its whole document so far. {@code expected[0]}, when given, receives
     * the mean entropy of those predictions (the loss expected under the predictive itself).
     */
    double floor(int[] s, double[] expected) {
        Posterior q = new Posterior(chains.length);
        if (s[0] != 0) q.start(byFirst[s[0]], c -> prior[c] * chains[c].first[s[0]]);
        return pass(s, 0, s.length, q, expected);
    }

    /**
     * The Bayes-optimal loss of a model that sees at most nCtx tokens, as a run evaluates it: windows of
     * nCtx+1 tokens starting every nCtx tokens, so that each token after the first is predicted exactly
     * once, from 1 … nCtx tokens of context (uniformly, as random evaluation windows give in expectation).
     * A window starts at a random point of the process: the chain of its first token x has the posterior
     * ∝ prior_c·ρ_c(x), and is unknown (the prior) when x is a separator.
     */
    double floorAtContext(int[] s, int nCtx, double[] expected) {
        if (nCtx < 1) throw new UserError("nCtx must be ≥ 1 for a context floor, got " + nCtx);
        Posterior q = new Posterior(chains.length);
        double sum = 0, ent = 0;
        long count = 0;
        double[] e = expected == null ? null : new double[1];
        for (int start = 0; start + 1 < s.length; start += nCtx) {
            int end = Math.min(s.length, start + nCtx + 1);
            int x = s[start];
            if (x == 0) q.reset();
            else q.start(byVisit[x], c -> prior[c] * chains[c].visits[x]);
            int n = end - start - 1;
            sum += pass(s, start, end, q, e) * n;
            if (e != null) ent += e[0] * n;
            count += n;
        }
        if (expected != null) expected[0] = ent / count;
        return sum / count;
    }

    /** The posterior over chains: the live ones and their weights, or "the prior" right after a separator. */
    private static final class Posterior {
        final int[] live;
        final double[] w;
        int n;
        boolean afterSep = true;

        Posterior(int chains) {
            live = new int[chains];
            w = new double[chains];
        }

        void reset() {
            afterSep = true;
            n = 0;
        }

        /** Weights ∝ weight(c) over {@code cands}, normalised. */
        void start(int[] cands, java.util.function.IntToDoubleFunction weight) {
            afterSep = false;
            n = 0;
            double z = 0;
            for (int c : cands) {
                double v = weight.applyAsDouble(c);
                if (v > 0) {
                    live[n] = c;
                    w[n++] = v;
                    z += v;
                }
            }
            for (int i = 0; i < n; i++) w[i] /= z;
        }
    }

    /**
     * Mean −ln p(x_t | x_from … x_t−1) over t in (from, to). {@code q} is the posterior after x_from and is
     * left as the posterior after x_to−1.
     */
    private double pass(int[] s, int from, int to, Posterior q, double[] expected) {
        double keep = 1 - stop, sum = 0, ent = 0;
        double[] pred = expected == null ? null : new double[vocab];
        int prev = s[from];
        for (int t = from + 1; t < to; t++) {
            int x = s[t];
            double px;
            if (q.afterSep) {
                px = firstMix[x];
                if (pred != null) ent += entropy(firstMix);
                if (px > 0) q.start(byFirst[x], c -> prior[c] * chains[c].first[x]);
            } else {
                if (pred != null) {
                    Arrays.fill(pred, 0);
                    pred[0] = stop;
                    for (int i = 0; i < q.n; i++) {
                        Chain ch = chains[q.live[i]];
                        for (int j = ch.rowOff[prev]; j < ch.rowOff[prev + 1]; j++) pred[ch.succ[j]] += keep * q.w[i] * ch.prob[j];
                    }
                    ent += entropy(pred);
                }
                if (x == 0) {
                    px = stop;
                    q.reset();
                } else {
                    int m = 0;
                    double z = 0;
                    for (int i = 0; i < q.n; i++) {
                        double v = q.w[i] * chains[q.live[i]].trans(prev, x);
                        if (v > 0) {
                            q.live[m] = q.live[i];
                            q.w[m++] = v;
                            z += v;
                        }
                    }
                    q.n = m;
                    px = keep * z;
                    for (int i = 0; i < m; i++) q.w[i] /= z;
                }
            }
            if (!(px > 0)) {
                throw new IllegalStateException("token " + x + " after " + prev + " at position " + t + " has probability 0 under the mixture");
            }
            sum -= Math.log(px);
            prev = x;
        }
        int n = to - from - 1;
        if (expected != null) expected[0] = ent / n;
        return sum / n;
    }

    private static double entropy(double[] p) {
        double h = 0;
        for (double v : p) if (v > 0) h -= v * Math.log(v);
        return h;
    }

    /**
     * ρ(x): expected occurrences of token x in one document of a chain, the solution of
     * ρ = first + (1 − stop)·ρ·P, by fixed-point iteration (the error shrinks by (1 − stop) a step) to
     * 1e-13.
     */
    static double[] visits(double[] first, int[] rowOff, int[] succ, double[] prob, double stop) {
        int V = first.length;
        double keep = 1 - stop;
        double[] rho = first.clone(), nxt = new double[V];
        for (int it = 0; it < 1_000_000; it++) {
            System.arraycopy(first, 0, nxt, 0, V);
            for (int a = 1; a < V; a++) {
                double r = rho[a];
                if (r == 0) continue;
                for (int j = rowOff[a]; j < rowOff[a + 1]; j++) nxt[succ[j]] += keep * r * prob[j];
            }
            double d = 0;
            for (int t = 0; t < V; t++) d = Math.max(d, Math.abs(nxt[t] - rho[t]));
            double[] tmp = rho;
            rho = nxt;
            nxt = tmp;
            if (d < 1e-13) break;
        }
        return rho;
    }
}
