package org.scalelab.trainer.model;

import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.kernels.Buf;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each layer alone, on a loss Σ y ⊙ R with R fixed: (1) its SameDiff emission's gradient against central
 * finite differences in double precision (h = 1e-5, |g − fd| ≤ 1e-6 + 1e-4·|fd|, 16 entries of the input and
 * of every tensor); (2) its host forward against the emission in float (within 1e-5 of the largest |y|);
 * (3) its host backward — the input's gradient and every parameter's — against the emission's gradient
 * (within 1e-4 of the tensor's largest entry plus 1e-3 relative).
 */
class LayerTest {
    private static final int B = 2, T = 5, d = 8, H = 2;

    /** One layer under test: its tensors, its host passes on (N, in) → (N, out), and its emission. */
    private interface Case {
        int in();

        int out();

        void declare(ParamLayout layout);

        void forward(Pass ps, Buf x, Buf y);

        /** dx is zero on entry. */
        void backward(Pass ps, Buf x, Buf dy, Buf dx);

        SDVariable emit(Graph g, SDVariable x);
    }

    private static Case linear() {
        return new Case() {
            Linear l;
            public int in() { return d; }
            public int out() { return 6; }
            public void declare(ParamLayout p) { l = new Linear(p, "lin", d, 6, true, 0.5, ParamLayout.Role.MLP_IN); }
            public void forward(Pass ps, Buf x, Buf y) { l.forward(ps, x, y, ps.N); }
            public void backward(Pass ps, Buf x, Buf dy, Buf dx) { l.backward(ps, x, dy, dx, ps.N); }
            public SDVariable emit(Graph g, SDVariable x) { return l.emit(g, x); }
        };
    }

    private static Case norm(boolean rms) {
        return new Case() {
            Norm n;
            float[][] st;
            public int in() { return d; }
            public int out() { return d; }
            public void declare(ParamLayout p) {
                n = rms ? new RmsNorm(p, "norm", d) : new LayerNorm(p, "norm", d, true);
                st = new float[n.stats()][B * T];
            }
            public void forward(Pass ps, Buf x, Buf y) { n.forward(ps, x, y, st, ps.N); }
            public void backward(Pass ps, Buf x, Buf dy, Buf dx) { n.backward(ps, x, dy, dx, st, ps.N); }
            public SDVariable emit(Graph g, SDVariable x) { return n.emit(g, x.reshape(-1, T, d)).reshape(-1, d); }
        };
    }

    private static Case mlp(boolean swiglu) {
        return new Case() {
            Mlp m;
            Mlp.Acts a;
            public int in() { return d; }
            public int out() { return d; }
            public void declare(ParamLayout p) {
                Linear fc = new Linear(p, "fc", d, swiglu ? 2 * 12 : 12, true, 0.5, ParamLayout.Role.MLP_IN);
                Linear proj = new Linear(p, "proj", 12, d, true, 0.5, ParamLayout.Role.MLP_OUT);
                m = swiglu ? new SwiGluMlp(fc, proj) : new GeluMlp(fc, proj);
                a = new Mlp.Acts(B * T, m);
            }
            public void forward(Pass ps, Buf x, Buf y) { m.forward(ps, x, y, a); }
            public void backward(Pass ps, Buf x, Buf dy, Buf dx) {
                Buf dpre = Buf.alloc((long) ps.N * m.inWidth());
                m.backward(ps, x, dy, dx, a, swiglu ? Buf.alloc((long) ps.N * m.hidden()) : dpre, dpre);
            }
            public SDVariable emit(Graph g, SDVariable x) { return m.emit(g, x); }
        };
    }

    private static Case attention(boolean rope) {
        return new Case() {
            Attention at;
            Attention.Acts a;
            public int in() { return d; }
            public int out() { return d; }
            public void declare(ParamLayout p) {
                at = new Attention(p, "attn", d, H, T + 1, true, 0.5, 0.5, (float) (1 / Math.sqrt(d / H)), rope ? new Rope(T + 1, d, d / H) : null);
                a = null;
            }
            // T + 1 positions per sequence: the rows are B·(T+1) below
            public void forward(Pass ps, Buf x, Buf y) {
                a = new Attention.Acts(ps.B, ps.T, d, H);
                at.forward(ps, x, y, a);
            }
            public void backward(Pass ps, Buf x, Buf dy, Buf dx) { at.backward(ps, x, dy, dx, a, new Attention.Scratch(ps.B, ps.T, d, H)); }
            public SDVariable emit(Graph g, SDVariable x) { return at.emit(g, x); }
        };
    }

    private static void check(String name, Case c, int seqLen) {
        int N = B * seqLen;
        ParamLayout layout = new ParamLayout();
        c.declare(layout);
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, N, c.in()), r = Nd4j.randn(DataType.DOUBLE, N, c.out());
        List<INDArray> values = new ArrayList<>();
        for (ParamLayout.Tensor t : layout.tensors()) {
            INDArray v = Nd4j.randn(DataType.DOUBLE, t.shape()).muli(0.5);
            if (t.init() == ParamLayout.Init.ONES) v.addi(1);
            values.add(v);
        }

        // (1) the emission in double against finite differences
        Weights w64 = Weights.init(layout, DataType.DOUBLE, 1);
        for (int i = 0; i < layout.size(); i++) w64.get(i).assign(values.get(i));
        SameDiff sd = SameDiff.create();
        Graph g = new Graph(sd, w64, seqLen, d, false);
        SDVariable xv = sd.var("x", x.dup());
        sd.setLossVariables(c.emit(g, xv).mul(sd.constant("r", r)).sum("loss"));
        List<String> wrt = new ArrayList<>(layout.names());
        wrt.add("x");
        Map<String, INDArray> grads = sd.calculateGradients(Map.of(), wrt);
        double h = 1e-5;
        for (String v : wrt) {
            INDArray p = sd.getVariable(v).getArr(), gr = grads.get(v);
            long n = p.length(), stride = Math.max(1, n / 16);
            for (long i = 0; i < n; i += stride) {
                double o = p.getDouble(i);
                p.putScalar(i, o + h);
                double plus = sd.output(Map.of(), "loss").get("loss").getDouble(0);
                p.putScalar(i, o - h);
                double minus = sd.output(Map.of(), "loss").get("loss").getDouble(0);
                p.putScalar(i, o);
                double fd = (plus - minus) / (2 * h), an = gr.getDouble(i);
                assertTrue(Math.abs(an - fd) <= 1e-6 + 1e-4 * Math.abs(fd), name + " " + v + "[" + i + "]: " + an + " vs fd " + fd);
            }
        }

        // (2), (3) the host passes against the emission in float
        Weights w32 = Weights.init(layout, DataType.FLOAT, 1);
        for (int i = 0; i < layout.size(); i++) w32.get(i).assign(values.get(i));
        SameDiff sf = SameDiff.create();
        Graph gf = new Graph(sf, w32, seqLen, d, false);
        SDVariable xf = sf.var("x", x.castTo(DataType.FLOAT));
        SDVariable yf = c.emit(gf, xf);
        sf.setLossVariables(yf.mul(sf.constant("r", r.castTo(DataType.FLOAT))).sum("loss"));
        Map<String, INDArray> gFloat = sf.calculateGradients(Map.of(), wrt);
        INDArray yGraph = sf.output(Map.of(), yf.name()).get(yf.name());

        Buf[] params = new Buf[layout.size()], pg = new Buf[layout.size()];
        for (int i = 0; i < params.length; i++) {
            params[i] = Buf.of(w32.get(i));
            pg[i] = Buf.alloc(w32.get(i).length());
        }
        Pass ps = new Pass(B, seqLen, params, pg, Pass.Options.defaults());
        Buf xb = Buf.alloc((long) N * c.in()), yb = Buf.alloc((long) N * c.out()), dy = Buf.alloc((long) N * c.out()),
                dx = Buf.alloc((long) N * c.in());
        xb.b().put(0, x.castTo(DataType.FLOAT).data().asFloat());
        dy.b().put(0, r.castTo(DataType.FLOAT).data().asFloat());
        c.forward(ps, xb, yb);
        float[] yHost = new float[N * c.out()];
        yb.b().get(0, yHost);
        double ymax = yGraph.amaxNumber().doubleValue();
        for (int i = 0; i < yHost.length; i++) {
            assertEquals(yGraph.getDouble(i), yHost[i], 1e-5 * ymax + 1e-6, name + " forward [" + i + "]");
        }
        c.backward(ps, xb, dy, dx);
        compare(name + " dx", gFloat.get("x"), dx);
        for (ParamLayout.Tensor t : layout.tensors()) compare(name + " d" + t.name(), gFloat.get(t.name()), pg[t.index()]);
    }

    private static void compare(String what, INDArray want, Buf got) {
        double max = want.amaxNumber().doubleValue();
        for (int k = 0; k < want.length(); k++) {
            double a = want.getDouble(k), b = got.b().get(k);
            assertTrue(Math.abs(a - b) <= 1e-4 * max + 1e-3 * Math.abs(a) + 1e-7, what + "[" + k + "]: graph " + a + " vs host " + b);
        }
    }

    @Test
    void linear_() { check("linear", linear(), T); }

    @Test
    void layerNorm() { check("layernorm", norm(false), T); }

    @Test
    void rmsNorm() { check("rmsnorm", norm(true), T); }

    @Test
    void geluMlp() { check("gelu", mlp(false), T); }

    @Test
    void swigluMlp() { check("swiglu", mlp(true), T); }

    @Test
    void causalAttention() { check("attention", attention(false), T + 1); }

    @Test
    void causalAttentionWithRotaryPositions() { check("attention+rope", attention(true), T + 1); }
}
