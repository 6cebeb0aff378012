package org.scalelab.trainer.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.kernels.Buf;
import org.scalelab.trainer.kernels.Kernels;

/** One pre-norm transformer block: x + attn(norm₁(x)), then + mlp(norm₂(·)); dropout on both branches. */
final class Block {
    final int index, d;
    /** The factor on each branch before it joins the residual stream (CompleteP's 1/k; else 1). */
    final float branchScale;
    final Norm norm1, norm2;
    final Attention attn;
    final Mlp mlp;

    /** What the forward pass of one block keeps for its backward pass, for B sequences. */
    static final class Acts {
        final Buf n1, mid, n2;                  // (N, d): norm₁(x), x + attention branch, norm₂(mid)
        final float[][] st1, st2;               // the norms' per-row statistics
        final Attention.Acts attn;
        final Mlp.Acts mlp;

        Acts(Block b, int B, int T, int d, int H) {
            int N = B * T;
            n1 = Buf.alloc((long) N * d);
            mid = Buf.alloc((long) N * d);
            n2 = Buf.alloc((long) N * d);
            st1 = new float[b.norm1.stats()][N];
            st2 = new float[b.norm2.stats()][N];
            attn = new Attention.Acts(B, T, d, H);
            mlp = new Mlp.Acts(N, b.mlp);
        }
    }

    /**
     * Buffers every block uses in turn: the branch output (forward) and, for a backward pass, the gradient
     * of a norm's output, of the MLP's activation and of its input projection, and attention's.
     */
    static final class Scratch {
        final Buf branch, dn, dact, dpre;
        final Attention.Scratch attn;

        Scratch(Block b, int B, int T, int d, int H, boolean backward) {
            int N = B * T;
            branch = Buf.alloc((long) N * d);
            dn = backward ? Buf.alloc((long) N * d) : null;
            dpre = backward ? Buf.alloc((long) N * b.mlp.inWidth()) : null;
            // GELU's backward works in place; SwiGLU's reads the (N, hidden) gradient and writes (N, 2·hidden)
            dact = !backward ? null : b.mlp.backwardInPlace() ? dpre : Buf.alloc((long) N * b.mlp.hidden());
            attn = backward ? new Attention.Scratch(B, T, d, H) : null;
        }
    }

    Block(ModelConfig c, Parameterization pz, ParamLayout layout, int index, Rope rope) {
        this.index = index;
        this.d = c.dModel();
        this.branchScale = pz.residualMultiplier();
        String p = "h" + index + ".";
        double std = pz.hiddenStd(), residStd = pz.residualStd();   // GPT-2: residual projections scaled by depth
        norm1 = Norm.of(c, layout, p + "ln1");
        attn = new Attention(layout, p + "attn", c.dModel(), c.nHead(), c.nCtx(), c.bias(), std, residStd, pz.attentionScale(), rope);
        norm2 = Norm.of(c, layout, p + "ln2");
        mlp = Mlp.of(c, layout, p + "mlp", std, residStd);
    }

    /** x (N, d) → y (N, d); masks null without dropout. */
    void forward(Pass ps, Buf x, Buf y, Acts a, Scratch s, Buf maskAttn, Buf maskMlp) {
        int n = ps.N * d;
        norm1.forward(ps, x, a.n1, a.st1, ps.N);
        attn.forward(ps, a.n1, s.branch, a.attn);
        residual(x, s.branch, maskAttn, a.mid, n);
        ps.tick("f.residual");
        norm2.forward(ps, a.mid, a.n2, a.st2, ps.N);
        mlp.forward(ps, a.n2, s.branch, a.mlp);
        residual(a.mid, s.branch, maskMlp, y, n);
        ps.tick("f.residual");
    }

    /** dres holds ∂loss/∂y on entry and ∂loss/∂x on return; x is the block's input. */
    void backward(Pass ps, Buf x, Buf dres, Acts a, Scratch s, Buf maskAttn, Buf maskMlp) {
        mlp.backward(ps, a.n2, branchGrad(dres, maskMlp, s), s.dn, a.mlp, s.dact, s.dpre);
        ps.tick(null);
        norm2.backward(ps, a.mid, s.dn, dres, a.st2, ps.N);
        attn.backward(ps, a.n1, branchGrad(dres, maskAttn, s), s.dn, a.attn, s.attn);
        ps.tick(null);
        norm1.backward(ps, x, s.dn, dres, a.st1, ps.N);
    }

    /** out = x + branchScale·(mask ⊙ branch); the branch buffer may be scaled in place. */
    private void residual(Buf x, Buf branch, Buf mask, Buf out, int n) {
        if (branchScale != 1) Kernels.scale(branch.b(), branchScale, n);
        Kernels.residual(x.b(), branch.b(), mask == null ? null : mask.b(), out.b(), n);
    }

    /** The gradient reaching a residual branch: dres, times the branch's dropout mask if any, times branchScale. */
    private Buf branchGrad(Buf dres, Buf mask, Scratch s) {
        if (mask == null && branchScale == 1) return dres;
        if (mask == null) {
            Kernels.copy(dres.b(), s.branch.b(), dres.size());
        } else {
            Kernels.mul(dres.b(), mask.b(), s.branch.b(), dres.size());
        }
        if (branchScale != 1) Kernels.scale(s.branch.b(), branchScale, dres.size());
        return s.branch;
    }

    /** x (B, T, d) → (B, T, d). */
    SDVariable emit(Graph g, SDVariable x) {
        String p = "h" + index + ".";
        SDVariable a = attn.emit(g, norm1.emit(g, x).reshape(-1, g.d)).reshape(-1, g.T, g.d);
        x = x.add(scaled(g.dropout(a, p + "drop.attn")));
        SDVariable m = mlp.emit(g, norm2.emit(g, x).reshape(-1, g.d)).reshape(-1, g.T, g.d);
        return x.add(scaled(g.dropout(m, p + "drop.mlp")));
    }

    private SDVariable scaled(SDVariable branch) {
        return branchScale == 1 ? branch : branch.mul(branchScale);
    }
}
