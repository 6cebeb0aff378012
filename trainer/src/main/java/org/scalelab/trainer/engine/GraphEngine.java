package org.scalelab.trainer.engine;

import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.Rng;
import org.scalelab.trainer.model.Graph;
import org.scalelab.trainer.model.ParamLayout;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The layers' SameDiff graph ({@link Transformer#emit}), executed by SameDiff: the reference the host
 * passes are tested against, the engine for float64 and for ND4J's CUDA backend. Inputs are one-hot
 * matrices (B·T, nVocab) (README.md, "The model": the engines table), so memory grows with B·T·nVocab; op outputs of a training step come
 * from {@link StepArena}s. Gradients are summed over micro-batches into host arrays.
 */
public final class GraphEngine implements Engine {
    private final Transformer model;
    private final Weights weights;
    private final SameDiff sd;
    private final Graph graph;
    private final List<String> names;
    private final int[] sizes;
    private final Map<String, INDArray> ph = new HashMap<>();
    private final StepArena.Installed arenas = new StepArena.Installed();
    private final List<String> lossOnly = List.of(Graph.LOSS);
    private boolean differentiable;
    private INDArray xIn, yIn;
    private int[] prevIn, prevOut;
    private float[][] gradAcc;
    private float[][] gradPrev;          // gradAcc at the last addedGradSquaredNorm (null until one)
    private boolean prevIsZero = true;   // zeroGrads came after it: gradPrev stands for 0

    GraphEngine(Transformer model, Weights weights) {
        this.model = model;
        this.weights = weights;
        this.sd = SameDiff.create();
        this.graph = model.emit(sd, weights);
        this.names = weights.layout().names();
        this.sizes = weights.layout().sizes();
    }

    @Override public String name() { return "samediff"; }

    @Override public Transformer model() { return model; }

    @Override public Weights weights() { return weights; }

    /** The graph (tests compare it with the host passes). */
    public SameDiff sameDiff() { return sd; }

    /** The dropout placeholders, in draw order. */
    public List<String> dropoutSites() { return graph.dropoutSites(); }

    /**
     * SameDiff 1.0.0-M2.1 prints a line per op to stdout while it differentiates the graph; do that once,
     * silenced, so that command output stays clean.
     */
    private void differentiable() {
        if (differentiable) return;
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(stdout);
        }
        differentiable = true;
    }

    @Override
    public void zeroGrads() {
        if (gradAcc == null) {
            gradAcc = new float[sizes.length][];
            for (int i = 0; i < sizes.length; i++) gradAcc[i] = new float[sizes[i]];
        }
        for (float[] g : gradAcc) java.util.Arrays.fill(g, 0f);
        prevIsZero = true;
    }

    /** Rewrites the reusable one-hot inputs in place (O(B·T) per micro-batch, not O(B·T·V)). */
    private void oneHotInputs(int[] inputs, int[] targets) {
        int V = model.config().nVocab();
        if (xIn == null || xIn.rows() != inputs.length) {
            xIn = Nd4j.zeros(weights.dtype(), inputs.length, V);
            yIn = Nd4j.zeros(weights.dtype(), inputs.length, V);
            prevIn = prevOut = null;
        }
        fillOneHot(xIn, prevIn, inputs, V);
        fillOneHot(yIn, prevOut, targets, V);
        prevIn = inputs.clone();
        prevOut = targets.clone();
        ph.put(Graph.TOKENS, xIn);
        ph.put(Graph.LABELS, yIn);
    }

    @Override
    public double accumulate(int[] inputs, int[] targets, Rng dropRng) {
        differentiable();
        if (gradAcc == null) zeroGrads();
        oneHotInputs(inputs, targets);
        int T = model.config().nCtx(), d = model.config().dModel(), B = inputs.length / T;
        double p = model.config().dropout();
        for (String site : graph.dropoutSites()) {
            float[] m = new float[B * T * d];
            Engine.drawMask(dropRng, p, m);
            ph.put(site, Nd4j.create(m, new long[]{B, T, d}, 'c').castTo(weights.dtype()));
        }
        arenas.reset();   // the previous micro-batch's arrays are consumed: reuse them
        OutAndGrad og = sd.calculateGradientsAndOutputs(ph, lossOnly, names);
        arenas.cover(sd);
        Map<String, INDArray> grads = og.getGradients();
        for (int i = 0; i < sizes.length; i++) {
            INDArray g = grads.get(names.get(i));
            float[] a = gradAcc[i];
            if (g.dataType() == DataType.DOUBLE) {
                DoubleBuffer b = doubles(g);
                for (int j = 0; j < a.length; j++) a[j] += (float) b.get(j);
            } else {
                FloatBuffer b = floats(g);
                for (int j = 0; j < a.length; j++) a[j] += b.get(j);
            }
        }
        return og.getOutputs().get(Graph.LOSS).getDouble(0);
    }

    @Override
    public double gradSquaredNorm() {
        double sq = 0;
        for (float[] g : gradAcc) for (float x : g) sq += (double) x * x;
        return sq;
    }

    @Override
    public double addedGradSquaredNorm() {
        if (gradAcc == null) zeroGrads();
        if (gradPrev == null) {
            gradPrev = new float[sizes.length][];
            for (int i = 0; i < sizes.length; i++) gradPrev[i] = new float[sizes[i]];
        }
        double sq = 0;
        for (int i = 0; i < sizes.length; i++) {
            float[] g = gradAcc[i], prev = gradPrev[i];
            for (int j = 0; j < g.length; j++) {
                float d = prevIsZero ? g[j] : g[j] - prev[j];
                sq += (double) d * d;
            }
            System.arraycopy(g, 0, prev, 0, g.length);
        }
        prevIsZero = false;
        return sq;
    }

    @Override
    public FloatBuffer param(int i) {
        INDArray a = weights.get(i);
        if (a.dataType() != DataType.FLOAT) {
            throw new IllegalStateException("the optimizer updates float32 parameters; tensor " + names.get(i) + " is " + a.dataType());
        }
        return floats(a);
    }

    @Override
    public FloatBuffer grad(int i) { return FloatBuffer.wrap(gradAcc[i]); }

    @Override
    public void paramsWritten() { weights.wroteOnHost(); }

    private void noDropout(int B) {
        int T = model.config().nCtx(), d = model.config().dModel();
        for (String site : graph.dropoutSites()) ph.put(site, Nd4j.ones(weights.dtype(), B, T, d));
    }

    @Override
    public double loss(int[] inputs, int[] targets) {
        oneHotInputs(inputs, targets);
        noDropout(inputs.length / model.config().nCtx());
        return sd.output(ph, Graph.LOSS).get(Graph.LOSS).getDouble(0);
    }

    @Override
    public float[] logitsAt(int[] tokens, int row) {
        return logits(tokens, row, 1);
    }

    /** Rows r0 … r0 + n − 1 of the logits (B·T, V), row-major. */
    public float[] logits(int[] tokens, int r0, int n) {
        oneHotInputs(tokens, tokens);
        noDropout(tokens.length / model.config().nCtx());
        INDArray logits = sd.output(ph, Graph.LOGITS).get(Graph.LOGITS);
        int V = model.config().nVocab();
        float[] out = new float[n * V];
        for (int r = 0; r < n; r++) {
            for (int v = 0; v < V; v++) out[r * V + v] = logits.getFloat(r0 + r, v);
        }
        return out;
    }

    /** The parameter layout of the model this graph computes. */
    public ParamLayout layout() { return weights.layout(); }

    private static void fillOneHot(INDArray a, int[] previous, int[] ids, int vocab) {
        if (a.dataType() == DataType.DOUBLE) {
            DoubleBuffer buf = a.data().asNioDouble();
            if (previous != null) for (int i = 0; i < previous.length; i++) buf.put(i * vocab + previous[i], 0.0);
            for (int i = 0; i < ids.length; i++) buf.put(i * vocab + ids[i], 1.0);
        } else {
            FloatBuffer buf = a.data().asNioFloat();
            if (previous != null) for (int i = 0; i < previous.length; i++) buf.put(i * vocab + previous[i], 0f);
            for (int i = 0; i < ids.length; i++) buf.put(i * vocab + ids[i], 1f);
        }
        Weights.wroteOnHost(a);
    }

    /** A float view of an array's data (a device backend synchronises it to the host first). */
    static FloatBuffer floats(INDArray a) {
        return dense(a).data().asNioFloat();
    }

    private static DoubleBuffer doubles(INDArray a) {
        return dense(a).data().asNioDouble();
    }

    /** The array itself when its data is dense and in C order, else such a copy. */
    private static INDArray dense(INDArray a) {
        return a.isView() || a.ordering() != 'c' || a.data().length() != a.length() ? a.dup('c') : a;
    }
}
