package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Artefacts get the permissions the umask gives any new file or folder (0644 and 0755 under umask 022),
 * so a store in a shared folder is readable by its other users. Compared against a file made by plain
 * Files.createFile in the same folder, so the tests hold under any umask.
 */
class Files2Test {

    static Set<PosixFilePermission> perms(Path p) throws IOException {
        return Files.readAttributes(p, PosixFileAttributes.class).permissions();
    }

    static void assumePosix(Path dir) throws IOException {
        assumeTrue(Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class), "permissions are POSIX's; this file system has none");
    }

    /** What the umask gives a new file and a new folder in {@code dir}, in that order. */
    static List<Set<PosixFilePermission>> umaskPerms(Path dir) throws IOException {
        Path f = Files.createFile(dir.resolve("plain-file")), d = Files.createDirectory(dir.resolve("plain-dir"));
        List<Set<PosixFilePermission>> r = List.of(perms(f), perms(d));
        Files.delete(f);
        Files.delete(d);
        return r;
    }

    @Test
    void anAtomicWriteHasTheUmasksPermissions(@TempDir Path tmp) throws IOException {
        assumePosix(tmp);
        List<Set<PosixFilePermission>> want = umaskPerms(tmp);
        Path f = tmp.resolve("a.json");
        Files2.writeAtomic(f, "{}");
        assertEquals(PosixFilePermissions.toString(want.get(0)), PosixFilePermissions.toString(perms(f)));
        Files2.writeAtomic(f, "{\"replaced\": true}"); // over an existing file, too
        assertEquals(PosixFilePermissions.toString(want.get(0)), PosixFilePermissions.toString(perms(f)));
        assertArrayEquals("{\"replaced\": true}".getBytes(java.nio.charset.StandardCharsets.UTF_8), Files.readAllBytes(f));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
        Path d = Files2.createUniqueDirectory(tmp, ".x-");
        assertEquals(PosixFilePermissions.toString(want.get(1)), PosixFilePermissions.toString(perms(d)));
    }

    @Test
    void aPreparedStoreAndEveryFileInItHaveTheUmasksPermissions(@TempDir Path tmp) throws IOException {
        assumePosix(tmp);
        List<Set<PosixFilePermission>> want = umaskPerms(tmp);
        Path in = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 5000));
        Path out = tmp.resolve("store");
        Prepare.toStore(in.toString(), TokenStoreTest.opts("char"), out, false);
        Prepare.toStore(in.toString(), TokenStoreTest.opts("char"), out, true); // replacing a store, too
        assertEquals(PosixFilePermissions.toString(want.get(1)), PosixFilePermissions.toString(perms(out)), "the store folder");
        try (var s = Files.list(out)) {
            for (Path f : s.toList()) {
                assertEquals(PosixFilePermissions.toString(want.get(0)), PosixFilePermissions.toString(perms(f)), f.getFileName().toString());
            }
        }
        assertTrue(Files.exists(out.resolve("meta.pkl")));
    }
}
