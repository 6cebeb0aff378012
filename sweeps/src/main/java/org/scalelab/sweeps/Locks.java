package org.scalelab.sweeps;

import org.scalelab.datasets.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
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
 *   <li>a lock written on this machine (same host name, boot and process namespace) whose worker process
 *       is gone, with no training process of that run left, is taken over at once: nobody can touch it
 *       again, so waiting for the timeout would only leave the run idle;</li>
 *   <li>a worker releases only a lock that still holds its own token.</li>
 * </ul>
 * Staleness compares the lock's modification time with this machine's clock, so workers on different
 * machines need clocks within a small fraction of the timeout of each other (NTP gives milliseconds).
 *
 * <p>A lock file is {@code <token> <pid@host> <created>} and, where this machine can say which process
 * namespace it is in (Linux), a second line {@code space <host> <boot id> <pid namespace>}, and for a
 * process that trains several runs at once ({@code sweep run --workers}) a line {@code slot <worker i/K,
 * threads, GPU>}. Locks of older versions have the first line only; they are taken over after the timeout.
 */
final class Locks {
    /** pid@host of this JVM, written into locks and logs for people reading them. */
    static final String WORKER = ManagementFactory.getRuntimeMXBean().getName();
    /** Where this JVM's pid means this process: host, boot and pid namespace; null where that is unknown. */
    static final String SPACE = space();

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
            try {
                return token.equals(readToken(runDir.resolve(LOCK)));
            } catch (IOException e) {
                return false;
            }
        }

        /**
         * Deletes the lock if it is still this claim's. A read or delete that fails (a network file system)
         * is tried again a few times; a lock left all the same goes stale, or, on a done run, is removed
         * by the next scan ({@link #removeIfDone}).
         */
        void release() {
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    if (token.equals(readToken(runDir.resolve(LOCK)))) Files.deleteIfExists(runDir.resolve(LOCK));
                    return;
                } catch (IOException e) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException stop) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    /**
     * What a lock (or take-over guard) file says about its writer.
     *
     * @param worker  pid@host of the worker that wrote it
     * @param created when it was written, null when the file does not say
     * @param space   the writer's {@link #SPACE}, null in files of older versions
     * @param slot    which of its process's workers holds it ("worker 2/4, 1 thread, GPU 1"), "" when not said
     */
    record Holder(String token, String worker, Instant created, String space, String slot) {
        /** The writer's pid, or -1 when the file does not name one. */
        long pid() {
            int at = worker.indexOf('@');
            try {
                return at > 0 ? Long.parseLong(worker.substring(0, at)) : -1;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    /** The holder of the run's lock, or null when there is none (or it cannot be read). */
    static Holder holder(Path runDir) {
        return read(runDir.resolve(LOCK));
    }

    /** True when the run's lock exists, was touched within the timeout, and its worker may still be alive. */
    static boolean isHeld(Path runDir, long timeoutMs) {
        return isFresh(runDir.resolve(LOCK), timeoutMs) && !ownerGone(runDir, holder(runDir), true);
    }

    /** Milliseconds until the run's lock goes stale (≤ 0: stale or absent). */
    static long staleInMs(Path runDir, long timeoutMs) {
        try {
            return Files.getLastModifiedTime(runDir.resolve(LOCK)).toMillis() + timeoutMs - System.currentTimeMillis();
        } catch (IOException e) {
            return 0;
        }
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
        return claim(runDir, timeoutMs, "");
    }

    /** {@link #claim(Path, long)}, naming in the lock which of this process's workers holds it. */
    static Claim claim(Path runDir, long timeoutMs, String slot) {
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + runDir, e);
        }
        Claim c = create(runDir, slot);
        if (c != null || isHeld(runDir, timeoutMs)) return c;
        return takeOver(runDir, timeoutMs, slot);
    }

    /** The first line (the token and who wrote it) and, where known, the space line. */
    private static String header(String token, String slot) {
        return token + " " + WORKER + " " + Instant.now() + "\n" + (SPACE == null ? "" : "space " + SPACE + "\n")
                + (slot.isEmpty() ? "" : "slot " + slot.replace('\n', ' ') + "\n");
    }

    private static Claim create(Path runDir, String slot) {
        String token = UUID.randomUUID().toString();
        try {
            Files.writeString(runDir.resolve(LOCK), header(token, slot), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return new Claim(runDir, token);
        } catch (FileAlreadyExistsException held) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot claim " + runDir, e);
        }
    }

    /** Replaces a stale lock, or one whose worker is gone, one worker at a time. */
    private static Claim takeOver(Path runDir, long timeoutMs, String slot) {
        Path guard = runDir.resolve(TAKEOVER);
        try {
            try {
                Files.writeString(guard, header("takeover", ""), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException busy) {
                // Another worker is taking it over; if that worker died doing so, its guard goes stale.
                if (!isFresh(guard, timeoutMs) || ownerGone(runDir, read(guard), false)) Files.deleteIfExists(guard);
                return null;
            }
            try {
                if (isHeld(runDir, timeoutMs)) return null; // revived meanwhile, or taken over by another worker
                Files.deleteIfExists(runDir.resolve(LOCK));
                return create(runDir, slot);
            } finally {
                Files.deleteIfExists(guard);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take over the claim on " + runDir, e);
        }
    }

    /**
     * True when the file was written on this machine by a process that is gone, and (with
     * {@code checkChildren}) no training process of the run is left: a sweep killed on its own leaves its
     * run's process checkpointing for a moment ({@link TrainChild}), and the run is not free before it exits.
     */
    static boolean ownerGone(Path runDir, Holder h, boolean checkChildren) {
        if (h == null || SPACE == null || !SPACE.equals(h.space()) || h.pid() < 0 || h.created() == null) return false;
        if (alive(h.pid(), h.created())) return false;
        return !checkChildren || !trainingProcessAlive(runDir);
    }

    /**
     * Whether {@code pid} is a live process that may be the one that wrote a file at {@code written}: a
     * process that started more than a second after it carries a reused pid, and a zombie has exited.
     */
    static boolean alive(long pid, Instant written) {
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) return false;
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');     // "pid (name) S …": the state follows the name
            if (close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z') return false;
        } catch (IOException e) {
            // not Linux, or gone meanwhile: decided below
        }
        Optional<Instant> start = h.get().info().startInstant();
        return start.isEmpty() || !start.get().isAfter(written.plusSeconds(1));
    }

    /**
     * Whether a {@link TrainChild} process training into {@code runDir} is alive on this machine. Reads
     * {@code /proc/<pid>/cmdline}, since ProcessHandle.Info has no arguments for a command line longer
     * than a page, and a child's class path is longer. A warm worker ({@link WarmWorker}) has no run on its
     * command line: it names itself in the run's {@link TrainChild#PID_FILE} while it trains the run. Where
     * /proc cannot be read the answer is yes.
     */
    static boolean trainingProcessAlive(Path runDir) {
        if (warmWorkerAlive(runDir.resolve(TrainChild.PID_FILE))) return true;
        Path target = real(runDir.toAbsolutePath());
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                List<String> args;
                try {
                    args = cmdline(proc);
                } catch (IOException gone) {
                    continue;
                }
                if (!args.contains(TrainChild.class.getName())) continue;
                for (int i = 0; i + 1 < args.size(); i++) {
                    if (!args.get(i).equals("--out")) continue;
                    Path out = Path.of(args.get(i + 1));
                    try {
                        if (!out.isAbsolute()) out = Files.readSymbolicLink(proc.resolve("cwd")).resolve(out);
                    } catch (IOException unknown) {
                        if (out.getFileName().equals(target.getFileName())) return true; // cannot tell: the same run id
                        continue;
                    }
                    if (real(out).equals(target)) return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            return true;
        }
        return false;
    }

    /** Whether the warm worker a run's pid file names is alive: a TrainChild process older than the file. */
    static boolean warmWorkerAlive(Path pidFile) {
        long pid;
        Instant written;
        try {
            pid = Long.parseLong(Files.readString(pidFile).trim());
            written = Files.getLastModifiedTime(pidFile).toInstant();
        } catch (IOException | NumberFormatException e) {
            return false;   // none, or being written by a worker that has not started the run yet
        }
        if (!alive(pid, written)) return false;
        try {
            return cmdline(Path.of("/proc", Long.toString(pid))).contains(TrainChild.class.getName());
        } catch (IOException e) {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);   // no /proc: alive is all we can tell
        }
    }

    /** A process' arguments, from its /proc directory. */
    private static List<String> cmdline(Path procDir) throws IOException {
        return List.of(new String(Files.readAllBytes(procDir.resolve("cmdline")), StandardCharsets.UTF_8).split("\0"));
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.normalize();
        }
    }

    /**
     * Removes the lock of a run whose result.json says done. A worker killed between writing the result
     * and releasing its claim leaves one; a done run is never trained again, so no worker needs it.
     */
    static boolean removeIfDone(Path runDir) {
        Path lock = runDir.resolve(LOCK);
        if (!Files.exists(lock)) return false;
        var r = Json.readOrNull(runDir.resolve("result.json"));
        if (r == null || !r.path("status").asText().equals("done")) return false;
        try {
            return Files.deleteIfExists(lock);
        } catch (IOException e) {
            return false; // removed on a later scan
        }
    }

    /** The claim token in a lock file, or null when there is none. */
    static String tokenOf(Path lock) {
        try {
            return readToken(lock);
        } catch (IOException e) {
            return null;
        }
    }

    private static String readToken(Path lock) throws IOException {
        try {
            String s = Files.readString(lock).trim();
            int end = s.indexOf(' ');
            int nl = s.indexOf('\n');
            if (nl >= 0 && (end < 0 || nl < end)) end = nl;
            return end < 0 ? s : s.substring(0, end);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static Holder read(Path f) {
        List<String> lines;
        try {
            lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (lines.isEmpty()) return null;
        String[] first = lines.get(0).trim().split(" ");
        Instant created = null;
        if (first.length >= 3) {
            try {
                created = Instant.parse(first[2]);
            } catch (DateTimeParseException e) {
                created = null;
            }
        }
        String space = null, slot = "";
        for (String l : lines.subList(1, lines.size())) {
            if (l.startsWith("space ")) space = l.substring(6).trim();
            if (l.startsWith("slot ")) slot = l.substring(5).trim();
        }
        return new Holder(first[0], first.length >= 2 ? first[1] : "?", created, space, slot);
    }

    /** Where this JVM's pids are valid: host name, boot id and pid namespace (Linux), else null. */
    private static String space() {
        try {
            String boot = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
            String pidNs = Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
            String host = WORKER.substring(WORKER.indexOf('@') + 1);
            if (boot.isEmpty() || pidNs.isEmpty() || host.isEmpty()) return null;
            return (host + " " + boot + " " + pidNs).replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException e) {
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
