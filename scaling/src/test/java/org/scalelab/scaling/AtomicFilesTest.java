package org.scalelab.scaling;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An atomically written file replaces the old one whole and gets the permissions the umask gives any new file. */
class AtomicFilesTest {
    @Test
    void writesWholeWithTheUmasksPermissions(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("fits.json");
        AtomicFiles.write(f, "old".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(f, "new".getBytes(StandardCharsets.UTF_8));
        assertEquals("new", Files.readString(f));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary left");
        }
        Assumptions.assumeTrue(Files.getFileStore(tmp).supportsFileAttributeView("posix"));
        Path ref = Files.createFile(tmp.resolve("reference"));
        assertEquals(Files.readAttributes(ref, PosixFileAttributes.class).permissions(),
                Files.readAttributes(f, PosixFileAttributes.class).permissions());
    }
}
