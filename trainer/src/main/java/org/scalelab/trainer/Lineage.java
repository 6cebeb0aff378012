package org.scalelab.trainer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starting a run from another run's weights (fine-tuning, transfer). The parent must have the same
 * model shape; its latest checkpoint's weights are loaded, its optimizer state is not. What was loaded
 * is recorded as the child's lineage in spec.json.
 */
public final class Lineage {
    private Lineage() {}

    /** Loads the parent's weights into {@code params} and returns the lineage record. */
    public static ObjectNode initialise(Path parent, ModelConfig model, Map<String, INDArray> params) {
        Path runDir = parent.getFileName() != null && parent.getFileName().toString().equals("checkpoint")
                ? parent.getParent() : parent;
        if (!Files.isDirectory(runDir)) throw new UserError("train.init: " + runDir + " is not a run directory");
        RunConfig pc = Specs.readConfig(runDir.resolve("spec.json"));
        ModelConfig pm = pc.model();
        // Dropout does not change the weights' shapes, so a parent trained with another rate is fine.
        ModelConfig a = new ModelConfig(pm.nLayer(), pm.dModel(), pm.nHead(), pm.ff(), pm.nCtx(), pm.nVocab(), 0, pm.tiedOutput(), pm.bias());
        ModelConfig b = new ModelConfig(model.nLayer(), model.dModel(), model.nHead(), model.ff(), model.nCtx(), model.nVocab(), 0, model.tiedOutput(), model.bias());
        if (!a.equals(b)) {
            throw new UserError("train.init: " + runDir + " has model " + describe(pm) + " but this run has "
                    + describe(model) + "; initialise from a run of the same shape (and tokenizer vocabulary)");
        }
        Path ck = runDir.resolve("checkpoint");
        if (!Checkpoint.exists(ck)) throw new UserError("train.init: " + ck + " has no checkpoint; train the parent run first");
        ObjectNode state = Checkpoint.load(ck, params, null);
        ObjectNode l = Json.MAPPER.createObjectNode();
        l.put("init", runDir.toAbsolutePath().normalize().toString());
        l.put("parent_run_id", readRunId(runDir));
        l.put("parent_step", state.path("step").asInt());
        l.put("parent_tokens", state.path("tokens").asLong());
        l.put("parent_corpus", pc.data().corpus());
        l.put("parent_params_sha256", state.path("params_sha256").asText());
        return l;
    }

    private static String readRunId(Path runDir) {
        try {
            JsonNode s = Json.MAPPER.readTree(runDir.resolve("spec.json").toFile());
            return s.path("run_id").asText(runDir.getFileName().toString());
        } catch (IOException e) {
            return runDir.getFileName().toString();
        }
    }

    private static String describe(ModelConfig m) {
        return String.format("nLayer=%d dModel=%d nHead=%d dFf=%d nCtx=%d nVocab=%d tied=%s bias=%s",
                m.nLayer(), m.dModel(), m.nHead(), m.ff(), m.nCtx(), m.nVocab(), m.tiedOutput(), m.bias());
    }
}
