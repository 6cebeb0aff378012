package org.scalelab.sweeps;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.ModelConfig;

import java.util.List;

/**
 * How long a run takes, for plans and ETAs: {@code startup + D·(nLayer·overhead + F/rate)} seconds,
 * where D is the tokens it trains on and F its training FLOPs per token, 3·(C_fwd + 2·dModel·nVocab)
 * (forward and backward, attention and unembedding included). The per-layer overhead is what small
 * models spend outside their matrix products (op dispatch, allocation, norms), which grows with the
 * number of ops, not their size; without it tiny runs would be predicted several times too fast.
 *
 * @param startupS  seconds per run before its first step (JVM start, data preparation)
 * @param overheadS seconds per token and layer that do not scale with the width
 * @param flopsPerS achieved training FLOP/s
 */
record TimeModel(double startupS, double overheadS, double flopsPerS) {
    /** Vocabulary assumed when a corpus' is not known yet. */
    static final int VOCAB_GUESS = 256;

    /**
     * Fitted (as {@link #calibrate} fits a sweep) to 116 runs of kaplan-tiny, completep-depth-16 and
     * mup-multipliers on the 2-core development machine with nothing else running, 2026-12-04 (CPU
     * engine, N = 3.3 k … 1.6 M, 1 … 16 layers, one run at a time with both cores): 4.2 µs per token and
     * layer plus 149 GFLOP/s, median error 6% per run; the constants before (8.7 µs, 49 GFLOP/s, fitted to
     * an older step, partly under load) were 2.3× slow on these runs. Start-up: 0.9 s was the median per
     * run of kaplan-tiny in processes of their own.
     */
    static TimeModel defaults() {
        return new TimeModel(1, 4.2e-6, 149e9);
    }

    static double flopsPerToken(ModelConfig m, int vocab) {
        Accounting a = Accounting.of(m.withVocab(Math.max(1, vocab)));
        return 3 * (a.flopsPerTokenFwd() + 2.0 * m.dModel() * Math.max(1, vocab));
    }

    TimeModel withStartup(double seconds) {
        return new TimeModel(seconds, overheadS, flopsPerS);
    }

    /** Seconds of training (without startup) for {@code tokens} tokens. */
    double trainSeconds(double tokens, int nLayer, double flopsPerToken) {
        return tokens * (nLayer * overheadS + flopsPerToken / flopsPerS);
    }

    double runSeconds(double tokens, int nLayer, double flopsPerToken) {
        return startupS + trainSeconds(tokens, nLayer, flopsPerToken);
    }

    /** A measured run: its tokens, depth, FLOPs per token and training wall time. */
    record Sample(double tokens, int nLayer, double flopsPerToken, double wallS) {}

    /**
     * This model refitted to finished runs: seconds per token = nLayer·overhead + F/rate by least squares
     * when the runs span shapes enough to tell the two apart, else this model scaled to their total time.
     */
    TimeModel calibrate(List<Sample> runs) {
        List<Sample> ok = runs.stream().filter(s -> s.tokens > 0 && s.wallS > 0).toList();
        if (ok.isEmpty()) return this;
        // normal equations of y = a·L + b·F, y = seconds per token
        double sll = 0, slf = 0, sff = 0, sly = 0, sfy = 0;
        for (Sample s : ok) {
            double y = s.wallS / s.tokens, l = s.nLayer, f = s.flopsPerToken;
            sll += l * l;
            slf += l * f;
            sff += f * f;
            sly += l * y;
            sfy += f * y;
        }
        double det = sll * sff - slf * slf;
        if (ok.size() >= 3 && det > 1e-6 * sll * sff) {
            double a = (sly * sff - slf * sfy) / det, b = (sll * sfy - slf * sly) / det;
            if (a > 0 && b > 0) return new TimeModel(startupS, a, 1 / b);
        }
        double measured = 0, predicted = 0;
        for (Sample s : ok) {
            measured += s.wallS;
            predicted += trainSeconds(s.tokens, s.nLayer, s.flopsPerToken);
        }
        double k = measured / predicted;
        return new TimeModel(startupS, overheadS * k, flopsPerS / k);
    }
}
