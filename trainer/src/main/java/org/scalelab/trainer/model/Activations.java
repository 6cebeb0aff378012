package org.scalelab.trainer.model;

import org.scalelab.trainer.kernels.Buf;

/**
 * Host buffers of the passes for micro-batches of B sequences. For training, every block keeps its own
 * activations for the backward pass, the logits are (N, V), and there are dropout masks and backward
 * scratch; for evaluation and sampling one set of block buffers is reused by every block, the residual
 * stream alternates between two buffers, and the logits are made a chunk of rows at a time, so that memory
 * is proportional to B·T·dModel plus one chunk of logits.
 */
public final class Activations {
    private static final long LOGIT_CHUNK_FLOATS = 1L << 22;   // 16 MB

    final Pass ps;
    final boolean training;
    private final Buf[] resid;              // training: nLayer + 1 (the input of each block, then the output); else 2
    private final Block.Acts[] blocks;      // training: one per block; else one shared
    final Block.Scratch scratch;
    final Buf normed, logits, dres;         // norm_f's output (N, d); logits (N or chunk rows, V); ∂loss/∂x (training)
    final float[][] statsF;
    final int logitRows;
    final Buf[] masks;                      // dropout (training, p > 0): the embedding's, then attention's and the MLP's per block

    Activations(Transformer m, int B, boolean training, Buf[] params, Buf[] grads, Pass.Options options) {
        var c = m.config();
        int T = c.nCtx(), d = c.dModel(), H = c.nHead(), V = c.nVocab(), L = c.nLayer(), N = B * T;
        this.ps = new Pass(B, T, params, training ? grads : null, options);
        this.training = training;
        Block first = m.blocks.get(0);
        resid = new Buf[training ? L + 1 : 2];
        for (int i = 0; i < resid.length; i++) resid[i] = Buf.alloc((long) N * d);
        blocks = new Block.Acts[training ? L : 1];
        for (int i = 0; i < blocks.length; i++) blocks[i] = new Block.Acts(first, B, T, d, H);
        scratch = new Block.Scratch(first, B, T, d, H, training);
        normed = Buf.alloc((long) N * d);
        statsF = new float[m.normF.stats()][N];
        logitRows = training ? N : (int) Math.max(1, Math.min(N, LOGIT_CHUNK_FLOATS / V));
        logits = Buf.alloc((long) logitRows * V);
        dres = training ? Buf.alloc((long) N * d) : null;
        if (training && c.dropout() > 0) {
            masks = new Buf[1 + 2 * L];
            for (int i = 0; i < masks.length; i++) masks[i] = Buf.alloc((long) N * d);
        } else {
            masks = null;
        }
    }

    /** The residual stream entering block l (l = nLayer: leaving the last block). */
    Buf x(int l) { return training ? resid[l] : resid[l % 2]; }

    Block.Acts block(int l) { return training ? blocks[l] : blocks[0]; }

    Buf mask(int i) { return masks == null ? null : masks[i]; }

    /** Scratch for ∂loss/∂(norm output) (N, d), used between the head and the last norm too. */
    Buf dn() { return scratch.dn; }

    /** Sequences per micro-batch. */
    public int batch() { return ps.B; }

    /**
     * The mean |x| of each layer's output after a training forward pass, in forward order (what μP's
     * coordinate check plots): the embedding, per block the attention's values before the output projection,
     * the MLP's activation and the block's output, then the last norm and the logits.
     */
    public java.util.LinkedHashMap<String, Double> meanAbs() {
        if (!training) throw new IllegalStateException("sizes of training activations only");
        java.util.LinkedHashMap<String, Double> out = new java.util.LinkedHashMap<>();
        out.put("embedding", meanAbs(resid[0]));
        for (int l = 0; l < blocks.length; l++) {
            out.put("h" + l + ".attn", meanAbs(blocks[l].attn.y));
            out.put("h" + l + ".mlp", meanAbs(blocks[l].mlp.act));
            out.put("h" + l + ".out", meanAbs(resid[l + 1]));
        }
        out.put("ln_f", meanAbs(normed));
        out.put("logits", meanAbs(logits));
        return out;
    }

    private static double meanAbs(Buf b) {
        var f = b.b();
        long n = b.size();
        double s = 0;
        for (long i = 0; i < n; i++) s += Math.abs(f.get((int) i));
        return s / n;
    }

    /** The dropout masks to fill before a training pass (already scaled by 1/(1−p)), or null without dropout. */
    public Buf[] masks() { return masks; }
}
