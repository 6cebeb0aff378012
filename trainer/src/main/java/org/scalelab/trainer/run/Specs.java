package org.scalelab.trainer.run;

import org.scalelab.trainer.model.Accounting;
import org.scalelab.trainer.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * {@code spec.json}: the fully resolved config that produced a run plus what was derived from it
 * (parameter counts, FLOPs per token, data sizes) and the software it ran on — the run's provenance.
 */
public final class Specs {
    public static final int FORMAT = 1;

    private Specs() {}

    static ObjectNode spec(RunConfig cfg, Trainer.Prepared prep, Accounting acc, ObjectNode lineage, String engine) {
        ObjectNode s = Json.MAPPER.createObjectNode();
        s.put("format", FORMAT);
        s.put("run_id", prep.runId());
        s.set("config", Json.MAPPER.valueToTree(cfg));
        ObjectNode d = s.putObject("derived");
        TrainConfig t = cfg.train();
        long tokensPerStep = (long) t.batchSize() * cfg.model().nCtx();
        d.put("N", acc.nonEmbedding());
        d.put("N_total", acc.total());
        d.put("N_kaplan", acc.kaplanApprox());
        d.put("N_embedding", acc.embedding());
        d.put("flops_per_token_fwd", acc.flopsPerTokenFwd());
        d.put("tokens_per_step", tokensPerStep);
        d.put("accumulation_steps", t.accumulation());
        d.put("D_planned", t.steps() * tokensPerStep);
        d.put("C_planned", acc.trainingFlops((double) t.steps() * tokensPerStep));
        ObjectNode data = s.putObject("data");
        data.put("name", prep.data().name());
        data.put("tokenizer", prep.data().tokenizer().kind());
        data.put("vocab_size", prep.data().tokenizer().vocabSize());
        data.put("train_tokens", prep.train().size());
        data.put("val_tokens", prep.data().val().size());
        if (prep.data().lossFloorNats().isPresent()) data.put("loss_floor", prep.data().lossFloorNats().getAsDouble());
        var ctxFloor = prep.data().lossFloorNats(cfg.model().nCtx());
        if (ctxFloor.isPresent()) data.put("loss_floor_ctx", ctxFloor.getAsDouble());
        if (lineage != null) s.set("lineage", lineage);
        ObjectNode sw = s.putObject("software");
        sw.put("scalelab", Version.SCALELAB);
        sw.put("nd4j", Version.ND4J);
        sw.put("backend", Version.backend());
        sw.put("engine", engine);
        sw.put("java", System.getProperty("java.version"));
        s.put("created", Instant.now().toString());
        return s;
    }

    /** The config recorded in a run's spec.json. */
    public static RunConfig readConfig(Path specFile) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(specFile.toFile());
        } catch (IOException e) {
            throw new UserError(specFile + ": missing or unreadable (" + e.getMessage() + "); is this a run directory?");
        }
        if (root == null || !root.has("config")) throw new UserError(specFile + ": no 'config' field; not a ScaleLab run spec");
        return ConfigLoader.bind(root.get("config"), specFile.toString());
    }

    /** The run directory's spec.json exists. */
    public static boolean isRunDir(Path dir) {
        return Files.isRegularFile(dir.resolve("spec.json"));
    }
}
