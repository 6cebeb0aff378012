package org.scalelab.sweeps;

import org.scalelab.cli.Main;
import org.scalelab.trainer.kernels.Kernels;

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
        System.err.println(resources(System.getenv()));
        Main.main(args);
    }

    /**
     * The first line of a run's train.log, as this process sees it: the threads its kernels use and the
     * environment the sweep gave it, so that a run's log says what it trained with.
     */
    static String resources(java.util.Map<String, String> env) {
        StringBuilder sb = new StringBuilder("train process: ").append(Kernels.THREADS).append(" kernel thread(s) of ")
                .append(Runtime.getRuntime().availableProcessors()).append(" processor(s)");
        for (String k : java.util.List.of("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES")) {
            sb.append(", ").append(k).append('=').append(env.getOrDefault(k, "unset"));
        }
        return sb.toString();
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

    /**
     * The child's command line: the same java binary and class path as this process. With
     * {@code threads > 0} the JVM is told it has that many processors, which is what the kernels' thread
     * pool ({@link Kernels#THREADS}, at most 8), the JIT and the GC size themselves by.
     */
    static java.util.List<String> command(String heap, String offHeap, String physical, int threads, String... trainArgs) {
        String java = ProcessHandle.current().info().command().orElse("java");
        java.util.List<String> cmd = new java.util.ArrayList<>(Arrays.asList(java, "-Xmx" + heap,
                "-Dorg.bytedeco.javacpp.maxbytes=" + offHeap, "-Dorg.bytedeco.javacpp.maxphysicalbytes=" + physical));
        if (threads > 0) cmd.add("-XX:ActiveProcessorCount=" + threads);
        cmd.addAll(Arrays.asList("-cp", System.getProperty("java.class.path"), TrainChild.class.getName()));
        cmd.addAll(Arrays.asList(trainArgs));
        return cmd;
    }
}
