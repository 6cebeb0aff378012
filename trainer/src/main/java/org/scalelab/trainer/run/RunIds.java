package org.scalelab.trainer.run;

import org.scalelab.trainer.*;

import org.scalelab.trainer.run.*;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.scalelab.datasets.Json;

import java.nio.charset.StandardCharsets;

/**
 * Run ids derived from the resolved config: readable coordinates plus a short hash of everything,
 * so the same grid point always maps to the same directory (what makes resume and sharding safe).
 * An explicit {@code name} in the config is used as is.
 */
public final class RunIds {
    private RunIds() {}

    public static String of(RunConfig c) {
        return id(c, hashed(c));
    }

    /**
     * What the id hashes: the config without its name and output folder (they do not change what is
     * trained), and with {@code train.init} relative to the output folder ({@link Lineage#idKey}), so that
     * a fine-tuned run keeps its id when its sweep directory moves or is spelled another way; the same for
     * the run of {@code train.branch}.
     */
    public static RunConfig hashed(RunConfig c) {
        TrainConfig t = c.train();
        if (!t.init().isEmpty()) t = t.withInit(Lineage.idKey(t.init(), c.out()));
        if (!t.branch().isEmpty()) t = t.withBranch(Lineage.idKey(t.branchRun(), c.out()) + "@" + t.branchStep());
        return new RunConfig("", "", c.model(), c.data(), t);
    }

    /**
     * The id earlier versions gave a run that starts from another run: {@code train.init} hashed as
     * written (an absolute or working-directory path). Equal to {@link #of} for runs without init;
     * sweeps look for it so that a sweep started before keeps its fine-tuned runs.
     */
    public static String legacyOf(RunConfig c) {
        return id(c, new RunConfig("", "", c.model(), c.data(), c.train()));
    }

    /**
     * The text hashed: the config as JSON, with the model's variants left out where they are GPT-2's
     * (layernorm, gelu, learned), so that a run configured before the variants existed keeps its id.
     */
    public static String hashedText(RunConfig hashed) {
        ObjectNode tree = Json.MAPPER.valueToTree(hashed);
        ObjectNode m = (ObjectNode) tree.get("model");
        ModelConfig mc = hashed.model();
        if (mc.norm() == ModelConfig.Norm.LAYERNORM) m.remove("norm");
        if (mc.mlp() == ModelConfig.Mlp.GELU) m.remove("mlp");
        if (mc.position() == ModelConfig.Position.LEARNED) m.remove("position");
        if (mc.parameterization() == ModelConfig.Parameterization.SP) m.remove("parameterization");
        if (mc.baseWidth() == 0) m.remove("baseWidth");
        if (mc.baseDepth() == 0) m.remove("baseDepth");
        if (mc.attentionMultiplier() == 1) m.remove("attentionMultiplier");
        if (mc.outputMultiplier() == 1) m.remove("outputMultiplier");
        // a measurement setting, left out at its default (0.95) so that runs configured before it keep their ids
        if (hashed.train().noiseScaleEma() == TrainConfig.NOISE_SCALE_EMA) ((ObjectNode) tree.get("train")).remove("noiseScaleEma");
        ObjectNode train = (ObjectNode) tree.get("train");
        // which checkpoints are kept does not change what is trained (a sweep that adds a budget keeps its
        // main runs); a branch is hashed only when there is one, so that runs from before branches keep their ids
        train.remove("keepCheckpoints");
        if (hashed.train().branch().isEmpty()) train.remove("branch");
        if (hashed.train().earlyStopSmoothing() == 0) train.remove("earlyStopSmoothing");
        return Json.line(tree);
    }

    /** The explicit name of {@code c}, else its readable coordinates and the start of the hash of {@code hashed}. */
    private static String id(RunConfig c, RunConfig hashed) {
        if (c.name() != null && !c.name().isBlank()) return c.name();
        ModelConfig m = c.model();
        String hash = org.scalelab.datasets.Files2.sha256(hashedText(hashed).getBytes(StandardCharsets.UTF_8)).substring(0, 10);
        return String.format("L%d-d%d-h%d-T%d-%s", m.nLayer(), m.dModel(), m.nHead(), m.nCtx(), hash);
    }
}
