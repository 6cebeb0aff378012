package org.scalelab.sweeps;

import org.scalelab.cli.Main;

import java.util.Arrays;
import java.util.Optional;

/**
 * The entry point of a sweep's training process: {@code scalelab train …} that also ends itself when
 * the sweep process that started it dies. A JVM's children outlive it, so without this a sweep killed
 * with {@code kill -9} would leave its current run training on, unsupervised, while its lock goes stale
 * and another worker takes the run over: two processes writing one run directory. Here the child sees
 * its parent go, checkpoints as on Ctrl-C (exit 130), and the next worker resumes from that checkpoint.
 *
 * <p>Usage: {@code java -cp … org.scalelab.sweeps.TrainChild train --config … --out … --resume --quiet}.
 */
public final class TrainChild {
    /** How often the parent is checked, in milliseconds. */
    static final long POLL_MS = 500;
    /** After the parent died: the longest a checkpoint may take before the process is halted. */
    static final long GRACE_MS = 150_000;

    private TrainChild() {}

    public static void main(String[] args) {
        watchParent(ProcessHandle.current().parent());
        Main.main(args);
    }

    static void watchParent(Optional<ProcessHandle> parent) {
        if (parent.isEmpty()) return;
        ProcessHandle p = parent.get();
        Thread t = new Thread(() -> {
            while (p.isAlive()) {
                try {
                    Thread.sleep(POLL_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.err.println("the sweep process " + p.pid() + " is gone; checkpointing and exiting");
            Thread halt = new Thread(() -> {
                try {
                    Thread.sleep(GRACE_MS);
                } catch (InterruptedException ignored) {
                    // exiting anyway
                }
                Runtime.getRuntime().halt(137);
            }, "halt-after-grace");
            halt.setDaemon(true);
            halt.start();
            System.exit(130); // runs train's shutdown hook: stop, checkpoint, then exit
        }, "watch-sweep-process");
        t.setDaemon(true);
        t.start();
    }

    /** The child's command line: the same java binary and class path as this process. */
    static java.util.List<String> command(String heap, String offHeap, String physical, String... trainArgs) {
        String java = ProcessHandle.current().info().command().orElse("java");
        java.util.List<String> cmd = new java.util.ArrayList<>(Arrays.asList(java, "-Xmx" + heap,
                "-Dorg.bytedeco.javacpp.maxbytes=" + offHeap, "-Dorg.bytedeco.javacpp.maxphysicalbytes=" + physical,
                "-cp", System.getProperty("java.class.path"), TrainChild.class.getName()));
        cmd.addAll(Arrays.asList(trainArgs));
        return cmd;
    }
}
