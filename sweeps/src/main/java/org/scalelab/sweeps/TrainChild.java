package org.scalelab.sweeps;

import org.scalelab.cli.Main;
import org.scalelab.trainer.kernels.Kernels;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The entry point of a sweep's training process: {@code scalelab train …} that also ends itself when
 * the sweep process that started it dies. A JVM's children outlive it, so without this a sweep killed
 * with {@code kill -9} would leave its current run training on, unsupervised, while its lock goes stale
 * and another worker takes the run over: two processes writing one run directory. Here the child sees
 * its parent go, checkpoints as on Ctrl-C (exit 130), and the next worker resumes from that checkpoint.
 *
 * <p>Usage: {@code java -cp … org.scalelab.sweeps.TrainChild train --config … --out … --resume --quiet}, or
 * {@code … TrainChild serve} for a warm worker ({@code sweep run --reuse-jvm}): it reads one run per line
 * from standard input, each a JSON array of {@code scalelab} arguments, trains it, and answers with a line
 * {@link #REPLY}{@code <exit code>} on standard output; it ends at the end of its input. While it trains a
 * run it says so in that run's {@link #PID_FILE}, which {@link Locks#trainingProcessAlive} reads in place of
 * the command line a process of its own would have.
 */
public final class TrainChild {
    /** How often the parent is checked, in milliseconds. */
    static final long POLL_MS = 500;
    /** After the parent died: the longest a checkpoint may take before the process is halted. */
    static final long GRACE_MS = 150_000;

    /** The start of a warm worker's answer line; the rest is the run's exit code. */
    static final String REPLY = "\u001escalelab-worker exit ";
    /** A run directory's file naming the warm worker that trains it (its pid), while it does. */
    static final String PID_FILE = "train.pid";

    private TrainChild() {}

    public static void main(String[] args) {
        watchParent(ProcessHandle.current().parent());
        if (args.length == 1 && args[0].equals("serve")) {
            System.exit(serve(new java.io.BufferedReader(new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8))));
        }
        System.err.println(resources(System.getenv()));
        Main.main(args);
    }

    /**
     * A warm worker's loop: one run per input line, answered on standard output. A run that ends with a
     * bug or an error of the JVM (an exception thrown out of the command, out of memory) is answered and
     * then ends the worker, exit code 1: what such a run leaves behind is not trusted with the next run.
     * Returns the worker's exit code (0 at the end of its input).
     */
    static int serve(java.io.BufferedReader in) {
        // ND4J's backend loads on first use (about half a second): load it while the sweep is still
        // setting up, before the first run arrives
        org.nd4j.linalg.factory.Nd4j.scalar(0f);
        int served = 0;
        while (true) {
            String line;
            try {
                line = in.readLine();
            } catch (java.io.IOException e) {
                return 0;   // the sweep is gone: watchParent ends this process
            }
            if (line == null) return 0;
            if (line.isBlank()) continue;
            String[] args;
            try {
                args = org.scalelab.datasets.Json.MAPPER.readValue(line, String[].class);
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("a warm worker's request is a JSON array of arguments, not: " + line, e);
            }
            served++;
            Path pidFile = outOf(args).map(o -> o.resolve(PID_FILE)).orElse(null);
            int code;
            boolean fatal = false;
            try {
                if (pidFile != null) org.scalelab.datasets.Files2.writeAtomic(pidFile, ProcessHandle.current().pid() + "\n");
                System.err.println(resources(System.getenv()) + "; warm worker " + ProcessHandle.current().pid() + ", run " + served);
                code = Main.execute(args);
            } catch (Throwable t) {
                // what an uncaught exception prints in a process of its own, so that the sweep reads the same reason
                System.err.print("Exception in thread \"" + Thread.currentThread().getName() + "\" ");
                t.printStackTrace();
                code = 1;
                fatal = true;
            } finally {
                if (pidFile != null) {
                    try {
                        Files.deleteIfExists(pidFile);
                    } catch (java.io.IOException ignored) {
                        // a stale file names a process that is gone, which Locks reads as no process
                    }
                }
            }
            System.err.flush();
            System.out.flush();
            System.out.println(REPLY + code);
            System.out.flush();
            if (fatal) return 1;
        }
    }

    /** The run directory of a {@code train … --out DIR} command line. */
    static Optional<Path> outOf(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--out")) return Optional.of(Path.of(args[i + 1]));
        return Optional.empty();
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
