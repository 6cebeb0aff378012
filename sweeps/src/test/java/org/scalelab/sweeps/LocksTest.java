package org.scalelab.sweeps;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocksTest {
    static final long TIMEOUT = 60_000;

    private static void age(Path f, long ms) throws Exception {
        Files.setLastModifiedTime(f, FileTime.fromMillis(System.currentTimeMillis() - ms));
    }

    @Test
    void oneClaimAtATimeAndOnlyTheOwnerReleases(@TempDir Path tmp) {
        Path run = tmp.resolve("runs/r1");
        Locks.Claim a = Locks.claim(run, TIMEOUT);
        assertNotNull(a);
        assertNull(Locks.claim(run, TIMEOUT), "a fresh lock is not taken");
        assertTrue(Locks.isHeld(run, TIMEOUT));
        assertTrue(a.heartbeat());
        a.release();
        assertFalse(Files.exists(run.resolve(Locks.LOCK)));
        assertNotNull(Locks.claim(run, TIMEOUT), "a released run is free");
    }

    /** A dead worker's lock is taken over after the timeout; the old owner then learns it lost the run and deletes nothing. */
    @Test
    void staleLockIsTakenOverAndTheFormerOwnerNoticesIt(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("r");
        Locks.Claim dead = Locks.claim(run, TIMEOUT);
        assertNotNull(dead);
        age(run.resolve(Locks.LOCK), TIMEOUT - 5_000);
        assertNull(Locks.claim(run, TIMEOUT), "not stale yet");
        age(run.resolve(Locks.LOCK), TIMEOUT + 1_000);
        assertEquals("pending", ResultsCsv.status(run, TIMEOUT), "a run with a stale lock and no checkpoint is pending again");
        Locks.Claim next = Locks.claim(run, TIMEOUT);
        assertNotNull(next, "stale lock taken over");
        assertFalse(dead.heartbeat(), "the old owner's heartbeat sees the new token");
        dead.release();
        assertTrue(next.isMine(), "the old owner did not delete the new lock");
    }

    /** Many workers that all saw the same stale lock: exactly one of them gets the run, every time. */
    @Test
    void racingTakeOversHaveOneWinner(@TempDir Path tmp) throws Exception {
        int workers = 6;
        for (int round = 0; round < 40; round++) {
            Path run = tmp.resolve("r" + round);
            assertNotNull(Locks.claim(run, TIMEOUT));
            age(run.resolve(Locks.LOCK), 2 * TIMEOUT);
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger wins = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (Locks.claim(run, TIMEOUT) != null) wins.incrementAndGet();
                });
                t.start();
                ts.add(t);
            }
            go.countDown();
            for (Thread t : ts) t.join();
            assertEquals(1, wins.get(), "round " + round);
        }
    }

    /** A worker that died while taking a lock over leaves its guard; after the timeout the guard is cleared. */
    @Test
    void staleTakeOverGuardIsCleared(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("r");
        assertNotNull(Locks.claim(run, TIMEOUT));
        age(run.resolve(Locks.LOCK), 2 * TIMEOUT);
        Files.writeString(run.resolve(Locks.TAKEOVER), "dead\n");
        assertNull(Locks.claim(run, TIMEOUT), "a fresh guard: someone is taking it over");
        age(run.resolve(Locks.TAKEOVER), 2 * TIMEOUT);
        assertNull(Locks.claim(run, TIMEOUT), "the stale guard is removed on this attempt");
        assertNotNull(Locks.claim(run, TIMEOUT), "and the next attempt takes the run");
    }

    /** A lock as a worker writes it: token, pid@host, time written, and the space line when there is one. */
    static void lock(Path run, String worker, Instant written, String space) throws Exception {
        Files.createDirectories(run);
        Files.writeString(run.resolve(Locks.LOCK), "tok-" + worker + " " + worker + " " + written + "\n" + (space == null ? "" : "space " + space + "\n"));
    }

    /** The pid of a process of this machine that has exited (and been reaped). */
    static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.pid();
    }

    static String host() {
        return Locks.WORKER.substring(Locks.WORKER.indexOf('@') + 1);
    }

    /**
     * A fresh lock whose worker ran on this machine and is gone (kill -9 of the sweep, then a restart)
     * is taken over at once, not after the timeout; the same lock written in another process namespace,
     * on another host, or without a space line (older versions) is waited for.
     */
    @Test
    void aFreshLockOfAGoneProcessOnThisMachineIsTakenOverAtOnce(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Locks.SPACE != null, "needs /proc (Linux)");
        long dead = deadPid();
        Path run = tmp.resolve("r");
        lock(run, dead + "@" + host(), Instant.now(), Locks.SPACE);
        assertFalse(Locks.isHeld(run, 120_000), "the worker is gone");
        assertEquals("pending", ResultsCsv.status(run, 120_000), "shown as free, not as running");
        Locks.Claim c = Locks.claim(run, 120_000);
        assertNotNull(c, "taken over without waiting for the timeout");
        assertTrue(c.isMine());
        assertFalse(Files.exists(run.resolve(Locks.TAKEOVER)), "the take-over guard is removed");

        for (String other : new String[]{"elsewhere 97cd7280-0000-0000-0000-000000000000 pid:[1]",
                Locks.SPACE.replace("pid:[", "pid:[9"), null}) {
            Path r = tmp.resolve("r" + Math.abs(String.valueOf(other).hashCode()));
            lock(r, dead + "@" + (other == null ? host() : other.split(" ")[0]), Instant.now(), other);
            assertTrue(Locks.isHeld(r, 120_000), "a pid of another machine or namespace says nothing here: " + other);
            assertNull(Locks.claim(r, 120_000));
            age(r.resolve(Locks.LOCK), 121_000);
            assertNotNull(Locks.claim(r, 120_000), "taken over once stale: " + other);
        }
    }

    /** A live pid holds its lock, unless that process started after the lock was written (a reused pid). */
    @Test
    void aLivePidHoldsTheLockUnlessItWasReused(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Locks.SPACE != null, "needs /proc (Linux)");
        Instant started = ProcessHandle.current().info().startInstant().orElseThrow();
        Path run = tmp.resolve("r");
        lock(run, ProcessHandle.current().pid() + "@" + host(), Instant.now(), Locks.SPACE);
        assertTrue(Locks.isHeld(run, 120_000), "this JVM is alive");
        lock(run, ProcessHandle.current().pid() + "@" + host(), started.minusSeconds(3600), Locks.SPACE);
        assertFalse(Locks.isHeld(run, 120_000), "written an hour before this JVM started: its writer had this pid before");
    }

    /**
     * The sweep process is gone but the run's training process is still checkpointing (a sweep killed
     * alone, {@link TrainChild}): the run is not free until that process exits. Its --out is relative
     * to its working directory.
     */
    @Test
    void aRunWhoseTrainingProcessLivesOnIsNotTakenOver(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Locks.SPACE != null, "needs /proc (Linux)");
        Path run = tmp.resolve("runs/r");
        lock(run, deadPid() + "@" + host(), Instant.now(), Locks.SPACE);
        Process child = new ProcessBuilder("bash", "-c", "sleep 60; true", TrainChild.class.getName(), "train", "--out", "runs/r")
                .directory(tmp.toFile()).start();
        Process unrelated = new ProcessBuilder("bash", "-c", "sleep 60; true", TrainChild.class.getName(), "train", "--out", "runs/other")
                .directory(tmp.toFile()).start();
        try {
            Thread.sleep(300);  // bash has its arguments in /proc
            assertTrue(Locks.trainingProcessAlive(run));
            assertTrue(Locks.isHeld(run, 120_000), "its training process is alive");
            assertNull(Locks.claim(run, 120_000));
            child.destroyForcibly().waitFor();
            assertFalse(Locks.trainingProcessAlive(run), "another run's process does not count");
            assertNotNull(Locks.claim(run, 120_000), "free once it exited");
        } finally {
            child.destroyForcibly();
            unrelated.destroyForcibly();
        }
    }

    /**
     * A warm worker ({@code --reuse-jvm}) names no run on its command line: the run's train.pid says which
     * process trains it. The run is held while that process lives, and free when it is gone, when the
     * file names a process that is no TrainChild, or when the process started after the file was written
     * (a reused pid).
     */
    @Test
    void aWarmWorkersRunIsHeldWhileItsProcessLives(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Locks.SPACE != null, "needs /proc (Linux)");
        Path run = tmp.resolve("runs/r");
        lock(run, deadPid() + "@" + host(), Instant.now(), Locks.SPACE);
        Process worker = new ProcessBuilder("bash", "-c", "sleep 60; true", TrainChild.class.getName(), "serve").start();
        Process other = new ProcessBuilder("bash", "-c", "sleep 60; true", "serve").start();
        Path pid = run.resolve(TrainChild.PID_FILE);
        try {
            Thread.sleep(300);  // bash has its arguments in /proc
            Files.writeString(pid, worker.pid() + "\n");
            assertTrue(Locks.trainingProcessAlive(run), "the worker named in train.pid trains it");
            assertNull(Locks.claim(run, 120_000), "held while the worker lives");
            Files.setLastModifiedTime(pid, FileTime.from(Instant.now().minusSeconds(3600)));
            assertFalse(Locks.warmWorkerAlive(pid), "written before the process started: another process had that pid");
            Files.writeString(pid, other.pid() + "\n");
            assertFalse(Locks.warmWorkerAlive(pid), "a live process that is not a training process");
            Files.writeString(pid, worker.pid() + "\n");
            worker.destroyForcibly().waitFor();
            assertFalse(Locks.trainingProcessAlive(run), "its worker is gone");
            assertNotNull(Locks.claim(run, 120_000), "free once the worker exited");
        } finally {
            worker.destroyForcibly();
            other.destroyForcibly();
        }
    }

    /** The lock of a run whose result says done is removed; that of a run without a final result is not. */
    @Test
    void aLockInADoneRunIsRemoved(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("r");
        lock(run, "4242@elsewhere", Instant.now(), null);
        Files.writeString(run.resolve("result.json"), "{\"status\": \"interrupted\"}");
        assertFalse(Locks.removeIfDone(run));
        assertTrue(Files.exists(run.resolve(Locks.LOCK)), "an interrupted run may be resuming under it");
        Files.writeString(run.resolve("result.json"), "{\"status\": \"done\"}");
        assertTrue(Locks.removeIfDone(run));
        assertFalse(Files.exists(run.resolve(Locks.LOCK)));
    }

    /** Locks written before the space line are still read: their token is released only by their owner. */
    @Test
    void locksOfTheOlderFormatAreRead(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("r");
        Files.createDirectories(run);
        Files.writeString(run.resolve(Locks.LOCK), "0b6f 77@old-host 2025-01-02T03:04:05Z\n");
        assertEquals("0b6f", Locks.tokenOf(run.resolve(Locks.LOCK)));
        Locks.Holder h = Locks.holder(run);
        assertEquals("77@old-host", h.worker());
        assertEquals(77, h.pid());
        assertNull(h.space());
        new Locks.Claim(run, "other").release();
        assertTrue(Files.exists(run.resolve(Locks.LOCK)), "not this claim's");
        new Locks.Claim(run, "0b6f").release();
        assertFalse(Files.exists(run.resolve(Locks.LOCK)));
    }
}
