package org.scalelab.sweeps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.UUID;

/**
 * Run claims for workers sharing a sweep directory (threads, processes, machines on a shared file
 * system). A worker owns a run while {@code runs/<id>/.lock} holds its claim token and is fresh:
 * <ul>
 *   <li>creating the lock is atomic ({@code O_CREAT|O_EXCL}), so two workers never both get a free run;</li>
 *   <li>the owner touches it every quarter of the timeout (a heartbeat) and checks that it is still its own;</li>
 *   <li>a lock untouched for longer than the timeout belongs to a dead worker and is taken over. The
 *       take-over itself is serialised by a second file, {@code .lock.takeover}, so that two workers that
 *       both saw the stale lock cannot both delete it and both win;</li>
 *   <li>a worker releases only a lock that still holds its own token.</li>
 * </ul>
 * Staleness compares the lock's modification time with this machine's clock, so workers on different
 * machines need clocks within a small fraction of the timeout of each other (NTP gives milliseconds).
 */
final class Locks {
    /** pid@host of this JVM, written into locks and logs for people reading them. */
    static final String WORKER = ManagementFactory.getRuntimeMXBean().getName();

    static final String LOCK = ".lock";
    static final String TAKEOVER = ".lock.takeover";

    private Locks() {}

    /** A claim on one run: its directory and the token written into the lock. */
    record Claim(Path runDir, String token) {
        /** Refreshes the lock's time; false when the lock is gone or is now another worker's. */
        boolean heartbeat() {
            if (!isMine()) return false;
            try {
                Files.setLastModifiedTime(runDir.resolve(LOCK), FileTime.fromMillis(System.currentTimeMillis()));
                return true;
            } catch (IOException e) {
                return isMine(); // a transient error on a network file system: try again at the next beat
            }
        }

        boolean isMine() {
            return token.equals(tokenOf(runDir.resolve(LOCK)));
        }

        /** Deletes the lock if it is still this claim's. */
        void release() {
            try {
                if (isMine()) Files.deleteIfExists(runDir.resolve(LOCK));
            } catch (IOException ignored) {
                // a leftover lock goes stale and is taken over
            }
        }
    }

    /** True when the run's lock exists and was touched within the timeout. */
    static boolean isHeld(Path runDir, long timeoutMs) {
        return isFresh(runDir.resolve(LOCK), timeoutMs);
    }

    private static boolean isFresh(Path f, long timeoutMs) {
        try {
            return Files.getLastModifiedTime(f).toMillis() > System.currentTimeMillis() - timeoutMs;
        } catch (IOException e) {
            return false;
        }
    }

    /** Tries to claim the run; the claim when this worker now owns it, else null. */
    static Claim claim(Path runDir, long timeoutMs) {
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + runDir, e);
        }
        Claim c = create(runDir);
        if (c != null || isHeld(runDir, timeoutMs)) return c;
        return takeOver(runDir, timeoutMs);
    }

    private static Claim create(Path runDir) {
        String token = UUID.randomUUID().toString();
        try {
            Files.writeString(runDir.resolve(LOCK), token + " " + WORKER + " " + Instant.now() + "\n",
                    StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return new Claim(runDir, token);
        } catch (FileAlreadyExistsException held) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot claim " + runDir, e);
        }
    }

    /** Replaces a stale lock, one worker at a time. */
    private static Claim takeOver(Path runDir, long timeoutMs) {
        Path guard = runDir.resolve(TAKEOVER);
        try {
            try {
                Files.writeString(guard, WORKER + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException busy) {
                // Another worker is taking it over; if that worker died doing so, its guard goes stale.
                if (!isFresh(guard, timeoutMs)) Files.deleteIfExists(guard);
                return null;
            }
            try {
                Path lock = runDir.resolve(LOCK);
                if (Files.exists(lock) && isFresh(lock, timeoutMs)) return null; // revived meanwhile
                Files.deleteIfExists(lock);
                return create(runDir);
            } finally {
                Files.deleteIfExists(guard);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take over the claim on " + runDir, e);
        }
    }

    /** The claim token in a lock file, or null when there is none. */
    static String tokenOf(Path lock) {
        try {
            String s = Files.readString(lock).trim();
            int sp = s.indexOf(' ');
            return sp < 0 ? s : s.substring(0, sp);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Appends one line to the run's claims.log: which worker started training it, and when. */
    static void logStart(Path runDir, String what) {
        try {
            Files.writeString(runDir.resolve("claims.log"), WORKER + " " + Instant.now() + " " + what + "\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve("claims.log"), e);
        }
    }
}
