package org.scalelab.trainer.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.model.ParamLayout;
import org.scalelab.trainer.model.Weights;
import org.scalelab.trainer.optim.AdamW;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

import static org.junit.jupiter.api.Assertions.*;

/** A failed or interrupted save leaves nothing half-written behind, and folders get the umask's permissions. */
class CheckpointFailureTest {
    private static ObjectNode state(int step) {
        ObjectNode s = Json.MAPPER.createObjectNode();
        s.put("step", step);
        return s;
    }

    @Test
    void temporariesOfAnInterruptedSaveAreRemovedAndTheLastCheckpointKept(@TempDir Path tmp) throws IOException {
        ParamLayout layout = ParamLayout.of(ModelConfig.DEFAULT.withVocab(11));
        Weights w = Weights.init(layout, DataType.FLOAT, 1);
        AdamW adam = new AdamW(layout.sizes(), 0.9, 0.95, 1e-8);
        Path ck = tmp.resolve("checkpoint");
        Checkpoint.save(ck, w.byName(), adam, state(3));
        // what a kill or a full disk during the next save leaves: a temporary with a truncated file
        Path partial = Files.createDirectories(ck.resolve(".tmp-step-00000006-1f2e"));
        Files.write(partial.resolve("params.bin"), new byte[100]);
        Checkpoint.removeTemporaries(ck);
        assertFalse(Files.exists(partial));
        assertEquals(3, Checkpoint.load(ck, w.byName(), adam).get("step").asInt(), "the complete checkpoint is kept");
        if (Files.getFileStore(ck).supportsFileAttributeView("posix")) {
            Path ref = Files.createDirectory(tmp.resolve("reference"));
            var want = Files.readAttributes(ref, PosixFileAttributes.class).permissions();
            assertEquals(want, Files.readAttributes(ck.resolve("step-00000003"), PosixFileAttributes.class).permissions(),
                    "a step folder has the permissions the umask gives a new folder");
        }
    }

    @Test
    void aSaveThatCannotWriteIsOneLineNamingTheFolder(@TempDir Path tmp) throws IOException {
        ParamLayout layout = ParamLayout.of(ModelConfig.DEFAULT.withVocab(11));
        Weights w = Weights.init(layout, DataType.FLOAT, 1);
        Path notADir = Files.writeString(tmp.resolve("checkpoint"), "a file where the folder should be");
        UserError e = assertThrows(UserError.class, () -> Checkpoint.save(notADir, w.byName(), new AdamW(layout.sizes(), 0.9, 0.95, 1e-8), state(1)));
        assertTrue(e.getMessage().startsWith(notADir + ": cannot write the checkpoint") && e.getMessage().contains("--resume"), e.getMessage());
    }
}
