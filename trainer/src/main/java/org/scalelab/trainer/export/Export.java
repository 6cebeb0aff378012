package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.Tokenizer;
import org.scalelab.datasets.Tokenizers;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.Version;
import org.scalelab.trainer.model.ParamLayout;
import org.scalelab.trainer.model.Weights;
import org.scalelab.trainer.run.Checkpoint;
import org.scalelab.trainer.run.Specs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run's weights in the layouts other tools load: Hugging Face transformers' {@code GPT2LMHeadModel}
 * (GPT-2's variants) or {@code LlamaForCausalLM} (RMSNorm + SwiGLU + RoPE), and nanoGPT's {@code GPT}.
 * docs/interop.md lists every tensor name, shape and transpose.
 *
 * <p>ScaleLab stores every matrix as (in, out) ({@link ParamLayout}), as GPT-2's {@code Conv1D} does, so
 * the GPT-2 layout copies matrices as they are; {@code torch.nn.Linear} (Llama, nanoGPT) stores
 * (out, in), so those layouts transpose them. The fused q|k|v and gate|up matrices are split for Llama.
 * A GPT-2-variant model without biases gets zero biases, which computes the same function.
 */
public final class Export {
    /** What {@code --format} names. */
    public enum Format {
        HF, NANOGPT;

        public static Format of(String s) {
            for (Format f : values()) if (f.name().equalsIgnoreCase(s.trim())) return f;
            throw new UserError("--format '" + s + "' is not known; use hf or nanogpt");
        }
    }

    /** The architecture of the files written. */
    public enum Layout { GPT2, LLAMA, NANOGPT }

    /** What was written: the layout, the files, and notes for the user (what was left out and why). */
    public record Result(Layout layout, List<Path> files, List<String> notes) {}

    /** ScaleLab's layer norm divides by σ + 1e-12 (population σ); transformers' by √(σ² + ε). */
    static final double LAYER_NORM_EPS = 1e-12;
    static final double RMS_NORM_EPS = 1e-6;
    static final double ROPE_THETA = 10000;

    private Export() {}

    /** The layout {@code c} exports to in {@code format}, or a UserError saying why it cannot. */
    public static Layout layout(ModelConfig c, Format format) {
        boolean gpt2 = c.norm() == ModelConfig.Norm.LAYERNORM && c.mlp() == ModelConfig.Mlp.GELU
                && c.position() == ModelConfig.Position.LEARNED;
        boolean llama = c.norm() == ModelConfig.Norm.RMSNORM && c.mlp() == ModelConfig.Mlp.SWIGLU
                && c.position() == ModelConfig.Position.ROPE;
        String variants = "model.norm=" + c.norm().id() + ", model.mlp=" + c.mlp().id() + ", model.position=" + c.position().id();
        if (format == Format.HF) {
            if (gpt2) return Layout.GPT2;
            if (llama) return Layout.LLAMA;
            throw new UserError("export --format hf: " + variants + " has no transformers equivalent; GPT2LMHeadModel needs "
                    + "layernorm+gelu+learned and LlamaForCausalLM rmsnorm+swiglu+rope (train with one of those, or keep the checkpoint)");
        }
        if (!gpt2) {
            throw new UserError("export --format nanogpt: nanoGPT's GPT has layernorm+gelu+learned only, the run has " + variants
                    + "; use --format hf" + (llama ? " (it exports to LlamaForCausalLM)" : ""));
        }
        if (!c.tiedOutput()) {
            throw new UserError("export --format nanogpt: the run has model.tiedOutput=false and nanoGPT's GPT always ties lm_head "
                    + "to wte; use --format hf (GPT2LMHeadModel with tie_word_embeddings=false)");
        }
        if (c.ff() != 4 * c.dModel()) {
            throw new UserError("export --format nanogpt: the run's MLP width model.dFf=" + c.ff() + " is not 4·dModel = "
                    + 4 * c.dModel() + " as nanoGPT's GPT fixes it; use --format hf (GPT2LMHeadModel's n_inner)");
        }
        return Layout.NANOGPT;
    }

    /** The text whose token ids {@code reference.safetensors} records, to check a tokenizer elsewhere. */
    public static final String PROBE = "Hello world! It's 2026: the café's naïve coördinator—said \"don't\"\n\n  spaced   out\ttabs 12345 ✓ 🙂 Ünïcödé.";

    /**
     * Exports the latest checkpoint of {@code runDir} into {@code out}; with {@code reference}, also
     * {@code reference.safetensors}: {@code input_ids} (1, nCtx) drawn uniformly with a fixed seed, the
     * {@code logits} (1, nCtx, nVocab) ScaleLab's CPU engine computes for them, and, for a tokenizer with
     * transformers files, {@code probe_ids}, the ids of {@link #PROBE} (in the metadata as {@code probe}).
     */
    public static Result write(Path runDir, Format format, Path out, boolean reference) {
        Path spec = runDir.resolve("spec.json");
        if (!Files.isRegularFile(spec)) throw new UserError(runDir + ": not a run directory (no spec.json); pass --run runs/<id>");
        RunConfig cfg = Specs.readConfig(spec);
        ModelConfig c = cfg.model();
        Layout layout = layout(c, format);
        Path ck = runDir.resolve("checkpoint");
        if (!Checkpoint.exists(ck)) throw new UserError(ck + ": no checkpoint yet; train the run first (scalelab train)");
        Weights w = Weights.init(ParamLayout.of(c), DataType.FLOAT, 0);
        JsonNode state = Checkpoint.load(ck, w.byName(), null);
        Map<String, float[]> byName = new LinkedHashMap<>();
        w.byName().forEach((k, v) -> byName.put(k, Weights.values(v)));
        Tokenizer tok = Files.isRegularFile(runDir.resolve("tokenizer.json")) ? Tokenizers.load(runDir.resolve("tokenizer.json")) : null;

        List<Path> files = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");   // what transformers expects of a PyTorch checkpoint
        meta.put("scalelab_version", Version.SCALELAB);
        meta.put("scalelab_run", runDir.toAbsolutePath().normalize().getFileName().toString());
        meta.put("scalelab_step", state.path("step").asText());
        meta.put("scalelab_architecture", c.variants());
        Path weights = out.resolve("model.safetensors");
        Safetensors.write(weights, tensors(c, layout, byName), meta);
        files.add(weights);
        ObjectNode conf = switch (layout) {
            case GPT2 -> gpt2Config(c, tok);
            case LLAMA -> llamaConfig(c, tok);
            case NANOGPT -> nanoGptModelArgs(c);
        };
        Path confFile = out.resolve(layout == Layout.NANOGPT ? "model_args.json" : "config.json");
        writeJson(confFile, conf);
        files.add(confFile);
        if (layout != Layout.NANOGPT) {
            if (tok != null && HfTokenizerFiles.supports(tok)) {
                for (var e : HfTokenizerFiles.files(tok, c.nCtx()).entrySet()) {
                    Path f = out.resolve(e.getKey());
                    Files2.writeAtomic(f, e.getValue());
                    files.add(f);
                }
            } else {
                notes.add("tokenizer '" + (tok == null ? "none" : tok.kind()) + "' has no transformers equivalent; no tokenizer files written "
                        + "(token ids are those of " + runDir.resolve("tokenizer.json") + ")");
            }
            if (c.dropout() > 0 && layout == Layout.LLAMA) {
                notes.add("model.dropout=" + c.dropout() + " on the residual branches has no LlamaForCausalLM setting; inference is unaffected");
            }
        } else {
            if (tok != null && org.scalelab.datasets.Pickles.writeNanogptMeta(out, tok)) {
                files.add(out.resolve("meta.pkl"));
                notes.add("meta.pkl: the run's character vocabulary, for nanoGPT's sample.py (copy it into nanoGPT's data/<dataset>/)");
            }
        }
        if (layout == Layout.NANOGPT) {
            notes.add("nanoGPT's LayerNorm uses ε = 1e-5 inside the square root and exact (erf) GELU; ScaleLab's σ + 1e-12 and tanh GELU: "
                    + "docs/interop.md's loader swaps both for identical logits");
        }
        if (reference) {
            Path f = out.resolve("reference.safetensors");
            Safetensors.write(f, reference(c, w, layout != Layout.NANOGPT && tok != null && HfTokenizerFiles.supports(tok) ? tok : null),
                    Map.of("format", "pt", "probe", PROBE));
            files.add(f);
        }
        Path prov = out.resolve("scalelab.json");
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("scalelab_version", Version.SCALELAB);
        p.put("run", runDir.toAbsolutePath().normalize().toString());
        p.put("step", state.path("step").asLong());
        p.put("tokens", state.path("tokens").asLong());
        p.set("best_val_loss", state.path("best_val_loss"));
        p.put("layout", layout.name().toLowerCase(Locale.ROOT));
        p.set("model", Json.MAPPER.valueToTree(c));
        writeJson(prov, p);
        files.add(prov);
        return new Result(layout, files, notes);
    }

    private static LinkedHashMap<String, Safetensors.Tensor> reference(ModelConfig c, Weights w, Tokenizer tok) {
        int T = c.nCtx(), V = c.nVocab();
        org.scalelab.trainer.Rng r = new org.scalelab.trainer.Rng(20260101);
        int[] ids = new int[T];
        long[] ids64 = new long[T];
        for (int i = 0; i < T; i++) ids64[i] = ids[i] = (int) r.nextLong(V);
        var engine = (org.scalelab.trainer.engine.CpuEngine) org.scalelab.trainer.engine.Engines.create(
                org.scalelab.trainer.engine.Engines.Kind.CPU, org.scalelab.trainer.model.Transformer.of(c), w,
                org.scalelab.trainer.model.Pass.Options.defaults());
        LinkedHashMap<String, Safetensors.Tensor> t = new LinkedHashMap<>();
        t.put("input_ids", Safetensors.Tensor.ofInts(new long[]{1, T}, ids64));
        t.put("logits", new Safetensors.Tensor(new long[]{1, T, V}, engine.logits(ids, false)));
        if (tok != null) {
            int[] p = tok.encode(PROBE);
            long[] p64 = new long[p.length];
            for (int i = 0; i < p.length; i++) p64[i] = p[i];
            t.put("probe_ids", Safetensors.Tensor.ofInts(new long[]{p.length}, p64));
        }
        return t;
    }

    private static void writeJson(Path f, ObjectNode n) {
        try {
            Files2.writeAtomic(f, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // --- tensors --------------------------------------------------------------------------------------

    /** The exported tensors of {@code c}'s weights (by ScaleLab name) in {@code layout}, in file order. */
    static LinkedHashMap<String, Safetensors.Tensor> tensors(ModelConfig c, Layout layout, Map<String, float[]> weights) {
        Map<String, float[]> w = folded(c, weights);
        int d = c.dModel(), f = c.ff(), V = c.nVocab(), T = c.nCtx();
        boolean linear = layout != Layout.GPT2;   // nn.Linear stores (out, in)
        // GPT2LMHeadModel always has biases, so a model without them exports zeros; Llama's and nanoGPT's
        // biases follow a config switch (attention_bias/mlp_bias, bias), so theirs are left out
        Tensors out = new Tensors(layout == Layout.GPT2 && !c.bias());
        switch (layout) {
            case GPT2, NANOGPT -> {
                out.put("transformer.wte.weight", new long[]{V, d}, w.get("wte"));
                out.put("transformer.wpe.weight", new long[]{T, d}, w.get("wpe"));
                for (int l = 0; l < c.nLayer(); l++) {
                    String s = "h" + l + ".", t = "transformer.h." + l + ".";
                    out.norm(t + "ln_1", d, w.get(s + "ln1.g"), w.get(s + "ln1.b"));
                    out.matrix(t + "attn.c_attn", d, 3 * d, w.get(s + "attn.qkv.w"), w.get(s + "attn.qkv.b"), linear);
                    out.matrix(t + "attn.c_proj", d, d, w.get(s + "attn.proj.w"), w.get(s + "attn.proj.b"), linear);
                    out.norm(t + "ln_2", d, w.get(s + "ln2.g"), w.get(s + "ln2.b"));
                    out.matrix(t + "mlp.c_fc", d, f, w.get(s + "mlp.fc.w"), w.get(s + "mlp.fc.b"), linear);
                    out.matrix(t + "mlp.c_proj", f, d, w.get(s + "mlp.proj.w"), w.get(s + "mlp.proj.b"), linear);
                }
                out.norm("transformer.ln_f", d, w.get("ln_f.g"), w.get("ln_f.b"));
                // nanoGPT's state dict holds the tied lm_head under its own name too; transformers ties it itself
                if (layout == Layout.NANOGPT) out.put("lm_head.weight", new long[]{V, d}, w.get("wte"));
                else if (!c.tiedOutput()) out.put("lm_head.weight", new long[]{V, d}, transpose(w.get("lm_head"), d, V));
            }
            case LLAMA -> {
                out.put("model.embed_tokens.weight", new long[]{V, d}, w.get("wte"));
                for (int l = 0; l < c.nLayer(); l++) {
                    String s = "h" + l + ".", t = "model.layers." + l + ".";
                    out.put(t + "input_layernorm.weight", new long[]{d}, w.get(s + "ln1.g"));
                    float[] qkv = w.get(s + "attn.qkv.w"), qkvB = w.get(s + "attn.qkv.b");
                    String[] qkvNames = {"q_proj", "k_proj", "v_proj"};
                    for (int i = 0; i < 3; i++) {
                        out.matrix(t + "self_attn." + qkvNames[i], d, d, columns(qkv, d, 3 * d, i * d, d),
                                qkvB == null ? null : slice(qkvB, i * d, d), true);
                    }
                    out.matrix(t + "self_attn.o_proj", d, d, w.get(s + "attn.proj.w"), w.get(s + "attn.proj.b"), true);
                    out.put(t + "post_attention_layernorm.weight", new long[]{d}, w.get(s + "ln2.g"));
                    float[] fc = w.get(s + "mlp.fc.w"), fcB = w.get(s + "mlp.fc.b");
                    out.matrix(t + "mlp.gate_proj", d, f, columns(fc, d, 2 * f, 0, f), fcB == null ? null : slice(fcB, 0, f), true);
                    out.matrix(t + "mlp.up_proj", d, f, columns(fc, d, 2 * f, f, f), fcB == null ? null : slice(fcB, f, f), true);
                    out.matrix(t + "mlp.down_proj", f, d, w.get(s + "mlp.proj.w"), w.get(s + "mlp.proj.b"), true);
                }
                out.put("model.norm.weight", new long[]{d}, w.get("ln_f.g"));
                if (!c.tiedOutput()) out.put("lm_head.weight", new long[]{V, d}, transpose(w.get("lm_head"), d, V));
            }
        }
        return out.map;
    }

    /** Builds the tensor map; biases and norm shifts the model lacks are written as zeros where the layout has them. */
    private static final class Tensors {
        final LinkedHashMap<String, Safetensors.Tensor> map = new LinkedHashMap<>();
        final boolean zeroBiases;

        Tensors(boolean zeroBiases) { this.zeroBiases = zeroBiases; }

        void put(String name, long[] shape, float[] data) {
            if (data == null) throw new IllegalStateException("no weights for " + name);
            map.put(name, new Safetensors.Tensor(shape, data));
        }

        /** A layer norm (weight, bias); GPT-2 and nanoGPT with bias=true have the shift. */
        void norm(String name, int d, float[] g, float[] b) {
            put(name + ".weight", new long[]{d}, g);
            if (b != null) put(name + ".bias", new long[]{d}, b);
            else if (zeroBiases) put(name + ".bias", new long[]{d}, new float[d]);
        }

        /** A matrix stored (in, out): as is, or transposed to (out, in) for nn.Linear; and its bias. */
        void matrix(String name, int in, int out, float[] w, float[] b, boolean linear) {
            put(name + ".weight", linear ? new long[]{out, in} : new long[]{in, out}, linear ? transpose(w, in, out) : w);
            if (b != null) put(name + ".bias", new long[]{out}, b);
            else if (zeroBiases) put(name + ".bias", new long[]{out}, new float[out]);
        }
    }

    /**
     * The weights of a μP or CompleteP model with its forward multipliers folded in, so that the standard
     * architectures compute the same function: q (columns 0–d of q|k|v and their biases) times √hs·(the
     * model's attention scale) turns q·kᵀ/√hs into q·kᵀ·α_attn/hs (α_attn/√hs in SP); the last norm's gain and
     * shift times α_out/m give the logits' multiplier; each branch's output projection (and bias) times 1/k
     * gives CompleteP's branch scale. SP weights with α_attn = α_out = 1 are returned as they are.
     */
    static Map<String, float[]> folded(ModelConfig c, Map<String, float[]> w) {
        if (c.parameterization() == ModelConfig.Parameterization.SP && c.attentionMultiplier() == 1 && c.outputMultiplier() == 1) return w;
        org.scalelab.trainer.model.Parameterization pz = org.scalelab.trainer.model.Parameterization.of(c);
        Map<String, float[]> out = new LinkedHashMap<>(w);
        int d = c.dModel();
        float q = (float) (pz.attentionScale() * Math.sqrt(c.headSize())), logit = pz.outputMultiplier(), branch = (float) (1 / pz.depthMultiplier());
        for (int l = 0; l < c.nLayer(); l++) {
            String p = "h" + l + ".";
            float[] qkv = out.get(p + "attn.qkv.w").clone();
            for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) qkv[i * 3 * d + j] *= q;
            out.put(p + "attn.qkv.w", qkv);
            if (out.containsKey(p + "attn.qkv.b")) {
                float[] b = out.get(p + "attn.qkv.b").clone();
                for (int j = 0; j < d; j++) b[j] *= q;
                out.put(p + "attn.qkv.b", b);
            }
            for (String name : new String[]{"attn.proj.w", "attn.proj.b", "mlp.proj.w", "mlp.proj.b"}) scale(out, p + name, branch);
        }
        scale(out, "ln_f.g", logit);
        scale(out, "ln_f.b", logit);
        return out;
    }

    private static void scale(Map<String, float[]> w, String name, float s) {
        float[] a = w.get(name);
        if (a == null || s == 1) return;
        float[] b = a.clone();
        for (int i = 0; i < b.length; i++) b[i] *= s;
        w.put(name, b);
    }

    /** (rows, cols) row-major → (cols, rows). */
    static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    /** Columns [from, from + n) of a (rows, cols) row-major matrix, as a (rows, n) one. */
    static float[] columns(float[] a, int rows, int cols, int from, int n) {
        float[] out = new float[rows * n];
        for (int i = 0; i < rows; i++) System.arraycopy(a, i * cols + from, out, i * n, n);
        return out;
    }

    static float[] slice(float[] a, int from, int n) {
        float[] out = new float[n];
        System.arraycopy(a, from, out, 0, n);
        return out;
    }

    // --- configs --------------------------------------------------------------------------------------

    static ObjectNode gpt2Config(ModelConfig c, Tokenizer tok) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.putArray("architectures").add("GPT2LMHeadModel");
        n.put("model_type", "gpt2");
        n.put("vocab_size", c.nVocab());
        n.put("n_positions", c.nCtx());
        n.put("n_ctx", c.nCtx());
        n.put("n_embd", c.dModel());
        n.put("n_layer", c.nLayer());
        n.put("n_head", c.nHead());
        n.put("n_inner", c.ff());
        n.put("activation_function", "gelu_new");   // GELU's tanh approximation, ScaleLab's
        n.put("layer_norm_epsilon", LAYER_NORM_EPS);
        n.put("resid_pdrop", c.dropout());
        n.put("embd_pdrop", c.dropout());
        n.put("attn_pdrop", 0.0);                    // ScaleLab drops on the residual branches, not the attention weights
        n.put("scale_attn_weights", true);
        n.put("tie_word_embeddings", c.tiedOutput());
        n.put("initializer_range", 0.02);
        specialTokens(n, tok);
        n.put("torch_dtype", "float32");
        return n;
    }

    static ObjectNode llamaConfig(ModelConfig c, Tokenizer tok) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
        n.put("vocab_size", c.nVocab());
        n.put("hidden_size", c.dModel());
        n.put("intermediate_size", c.ff());
        n.put("num_hidden_layers", c.nLayer());
        n.put("num_attention_heads", c.nHead());
        n.put("num_key_value_heads", c.nHead());
        n.put("head_dim", c.headSize());
        n.put("max_position_embeddings", c.nCtx());
        n.put("hidden_act", "silu");
        n.put("rms_norm_eps", RMS_NORM_EPS);
        n.put("rope_theta", ROPE_THETA);
        n.put("attention_bias", c.bias());
        n.put("mlp_bias", c.bias());
        n.put("attention_dropout", 0.0);
        n.put("tie_word_embeddings", c.tiedOutput());
        n.put("initializer_range", 0.02);
        specialTokens(n, tok);
        n.put("torch_dtype", "float32");
        return n;
    }

    private static void specialTokens(ObjectNode n, Tokenizer tok) {
        if (tok != null && tok.eot().isPresent()) {
            n.put("bos_token_id", tok.eot().getAsInt());
            n.put("eos_token_id", tok.eot().getAsInt());
        } else {
            n.putNull("bos_token_id");
            n.putNull("eos_token_id");
        }
    }

    /** nanoGPT's {@code GPTConfig} fields, as its train.py saves them in ckpt.pt's {@code model_args}. */
    static ObjectNode nanoGptModelArgs(ModelConfig c) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("n_layer", c.nLayer());
        n.put("n_head", c.nHead());
        n.put("n_embd", c.dModel());
        n.put("block_size", c.nCtx());
        n.put("bias", c.bias());
        n.put("vocab_size", c.nVocab());
        n.put("dropout", c.dropout());
        return n;
    }
}
