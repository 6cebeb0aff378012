package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.engine.CpuEngine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.model.Pass;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;
import org.scalelab.trainer.run.Checkpoint;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Exported weights compute the model's function: each layout's file is read back by an independent
 * safetensors reader and run through a forward pass written from the target architecture's definition
 * ({@link Reference}), whose logits must equal the CPU engine's to 2e-4 (float32 against double, logits
 * of order 1). Every tensor is random (gains and biases too), so a misplaced or untransposed one shows.
 */
class ExportTest {
    static final double TOL = 2e-4;
    static final ObjectMapper JSON = new ObjectMapper();

    private static ModelConfig cfg(boolean tied, boolean bias, int dFf, ModelConfig.Norm n, ModelConfig.Mlp m, ModelConfig.Position p) {
        return new ModelConfig(2, 16, 2, dFf, 8, 11, 0.0, tied, bias, n, m, p);
    }

    static ModelConfig gpt2(boolean tied, boolean bias, int dFf) {
        return cfg(tied, bias, dFf, ModelConfig.Norm.LAYERNORM, ModelConfig.Mlp.GELU, ModelConfig.Position.LEARNED);
    }

    static ModelConfig llama(boolean tied, boolean bias) {
        return cfg(tied, bias, 0, ModelConfig.Norm.RMSNORM, ModelConfig.Mlp.SWIGLU, ModelConfig.Position.ROPE);
    }

    /** An engine whose every parameter is random: matrices N(0, 0.3²), gains 1 + N(0, 0.2²), biases N(0, 0.1²). */
    static CpuEngine randomModel(ModelConfig c, long seed) {
        Transformer m = Transformer.of(c);
        Weights w = Weights.init(m.layout(), DataType.FLOAT, seed);
        Random r = new Random(seed);
        for (var e : w.byName().entrySet()) {
            INDArray a = e.getValue();
            boolean gain = e.getKey().endsWith(".g"), vector = a.rank() == 1;
            var b = a.data().asNioFloat();
            for (int i = 0; i < a.length(); i++) {
                b.put(i, (float) (gain ? 1 + 0.2 * r.nextGaussian() : (vector ? 0.1 : 0.3) * r.nextGaussian()));
            }
        }
        w.wroteOnHost();
        return (CpuEngine) Engines.create(Engines.Kind.CPU, m, w, Pass.Options.defaults());
    }

    static Map<String, float[]> weights(CpuEngine e) {
        Map<String, float[]> out = new LinkedHashMap<>();
        e.weights().byName().forEach((k, v) -> out.put(k, Weights.values(v)));
        return out;
    }

    /** Two sequences of nCtx tokens. */
    static int[] tokens(ModelConfig c, long seed) {
        Random r = new Random(seed);
        int[] t = new int[2 * c.nCtx()];
        for (int i = 0; i < t.length; i++) t[i] = r.nextInt(c.nVocab());
        return t;
    }

    private static SafetensorsReader export(CpuEngine e, Export.Layout layout, Path dir) throws IOException {
        Path f = dir.resolve(layout + ".safetensors");
        Safetensors.write(f, Export.tensors(e.model().config(), layout, weights(e)), Map.of("format", "pt"));
        return new SafetensorsReader(f);
    }

    /** Max |reference − engine| over both sequences. */
    private static double maxDiff(CpuEngine e, int[] tokens, java.util.function.Function<int[], double[][]> reference) {
        ModelConfig c = e.model().config();
        int T = c.nCtx(), V = c.nVocab();
        float[] ours = e.logits(tokens, false);
        double max = 0;
        for (int s = 0; s < tokens.length / T; s++) {
            double[][] ref = reference.apply(java.util.Arrays.copyOfRange(tokens, s * T, (s + 1) * T));
            for (int t = 0; t < T; t++) for (int v = 0; v < V; v++) max = Math.max(max, Math.abs(ref[t][v] - ours[(s * T + t) * V + v]));
        }
        return max;
    }

    @Test
    void gpt2LayoutComputesTheModel(@TempDir Path tmp) throws IOException {
        for (ModelConfig c : List.of(gpt2(true, true, 0), gpt2(false, false, 24))) {
            CpuEngine e = randomModel(c, 7);
            SafetensorsReader st = export(e, Export.Layout.GPT2, tmp);
            JsonNode conf = Export.gpt2Config(c, null);
            assertEquals(c.ff(), conf.path("n_inner").asInt());
            assertEquals(c.tiedOutput(), st.tensors.get("lm_head.weight") == null, "lm_head only when untied");
            assertEquals(2 + 12 * c.nLayer() + 2 + (c.tiedOutput() ? 0 : 1), st.tensors.size(), "every GPT2LMHeadModel tensor, biases included");
            double eps = conf.path("layer_norm_epsilon").asDouble();
            double diff = maxDiff(e, tokens(c, 1), t -> Reference.gpt2(st, c.nLayer(), c.dModel(), c.nHead(), c.nVocab(), eps, false, t));
            assertTrue(diff < TOL, c + ": GPT-2 logits differ by " + diff);
        }
    }

    @Test
    void llamaLayoutComputesTheModel(@TempDir Path tmp) throws IOException {
        for (ModelConfig c : List.of(llama(true, false), llama(false, true))) {
            CpuEngine e = randomModel(c, 8);
            SafetensorsReader st = export(e, Export.Layout.LLAMA, tmp);
            JsonNode conf = JSON.readTree(JSON.writeValueAsString(Export.llamaConfig(c, null)));
            assertEquals(c.bias(), st.tensors.containsKey("model.layers.0.self_attn.q_proj.bias"));
            assertEquals(c.bias(), st.tensors.containsKey("model.layers.1.mlp.down_proj.bias"));
            assertArrayEquals(new long[]{c.ff(), c.dModel()}, st.tensors.get("model.layers.0.mlp.gate_proj.weight").shape());
            double diff = maxDiff(e, tokens(c, 2), t -> Reference.llama(st, conf, t));
            assertTrue(diff < TOL, c + ": Llama logits differ by " + diff);
        }
    }

    @Test
    void nanoGptLayoutComputesTheModel(@TempDir Path tmp) throws IOException {
        for (ModelConfig c : List.of(gpt2(true, true, 0), gpt2(true, false, 0))) {
            CpuEngine e = randomModel(c, 9);
            SafetensorsReader st = export(e, Export.Layout.NANOGPT, tmp);
            assertArrayEquals(st.get("transformer.wte.weight"), st.get("lm_head.weight"), "nanoGPT's state dict has the tied head");
            assertEquals(c.bias(), st.tensors.containsKey("transformer.ln_f.bias"));
            assertArrayEquals(new long[]{3 * c.dModel(), c.dModel()}, st.tensors.get("transformer.h.0.attn.c_attn.weight").shape());
            // ScaleLab's normalisation (σ + 1e-12): what the loader of docs/interop.md gives nanoGPT's modules
            double diff = maxDiff(e, tokens(c, 3), t -> Reference.gpt2(st, c.nLayer(), c.dModel(), c.nHead(), c.nVocab(), 1e-12, true, t));
            assertTrue(diff < TOL, c + ": nanoGPT logits differ by " + diff);
        }
    }

    /**
     * μP's and CompleteP's multipliers, and the tunable α_attn and α_out (in SP too), are folded into the weights:
     * the standard architectures compute the same logits.
     */
    @Test
    void parameterizationsAreFoldedIntoTheWeights(@TempDir Path tmp) throws IOException {
        ModelConfig.Parameterization mup = ModelConfig.Parameterization.MUP, cp = ModelConfig.Parameterization.COMPLETEP;
        for (ModelConfig c : List.of(gpt2(true, true, 0).withParameterization(mup, 4, 0), gpt2(false, false, 0).withParameterization(cp, 8, 1),
                gpt2(true, true, 0).withParameterization(mup, 4, 0).withMultipliers(3, 0.5), gpt2(false, true, 0).withMultipliers(2, 4))) {
            CpuEngine e = randomModel(c, 10);
            SafetensorsReader st = export(e, Export.Layout.GPT2, tmp);
            double diff = maxDiff(e, tokens(c, 5), t -> Reference.gpt2(st, c.nLayer(), c.dModel(), c.nHead(), c.nVocab(), Export.LAYER_NORM_EPS, false, t));
            assertTrue(diff < TOL, c + ": GPT-2 logits differ by " + diff);
        }
        ModelConfig l = llama(true, true).withParameterization(cp, 4, 1).withMultipliers(2, 3);
        CpuEngine e = randomModel(l, 11);
        SafetensorsReader st = export(e, Export.Layout.LLAMA, tmp);
        JsonNode conf = JSON.readTree(JSON.writeValueAsString(Export.llamaConfig(l, null)));
        double diff = maxDiff(e, tokens(l, 6), t -> Reference.llama(st, conf, t));
        assertTrue(diff < TOL, l + ": Llama logits differ by " + diff);
    }

    @Test
    void variantsWithoutAnEquivalentAreRefusedByName() {
        ModelConfig mixed = cfg(true, true, 0, ModelConfig.Norm.RMSNORM, ModelConfig.Mlp.GELU, ModelConfig.Position.LEARNED);
        UserError e = assertThrows(UserError.class, () -> Export.layout(mixed, Export.Format.HF));
        assertTrue(e.getMessage().contains("model.norm=rmsnorm, model.mlp=gelu, model.position=learned"), e.getMessage());
        assertEquals(Export.Layout.LLAMA, Export.layout(llama(true, false), Export.Format.HF));
        assertEquals(Export.Layout.GPT2, Export.layout(gpt2(false, false, 24), Export.Format.HF));
        assertTrue(assertThrows(UserError.class, () -> Export.layout(llama(true, false), Export.Format.NANOGPT))
                .getMessage().contains("LlamaForCausalLM"));
        assertTrue(assertThrows(UserError.class, () -> Export.layout(gpt2(false, true, 0), Export.Format.NANOGPT))
                .getMessage().contains("tiedOutput=false"));
        assertTrue(assertThrows(UserError.class, () -> Export.layout(gpt2(true, true, 24), Export.Format.NANOGPT))
                .getMessage().contains("model.dFf=24"));
        assertThrows(UserError.class, () -> Export.Format.of("onnx"));
    }

    @Test
    void safetensorsHeaderIsPaddedAndOffsetsTileTheData(@TempDir Path tmp) throws IOException {
        LinkedHashMap<String, Safetensors.Tensor> t = new LinkedHashMap<>();
        t.put("b", new Safetensors.Tensor(new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6}));
        t.put("a", new Safetensors.Tensor(new long[]{1}, new float[]{-0.5f}));
        t.put("ids", Safetensors.Tensor.ofInts(new long[]{2}, new long[]{3, -1L << 40}));
        Path f = tmp.resolve("x.safetensors");
        Safetensors.write(f, t, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header length a multiple of 8");
        assertEquals(8 + n + 4 * 7 + 8 * 2, bytes.length);
        String header = new String(bytes, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.substring(header.lastIndexOf('}') + 1).chars().allMatch(ch -> ch == ' '), "padding is trailing spaces");
        assertFalse(header.contains("\n"), "compact JSON");
        SafetensorsReader r = new SafetensorsReader(f);
        assertEquals(List.of("b", "a", "ids"), List.copyOf(r.tensors.keySet()), "tensors in the order given");
        assertArrayEquals(new long[]{3, -1L << 40}, r.ints("ids"));
        assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, r.get("b"));
        assertArrayEquals(new float[]{-0.5f}, r.get("a"));
        assertEquals("pt", r.metadata.get("format"));
        assertEquals(1.0f, ByteBuffer.wrap(bytes, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat(), "first value little-endian");
    }

    /** A real run directory (a 0.1.0 run interrupted at step 3) through the command's code path. */
    @Test
    void exportsARunDirectory(@TempDir Path tmp) throws IOException, URISyntaxException {
        Path run = Path.of(ExportTest.class.getResource("/fixtures/run-0.1-step3").toURI());
        Export.Result r = Export.write(run, Export.Format.HF, tmp.resolve("hf"), true);
        assertEquals(Export.Layout.GPT2, r.layout());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("tokenizer 'char'")), r.notes().toString());
        JsonNode conf = JSON.readTree(tmp.resolve("hf/config.json").toFile());
        assertEquals("gpt2", conf.path("model_type").asText());
        SafetensorsReader st = new SafetensorsReader(tmp.resolve("hf/model.safetensors"));
        assertEquals("3", st.metadata.get("scalelab_step"));
        ModelConfig c = org.scalelab.trainer.run.Specs.readConfig(run.resolve("spec.json")).model();
        Transformer m = Transformer.of(c);
        Weights w = Weights.init(m.layout(), DataType.FLOAT, 0);
        Checkpoint.load(run.resolve("checkpoint"), w.byName(), null);
        CpuEngine e = (CpuEngine) Engines.create(Engines.Kind.CPU, m, w, Pass.Options.defaults());
        double diff = maxDiff(e, tokens(c, 4), t -> Reference.gpt2(st, c.nLayer(), c.dModel(), c.nHead(), c.nVocab(),
                conf.path("layer_norm_epsilon").asDouble(), false, t));
        assertTrue(diff < TOL, "exported run's logits differ by " + diff);
        SafetensorsReader ref = new SafetensorsReader(tmp.resolve("hf/reference.safetensors"));
        long[] ids = ref.ints("input_ids");
        int[] seq = new int[ids.length];
        for (int i = 0; i < seq.length; i++) seq[i] = Math.toIntExact(ids[i]);
        double[][] want = Reference.gpt2(st, c.nLayer(), c.dModel(), c.nHead(), c.nVocab(), conf.path("layer_norm_epsilon").asDouble(), false, seq);
        float[] got = ref.get("logits");
        for (int t = 0; t < seq.length; t++) for (int v = 0; v < c.nVocab(); v++) assertEquals(want[t][v], got[t * c.nVocab() + v], TOL);
        assertFalse(ref.tensors.containsKey("probe_ids"), "no probe for a tokenizer transformers cannot load");

        Export.Result n = Export.write(run, Export.Format.NANOGPT, tmp.resolve("nano"), false);
        assertEquals(Export.Layout.NANOGPT, n.layout());
        JsonNode args = JSON.readTree(tmp.resolve("nano/model_args.json").toFile());
        assertEquals(c.nCtx(), args.path("block_size").asInt());
        assertEquals(c.nVocab(), args.path("vocab_size").asInt());
        assertTrue(Files.isRegularFile(tmp.resolve("nano/meta.pkl")), "a char run's vocabulary for nanoGPT's sample.py");
    }
}
