package org.scalelab.trainer.model;

import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The decoder-only transformer, read top-down like nanoGPT's model.py:
 * <pre>
 *   tokens (B, T) → embedding (+ learned positions)        x (B·T, d)
 *   nLayer × block: x + attn(norm(x)), x + mlp(norm(x))    x (B·T, d)     (rotary positions inside attn)
 *   norm → head (tied to the embedding, or lm_head)         logits (B·T, V)
 *   mean cross-entropy in nats
 * </pre>
 * Building it declares the parameters ({@link ParamLayout}). The same layers are walked by both engines:
 * {@link #forward}/{@link #backward} on host buffers ({@code engine.CpuEngine}) and {@link #emit} into a
 * SameDiff graph ({@code engine.GraphEngine}).
 */
public final class Transformer {
    private final ModelConfig cfg;
    private final ParamLayout layout = new ParamLayout();
    final Embedding embedding;
    final List<Block> blocks = new ArrayList<>();
    final Norm normF;
    final Head head;

    private Transformer(ModelConfig c, boolean validate) {
        this.cfg = validate ? c.validate() : c;
        int d = c.dModel(), T = c.nCtx(), V = c.nVocab();
        double std = 0.02;
        boolean rope = c.position() == ModelConfig.Position.ROPE;
        embedding = new Embedding(layout, V, T, d, !rope, std);                              // wte (V, d), wpe (T, d)
        Rope r = rope ? new Rope(T, d, c.headSize()) : null;
        Parameterization pz = Parameterization.of(c);
        for (int l = 0; l < c.nLayer(); l++) blocks.add(new Block(c, pz, layout, l, r));   // h{l}.…
        normF = Norm.of(c, layout, "ln_f");
        head = new Head(layout, embedding, c.tiedOutput(), d, V, std, pz.outputMultiplier()); // lm_head (d, V) if untied
    }

    public static Transformer of(ModelConfig cfg) {
        return new Transformer(cfg, true);
    }

    /** The layout of a config that may not be valid as a whole (the planner counts shapes before choosing). */
    static ParamLayout layoutOf(ModelConfig cfg) {
        return new Transformer(cfg, false).layout;
    }

    public ModelConfig config() { return cfg; }

    public ParamLayout layout() { return layout; }

    // --- host passes ---------------------------------------------------------------------------------

    /** Activations for micro-batches of B sequences: kept per block for a backward pass, or one set reused. */
    public Activations activations(int B, boolean training, Buf[] params, Buf[] grads, Pass.Options options) {
        return new Activations(this, B, training, params, grads, options);
    }

    /**
     * Forward through the last norm: the embedding, every block, and norm_f into {@code a.normed}; with
     * {@code dropout} through the activations' masks (training passes only).
     */
    private void trunk(Activations a, int[] tokens, boolean dropout) {
        Buf[] masks = dropout ? a.masks : null;
        Pass ps = a.ps;
        ps.tick(null);
        embedding.forward(ps, tokens, a.x(0));                                                // (N, d)
        if (masks != null) Kernels.mul(a.x(0).b(), masks[0].b(), a.x(0).b(), ps.N * cfg.dModel());
        for (Block b : blocks) {
            int l = b.index;
            b.forward(ps, a.x(l), a.x(l + 1), a.block(l), a.scratch, masks == null ? null : masks[1 + 2 * l],
                    masks == null ? null : masks[2 + 2 * l]);
        }
        normF.forward(ps, a.x(blocks.size()), a.normed, a.statsF, ps.N);                      // (N, d)
    }

    /**
     * Training forward pass: logits (N, V) of every position, then the mean cross-entropy against
     * {@code targets}, leaving ∂loss/∂logits in the logits buffer for {@link #backward}.
     */
    public double forward(Activations a, int[] tokens, int[] targets) {
        trunk(a, tokens, true);
        head.forward(a.ps, a.normed, 0, a.ps.N, a.logits);                                  // (N, V)
        double loss = Kernels.crossEntropy(a.logits.b(), targets, a.ps.N, cfg.nVocab());
        a.ps.tick("f.loss");
        return loss;
    }

    /** Backward of the last {@link #forward}: adds the gradient of its mean loss to the gradient buffers. */
    public void backward(Activations a, int[] tokens) {
        Pass ps = a.ps;
        ps.tick(null);
        head.backward(ps, a.normed, a.logits, a.dn());
        a.dres.zero((long) ps.N * cfg.dModel());
        normF.backward(ps, a.x(blocks.size()), a.dn(), a.dres, a.statsF, ps.N);
        for (int l = blocks.size() - 1; l >= 0; l--) {
            blocks.get(l).backward(ps, a.x(l), a.dres, a.block(l), a.scratch, a.mask(1 + 2 * l), a.mask(2 + 2 * l));
        }
        if (a.masks != null) Kernels.mul(a.dres.b(), a.masks[0].b(), a.dres.b(), ps.N * cfg.dModel());
        embedding.backward(ps, tokens, a.dres);
    }

    /**
     * Mean cross-entropy of {@code targets} without dropout and without keeping anything: the logits are
     * made a chunk of rows at a time, so memory is one chunk (at most 16 MB) rather than (N, V).
     */
    public double loss(Activations a, int[] tokens, int[] targets) {
        trunk(a, tokens, false);
        int N = a.ps.N, V = cfg.nVocab(), chunk = a.logitRows;
        double sum = 0;
        for (int r0 = 0; r0 < N; r0 += chunk) {
            int rows = Math.min(chunk, N - r0);
            head.forward(a.ps, a.normed, r0, rows, a.logits);
            sum += Kernels.crossEntropySum(a.logits.b(), targets, r0, rows, V);
        }
        return sum / N;
    }

    /** The logits (N, V) of every row, without dropout, made a chunk of rows at a time. */
    public float[] logits(Activations a, int[] tokens) {
        trunk(a, tokens, false);
        int N = a.ps.N, V = cfg.nVocab(), chunk = a.logitRows;
        float[] out = new float[N * V];
        for (int r0 = 0; r0 < N; r0 += chunk) {
            int rows = Math.min(chunk, N - r0);
            head.forward(a.ps, a.normed, r0, rows, a.logits);
            a.logits.b().get(0, out, r0 * V, rows * V);
        }
        return out;
    }

    /** The logits (V) of row {@code row} (sequence row / T, position row % T), without dropout. */
    public float[] logitsAt(Activations a, int[] tokens, int row) {
        trunk(a, tokens, false);
        head.forward(a.ps, a.normed, row, 1, a.logits);
        float[] out = new float[cfg.nVocab()];
        a.logits.b().get(0, out);
        return out;
    }

    // --- the graph -----------------------------------------------------------------------------------

    /**
     * Emits the model into {@code sd} on {@code w}'s arrays: placeholders {@link Graph#TOKENS} and
     * {@link Graph#LABELS} (B·T, V) one-hot, with dropout one mask placeholder per site (B, T, d), outputs
     * {@link Graph#LOGITS} (B·T, V) and {@link Graph#LOSS}. SameDiff 1.0.0-M2.1's sparse cross-entropy has
     * a wrong gradient (README.md, "The model": the engines table), hence one-hot labels.
     */
    public Graph emit(SameDiff sd, Weights w) {
        int T = cfg.nCtx(), d = cfg.dModel(), V = cfg.nVocab();
        Graph g = new Graph(sd, w, T, d, cfg.dropout() > 0);
        SDVariable tokens = sd.placeHolder(Graph.TOKENS, g.dtype, -1, V);                   // (B·T, V) one-hot
        SDVariable labels = sd.placeHolder(Graph.LABELS, g.dtype, -1, V);                   // (B·T, V) one-hot
        SDVariable x = g.dropout(embedding.emit(g, tokens), "drop.emb");                     // (B, T, d)
        for (Block b : blocks) x = b.emit(g, x);                                             // (B, T, d)
        SDVariable h = normF.emit(g, x).reshape(-1, d);                                      // (B·T, d)
        SDVariable logits = sd.identity(Graph.LOGITS, head.emit(g, h));                      // (B·T, V)
        // Mean over the B·T positions of −log p(label); one-hot labels, weights all 1.
        sd.loss.softmaxCrossEntropy(Graph.LOSS, labels, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
        return g;
    }
}
