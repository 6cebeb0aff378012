package org.scalelab.trainer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Bad settings are one line that names where the value came from (the file or the --set argument) and the key. */
class ConfigLoaderTest {

    private static String error(Path file, String... sets) {
        return assertThrows(UserError.class, () -> ConfigLoader.load(file, List.of(sets))).getMessage();
    }

    @Test
    void integerKeysTakeWholeNumbersOnly(@TempDir Path tmp) throws IOException {
        assertEquals("--set model.nLayer=1.5: 'model.nLayer' must be a whole number, got 1.5", error(null, "model.nLayer=1.5"));
        Path yaml = Files.writeString(tmp.resolve("run.yaml"), "model:\n  dModel: 12.5\n");
        assertEquals(yaml + ": 'model.dModel' must be a whole number, got 12.5", error(yaml));
        // whole numbers written as floats are what they say
        RunConfig c = ConfigLoader.load(Files.writeString(tmp.resolve("ok.yaml"), "model:\n  nLayer: 4.0\n"), List.of("train.steps=1e4"));
        assertEquals(4, c.model().nLayer());
        assertEquals(10000, c.train().steps());
    }

    @Test
    void aBadSetValueNamesTheSetArgument(@TempDir Path tmp) throws IOException {
        assertTrue(error(null, "train.lr=abc").startsWith("--set train.lr=abc: bad value for 'train.lr'"), error(null, "train.lr=abc"));
        Path yaml = Files.writeString(tmp.resolve("run.yaml"), "train:\n  lr: 0.001\n");
        String e = error(yaml, "model.norm=batchnorm");
        assertTrue(e.startsWith("--set model.norm=batchnorm: model.norm: 'batchnorm' is not one of"), e);
        Path bad = Files.writeString(tmp.resolve("bad.yaml"), "train:\n  lr: fast\n");
        assertTrue(error(bad).startsWith(bad + ": bad value for 'train.lr'"), error(bad));
    }

    @Test
    void aRunNameCannotBeAPath() {
        for (String name : List.of("../../escape_run", "/tmp/abs", "a/b", ".hidden")) {
            String e = error(null, "name=" + name);
            assertTrue(e.startsWith("--set name=" + name + ": name: '" + name + "' must be letters, digits"), e);
        }
        assertEquals("my-run_1.a", ConfigLoader.load(null, List.of("name=my-run_1.a")).name());
    }
}
