package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.kernels.Buf;

import java.nio.FloatBuffer;

/**
 * x = wte[token] (+ wpe[position] with learned positions). In the graph the lookup is a product with one-hot
 * rows: SameDiff 1.0.0-M2.1's {@code gather} has a wrong gradient (README.md, "The model": the engines table).
 */
final class Embedding {
    final ParamLayout.Tensor wte, wpe;   // wpe null with rotary positions
    private final int d, T;

    Embedding(ParamLayout layout, int V, int T, int d, boolean learnedPositions, double std) {
        this.d = d;
        this.T = T;
        this.wte = layout.add("wte", ParamLayout.Init.NORMAL, std, ParamLayout.Role.TOKEN_EMBEDDING, V, d);
        this.wpe = learnedPositions ? layout.add("wpe", ParamLayout.Init.NORMAL, std, ParamLayout.Role.POSITION_EMBEDDING, T, d) : null;
    }

    /** tokens (N) → x (N, d). */
    void forward(Pass ps, int[] tokens, Buf x) {
        FloatBuffer out = x.b(), te = ps.p(wte).b(), pe = wpe == null ? null : ps.p(wpe).b();
        float[] row = new float[d], pos = new float[d];
        for (int n = 0; n < ps.N; n++) {
            te.get(tokens[n] * d, row, 0, d);
            if (pe != null) {
                pe.get((n % T) * d, pos, 0, d);
                for (int i = 0; i < d; i++) row[i] += pos[i];
            }
            out.put(n * d, row, 0, d);
        }
        ps.tick("f.embed");
    }

    /** Adds dx (N, d) into the rows of wte (and wpe) that the tokens (positions) selected. */
    void backward(Pass ps, int[] tokens, Buf dx) {
        FloatBuffer g = dx.b(), gte = ps.g(wte).b(), gpe = wpe == null ? null : ps.g(wpe).b();
        float[] e = new float[d], acc = new float[d];
        for (int n = 0; n < ps.N; n++) {
            g.get(n * d, e, 0, d);
            int tOff = tokens[n] * d;
            gte.get(tOff, acc, 0, d);
            for (int i = 0; i < d; i++) acc[i] += e[i];
            gte.put(tOff, acc, 0, d);
            if (gpe != null) {
                int pOff = (n % T) * d;
                gpe.get(pOff, acc, 0, d);
                for (int i = 0; i < d; i++) acc[i] += e[i];
                gpe.put(pOff, acc, 0, d);
            }
        }
        ps.tick("b.embed");
    }

    /** one-hot tokens (B·T, V) → x (B, T, d). */
    SDVariable emit(Graph g, SDVariable oneHot) {
        SDVariable x = g.sd.mmul(oneHot, g.var(wte)).reshape(-1, T, d);
        return wpe == null ? x : x.add(g.var(wpe));
    }
}
