package org.scalelab.trainer;

import org.nd4j.autodiff.loss.LossReduce;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder-only transformer as a SameDiff graph, read top-down like nanoGPT's model.py:
 * embeddings → nLayer × (LN → causal self-attention → residual, LN → GELU MLP → residual) → LN →
 * logits → mean cross-entropy in nats.
 *
 * <p>Two ops of SameDiff 1.0.0-M2.1 have wrong backprop (DESIGN §5), which shapes the graph:
 * the token embedding is a one-hot matmul instead of {@code gather}, and the loss is
 * {@code softmaxCrossEntropy} over one-hot labels instead of the sparse variant. Inputs are therefore
 * one-hot matrices of shape (B·T, nVocab) built by {@link Batch}.
 *
 * <p>Placeholders: {@code tokens} and {@code labels} (B·T, V) one-hot; with dropout, one mask per
 * dropout site (B·T, dModel), already scaled by 1/(1−p), so that dropout draws come from the
 * trainer's own checkpointed RNG. Outputs: {@code logits} (B·T, V) and {@code loss} (scalar).
 */
public final class Gpt {
    public static final String TOKENS = "tokens", LABELS = "labels", LOGITS = "logits", LOSS = "loss";

    private final ModelConfig cfg;
    private final DataType dtype;
    private final SameDiff sd;
    private final List<String> params = new ArrayList<>();
    private final List<String> dropoutSites = new ArrayList<>();

    private Gpt(ModelConfig cfg, DataType dtype, long seed) {
        this.cfg = cfg.validate();
        this.dtype = dtype;
        this.sd = SameDiff.create();
        build(new Rng(seed));
        // SameDiff 1.0.0-M2.1 prints a line per op to stdout while it differentiates the graph;
        // do that once here, silenced, so that command output stays clean.
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            sd.createGradFunction();
        } finally {
            System.setOut(stdout);
        }
    }

    /** Builds the graph with GPT-2 initialisation drawn from {@code seed}. */
    public static Gpt build(ModelConfig cfg, DataType dtype, long seed) {
        return new Gpt(cfg, dtype, seed);
    }

    public static Gpt build(ModelConfig cfg, long seed) {
        return build(cfg, DataType.FLOAT, seed);
    }

    public SameDiff sameDiff() { return sd; }

    public ModelConfig config() { return cfg; }

    public DataType dtype() { return dtype; }

    /** Trainable variable names in a fixed order (the order of checkpoints and the optimizer state). */
    public List<String> paramNames() { return Collections.unmodifiableList(params); }

    /** Placeholder names of the dropout masks, empty when dropout is 0. */
    public List<String> dropoutSites() { return Collections.unmodifiableList(dropoutSites); }

    /** The live parameter arrays, by name, in {@link #paramNames()} order. */
    public Map<String, INDArray> paramArrays() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (String p : params) m.put(p, sd.getVariable(p).getArr());
        return m;
    }

    /** Number of scalars in the graph's trainable variables. */
    public long countParams(boolean nonEmbeddingOnly) {
        long n = 0;
        for (String p : params) {
            if (nonEmbeddingOnly && isEmbedding(p)) continue;
            n += sd.getVariable(p).getArr().length();
        }
        return n;
    }

    /** Token/position embeddings and an untied output matrix: excluded from N (DESIGN §3). */
    public static boolean isEmbedding(String name) {
        return name.equals("wte") || name.equals("wpe") || name.equals("lm_head");
    }

    /** Layer-norm gains/biases and linear biases: no weight decay by default. */
    public static boolean isNormOrBias(String name) {
        return name.startsWith("ln") || name.contains(".ln") || name.endsWith(".b") || name.endsWith("_b");
    }

    // ---------------------------------------------------------------------------------------------

    private void build(Rng rng) {
        int V = cfg.nVocab(), T = cfg.nCtx(), d = cfg.dModel(), H = cfg.nHead(), hs = cfg.headSize();
        int f = cfg.ff(), L = cfg.nLayer();
        double std = 0.02, residStd = 0.02 / Math.sqrt(2.0 * L); // GPT-2: residual projections scaled

        SDVariable tokens = sd.placeHolder(TOKENS, dtype, -1, V);        // (B·T, V) one-hot
        SDVariable labels = sd.placeHolder(LABELS, dtype, -1, V);        // (B·T, V) one-hot

        SDVariable wte = param("wte", normal(rng, std, V, d));           // (V, d)
        SDVariable wpe = param("wpe", normal(rng, std, T, d));           // (T, d)
        SDVariable x = sd.mmul(tokens, wte).reshape(-1, T, d).add(wpe);  // (B, T, d)
        x = dropout(x, "drop.emb");

        // Additive causal mask: 0 on and below the diagonal, -1e9 above. exp(-1e9 - max) is exactly 0
        // in float, so a future token contributes nothing, bit for bit.
        INDArray maskArr = Nd4j.zeros(dtype, T, T);
        for (int i = 0; i < T; i++) for (int j = i + 1; j < T; j++) maskArr.putScalar(i, j, -1e9);
        SDVariable mask = sd.constant("causal_mask", maskArr);          // (T, T)
        double scale = 1.0 / Math.sqrt(hs);

        for (int l = 0; l < L; l++) {
            String p = "h" + l + ".";
            // --- attention: x + proj(softmax(q kᵀ/√hs + mask) v)
            SDVariable a = layerNorm(x, p + "ln1", d).reshape(-1, d);                 // (B·T, d)
            SDVariable qkv = linear(a, p + "attn.qkv", d, 3 * d, std, rng);          // (B·T, 3d)
            qkv = qkv.reshape(-1, T, 3, H, hs).permute(2, 0, 3, 1, 4);               // (3, B, H, T, hs)
            SDVariable[] s = sd.unstack(qkv, 0, 3);
            SDVariable q = s[0], k = s[1], v = s[2];                                 // (B, H, T, hs)
            SDVariable att = sd.mmul(q, k, false, true, false).mul(scale).add(mask); // (B, H, T, T)
            att = sd.nn.softmax(att, 3);
            SDVariable y = sd.mmul(att, v);                                          // (B, H, T, hs)
            y = y.permute(0, 2, 1, 3).reshape(-1, d);                                // (B·T, d)
            y = linear(y, p + "attn.proj", d, d, residStd, rng).reshape(-1, T, d);   // (B, T, d)
            x = x.add(dropout(y, p + "drop.attn"));
            // --- MLP: x + fc2(gelu(fc1(ln(x))))
            SDVariable m = layerNorm(x, p + "ln2", d).reshape(-1, d);                // (B·T, d)
            m = gelu(linear(m, p + "mlp.fc", d, f, std, rng));                       // (B·T, f)
            m = linear(m, p + "mlp.proj", f, d, residStd, rng).reshape(-1, T, d);    // (B, T, d)
            x = x.add(dropout(m, p + "drop.mlp"));
        }
        SDVariable h = layerNorm(x, "ln_f", d).reshape(-1, d);                      // (B·T, d)
        SDVariable logits = cfg.tiedOutput()
                ? sd.mmul(h, wte, false, true, false)                                // (B·T, V)
                : sd.mmul(h, param("lm_head", normal(rng, std, d, V)));
        logits = sd.identity(LOGITS, logits);
        // Mean over the B·T positions of −log p(label); one-hot labels, weights all 1.
        sd.loss.softmaxCrossEntropy(LOSS, labels, logits, null, LossReduce.MEAN_BY_NONZERO_WEIGHT_COUNT, 0.0);
    }

    private SDVariable param(String name, INDArray init) {
        params.add(name);
        return sd.var(name, init);
    }

    private SDVariable linear(SDVariable x, String name, int in, int out, double std, Rng rng) {
        SDVariable w = param(name + ".w", normal(rng, std, in, out));  // (in, out)
        SDVariable y = sd.mmul(x, w);
        return cfg.bias() ? y.add(param(name + ".b", Nd4j.zeros(dtype, out))) : y;
    }

    private SDVariable layerNorm(SDVariable x, String name, int d) {
        SDVariable g = param(name + ".g", Nd4j.ones(dtype, d));
        if (cfg.bias()) {
            return sd.nn.layerNorm(x, g, param(name + ".b", Nd4j.zeros(dtype, d)), false, 2);
        }
        return sd.nn.layerNorm(x, g, false, 2);
    }

    /** GELU, tanh approximation (GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    private SDVariable gelu(SDVariable x) {
        SDVariable inner = x.add(sd.math.cube(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
        return x.mul(sd.math.tanh(inner).add(1.0)).mul(0.5);
    }

    private SDVariable dropout(SDVariable x, String site) {
        if (cfg.dropout() <= 0) return x;
        dropoutSites.add(site);
        SDVariable maskPh = sd.placeHolder(site, dtype, -1, cfg.nCtx(), cfg.dModel());
        return x.mul(maskPh);
    }

    private INDArray normal(Rng rng, double std, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian() * std;
        return Nd4j.create(v, shape, dtype);
    }
}
