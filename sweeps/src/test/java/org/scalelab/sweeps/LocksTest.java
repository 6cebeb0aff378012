package org.scalelab.sweeps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
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
}
