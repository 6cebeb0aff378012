package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Forward passes written from the target architectures' definitions, in double precision, reading only
 * exported tensors and config: transformers' GPT2LMHeadModel (Conv1D weights (in, out), c_attn = q|k|v,
 * {@code gelu_new}, LayerNorm (x − μ)/√(σ² + ε)·w + b), nanoGPT's GPT (the same with nn.Linear weights
 * (out, in)), and LlamaForCausalLM (nn.Linear, RMSNorm x/√(mean x² + ε)·w, rotary positions with
 * rotate_half and inv_freq = θ^(−2i/head_dim), down(silu(gate x) ⊙ up x)). Returns logits (T, V) of one sequence.
 */
final class Reference {
    private Reference() {}

    /** GPT-2 (HF when {@code linear} is false) or nanoGPT ({@code linear} true; {@code eps} and GELU as given). */
    static double[][] gpt2(SafetensorsReader st, int nLayer, int d, int H, int V, double eps, boolean linear, int[] tokens) {
        int T = tokens.length;
        double[][] x = new double[T][d];
        float[] wte = st.get("transformer.wte.weight"), wpe = st.get("transformer.wpe.weight");
        for (int t = 0; t < T; t++) for (int j = 0; j < d; j++) x[t][j] = wte[tokens[t] * d + j] + wpe[t * d + j];
        for (int l = 0; l < nLayer; l++) {
            String p = "transformer.h." + l + ".";
            double[][] h = layerNorm(x, st.get(p + "ln_1.weight"), bias(st, p + "ln_1.bias"), eps);
            double[][] qkv = dense(h, st.get(p + "attn.c_attn.weight"), bias(st, p + "attn.c_attn.bias"), d, 3 * d, linear);
            double[][] y = attention(qkv, d, H, 0, d, 2 * d);
            add(x, dense(y, st.get(p + "attn.c_proj.weight"), bias(st, p + "attn.c_proj.bias"), d, d, linear));
            h = layerNorm(x, st.get(p + "ln_2.weight"), bias(st, p + "ln_2.bias"), eps);
            int f = st.tensors.get(p + "mlp.c_fc.weight").data().length / d;
            double[][] a = dense(h, st.get(p + "mlp.c_fc.weight"), bias(st, p + "mlp.c_fc.bias"), d, f, linear);
            for (double[] row : a) for (int j = 0; j < f; j++) row[j] = geluTanh(row[j]);
            add(x, dense(a, st.get(p + "mlp.c_proj.weight"), bias(st, p + "mlp.c_proj.bias"), f, d, linear));
        }
        x = layerNorm(x, st.get("transformer.ln_f.weight"), bias(st, "transformer.ln_f.bias"), eps);
        float[] head = st.tensors.containsKey("lm_head.weight") ? st.get("lm_head.weight") : wte;   // (V, d)
        return dense(x, head, null, d, V, true);
    }

    static double[][] llama(SafetensorsReader st, JsonNode cfg, int[] tokens) {
        int d = cfg.path("hidden_size").asInt(), H = cfg.path("num_attention_heads").asInt(), V = cfg.path("vocab_size").asInt();
        int f = cfg.path("intermediate_size").asInt(), hs = cfg.path("head_dim").asInt(), T = tokens.length;
        double eps = cfg.path("rms_norm_eps").asDouble(), theta = cfg.path("rope_theta").asDouble();
        double[][] x = new double[T][d];
        float[] wte = st.get("model.embed_tokens.weight");
        for (int t = 0; t < T; t++) for (int j = 0; j < d; j++) x[t][j] = wte[tokens[t] * d + j];
        for (int l = 0; l < cfg.path("num_hidden_layers").asInt(); l++) {
            String p = "model.layers." + l + ".";
            double[][] h = rmsNorm(x, st.get(p + "input_layernorm.weight"), eps);
            double[][] q = dense(h, st.get(p + "self_attn.q_proj.weight"), bias(st, p + "self_attn.q_proj.bias"), d, d, true);
            double[][] k = dense(h, st.get(p + "self_attn.k_proj.weight"), bias(st, p + "self_attn.k_proj.bias"), d, d, true);
            double[][] v = dense(h, st.get(p + "self_attn.v_proj.weight"), bias(st, p + "self_attn.v_proj.bias"), d, d, true);
            rope(q, H, hs, theta);
            rope(k, H, hs, theta);
            double[][] qkv = new double[T][3 * d];
            for (int t = 0; t < T; t++) {
                System.arraycopy(q[t], 0, qkv[t], 0, d);
                System.arraycopy(k[t], 0, qkv[t], d, d);
                System.arraycopy(v[t], 0, qkv[t], 2 * d, d);
            }
            add(x, dense(attention(qkv, d, H, 0, d, 2 * d), st.get(p + "self_attn.o_proj.weight"), bias(st, p + "self_attn.o_proj.bias"), d, d, true));
            h = rmsNorm(x, st.get(p + "post_attention_layernorm.weight"), eps);
            double[][] g = dense(h, st.get(p + "mlp.gate_proj.weight"), bias(st, p + "mlp.gate_proj.bias"), d, f, true);
            double[][] u = dense(h, st.get(p + "mlp.up_proj.weight"), bias(st, p + "mlp.up_proj.bias"), d, f, true);
            for (int t = 0; t < T; t++) for (int j = 0; j < f; j++) g[t][j] = g[t][j] / (1 + Math.exp(-g[t][j])) * u[t][j];
            add(x, dense(g, st.get(p + "mlp.down_proj.weight"), bias(st, p + "mlp.down_proj.bias"), f, d, true));
        }
        x = rmsNorm(x, st.get("model.norm.weight"), eps);
        float[] head = st.tensors.containsKey("lm_head.weight") ? st.get("lm_head.weight") : wte;
        return dense(x, head, null, d, V, true);
    }

    private static float[] bias(SafetensorsReader st, String name) {
        return st.tensors.containsKey(name) ? st.get(name) : null;
    }

    /** x (T, in) → (T, out): W is (in, out) (Conv1D) or, with {@code linear}, (out, in). */
    static double[][] dense(double[][] x, float[] w, float[] b, int in, int out, boolean linear) {
        if (w.length != (long) in * out) throw new IllegalStateException("weight has " + w.length + " values, want " + in + "×" + out);
        double[][] y = new double[x.length][out];
        for (int t = 0; t < x.length; t++) {
            for (int j = 0; j < out; j++) {
                double s = b == null ? 0 : b[j];
                for (int i = 0; i < in; i++) s += x[t][i] * (linear ? w[j * in + i] : w[i * out + j]);
                y[t][j] = s;
            }
        }
        return y;
    }

    /** Causal attention over the q, k, v columns starting at qo, ko, vo; heads of d/H channels. */
    static double[][] attention(double[][] qkv, int d, int H, int qo, int ko, int vo) {
        int T = qkv.length, hs = d / H;
        double[][] y = new double[T][d];
        for (int h = 0; h < H; h++) {
            for (int t = 0; t < T; t++) {
                double[] s = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int u = 0; u <= t; u++) {
                    double dot = 0;
                    for (int c = 0; c < hs; c++) dot += qkv[t][qo + h * hs + c] * qkv[u][ko + h * hs + c];
                    s[u] = dot / Math.sqrt(hs);
                    max = Math.max(max, s[u]);
                }
                double z = 0;
                for (int u = 0; u <= t; u++) z += s[u] = Math.exp(s[u] - max);
                for (int u = 0; u <= t; u++) for (int c = 0; c < hs; c++) y[t][h * hs + c] += s[u] / z * qkv[u][vo + h * hs + c];
            }
        }
        return y;
    }

    static double[][] layerNorm(double[][] x, float[] w, float[] b, double eps) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            int d = x[t].length;
            double mu = 0, var = 0;
            for (double v : x[t]) mu += v / d;
            for (double v : x[t]) var += (v - mu) * (v - mu) / d;
            y[t] = new double[d];
            for (int j = 0; j < d; j++) y[t][j] = (x[t][j] - mu) / Math.sqrt(var + eps) * w[j] + (b == null ? 0 : b[j]);
        }
        return y;
    }

    static double[][] rmsNorm(double[][] x, float[] w, double eps) {
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            int d = x[t].length;
            double ms = 0;
            for (double v : x[t]) ms += v * v / d;
            y[t] = new double[d];
            for (int j = 0; j < d; j++) y[t][j] = x[t][j] / Math.sqrt(ms + eps) * w[j];
        }
        return y;
    }

    /** Rotary positions in place on (T, H·hs): channel i pairs with i + hs/2 (rotate_half). */
    static void rope(double[][] x, int H, int hs, double theta) {
        int half = hs / 2;
        for (int t = 0; t < x.length; t++) {
            for (int h = 0; h < H; h++) {
                int o = h * hs;
                for (int i = 0; i < half; i++) {
                    double a = t * Math.pow(theta, -2.0 * i / hs), c = Math.cos(a), s = Math.sin(a);
                    double x1 = x[t][o + i], x2 = x[t][o + i + half];
                    x[t][o + i] = x1 * c - x2 * s;
                    x[t][o + i + half] = x2 * c + x1 * s;
                }
            }
        }
    }

    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    private static void add(double[][] x, double[][] y) {
        for (int t = 0; t < x.length; t++) for (int j = 0; j < x[t].length; j++) x[t][j] += y[t][j];
    }
}
