package org.scalelab.sweeps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * Run claims for workers sharing a sweep directory: a worker owns a run while its {@code .lock} file
 * exists and is fresh. Creating the file is atomic, so two workers never both get it; the owner
 * touches it every few seconds (a heartbeat), and a lock untouched for longer than the timeout — its
 * worker died — may be taken over. Every claim is appended to {@code claims.log}.
 */
final class Locks {
    static final String WORKER = ManagementFactory.getRuntimeMXBean().getName(); // pid@host

    private Locks() {}

    static boolean isHeld(Path runDir, long timeoutMs) {
        Path lock = runDir.resolve(".lock");
        try {
            return Files.exists(lock) && Files.getLastModifiedTime(lock).toMillis() > System.currentTimeMillis() - timeoutMs;
        } catch (IOException e) {
            return false;
        }
    }

    /** Tries to claim the run; true when this worker now owns it. */
    static boolean claim(Path runDir, long timeoutMs) {
        Path lock = runDir.resolve(".lock");
        try {
            Files.createDirectories(runDir);
            for (int attempt = 0; attempt < 2; attempt++) {
                try {
                    Files.writeString(lock, WORKER + " " + Instant.now() + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    Files.writeString(runDir.resolve("claims.log"), WORKER + " " + Instant.now() + "\n",
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    return true;
                } catch (FileAlreadyExistsException held) {
                    if (isHeld(runDir, timeoutMs)) return false;
                    // stale: its worker stopped touching it; remove it and race for it once more
                    Files.deleteIfExists(lock);
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot claim " + runDir, e);
        }
    }

    static void touch(Path runDir) {
        try {
            Files.setLastModifiedTime(runDir.resolve(".lock"), FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException ignored) {
            // the next heartbeat tries again
        }
    }

    static void release(Path runDir) {
        try {
            Files.deleteIfExists(runDir.resolve(".lock"));
        } catch (IOException ignored) {
            // a leftover lock goes stale and is taken over
        }
    }
}
