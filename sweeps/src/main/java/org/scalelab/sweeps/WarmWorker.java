package org.scalelab.sweeps;

import org.scalelab.datasets.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A long-lived training process of one sweep worker ({@code sweep run --reuse-jvm}): a {@link TrainChild}
 * in serve mode that trains the worker's runs back to back, so that the JVM start, ND4J's initialisation
 * and the JIT's warm-up are paid once per worker instead of once per run. Its output goes to the
 * current run's train.log, as a process of the run's own would write it. A run that the process does not
 * answer (a native crash, a kill) ends it; the worker then starts a new one for its next run, so that such
 * a run fails alone. Used by one worker thread at a time.
 */
final class WarmWorker implements AutoCloseable {
    /** The answer of a run: its exit code, and whether the process is still there to train the next one. */
    record Exit(int code, boolean alive) {}

    private final Process proc;
    private final Writer requests;
    private final Thread pump;
    private final LinkedBlockingQueue<Integer> replies = new LinkedBlockingQueue<>();
    /** Where the process' output goes now: the current run's log (null before the first run). */
    private volatile OutputStream sink;
    /** What the process printed before its first run (the JVM's own warnings): the first run's log gets it. */
    private final StringBuilder early = new StringBuilder();
    private int runs;

    private WarmWorker(Process proc) {
        this.proc = proc;
        this.requests = new OutputStreamWriter(proc.getOutputStream(), StandardCharsets.UTF_8);
        this.pump = new Thread(this::pump, "warm-worker-output-" + proc.pid());
        pump.setDaemon(true);
        pump.start();
    }

    /** Processes started ahead of their first run ({@link #prestart}), by command line and environment. */
    private static final java.util.Map<List<Object>, java.util.Deque<WarmWorker>> PRESTARTED = new java.util.HashMap<>();

    /**
     * Starts a serve-mode process from the JVM options of a run's own process ({@link TrainChild#command}),
     * or hands out one that {@link #prestart} started with the same command line and environment.
     */
    static WarmWorker start(List<String> jvmCommand, java.util.function.Consumer<java.util.Map<String, String>> env) throws IOException {
        ProcessBuilder pb = builder(jvmCommand, env);
        List<Object> key = key(pb);
        synchronized (PRESTARTED) {
            java.util.Deque<WarmWorker> ready = PRESTARTED.get(key);
            while (ready != null && !ready.isEmpty()) {
                WarmWorker w = ready.poll();
                if (w.alive()) return w;
                w.close();
            }
        }
        return new WarmWorker(pb.start());
    }

    /**
     * Starts a process now for a worker that will ask for it with the same command line and environment,
     * so that its JVM start and ND4J's initialisation overlap with the sweep's own set-up (reading the
     * spec, the corpora, the plan). {@link #closePrestarted} ends those nobody took.
     */
    static void prestart(List<String> jvmCommand, java.util.function.Consumer<java.util.Map<String, String>> env) throws IOException {
        ProcessBuilder pb = builder(jvmCommand, env);
        WarmWorker w = new WarmWorker(pb.start());
        synchronized (PRESTARTED) {
            PRESTARTED.computeIfAbsent(key(pb), k -> new java.util.ArrayDeque<>()).add(w);
        }
    }

    private static ProcessBuilder builder(List<String> jvmCommand, java.util.function.Consumer<java.util.Map<String, String>> env) {
        ProcessBuilder pb = new ProcessBuilder(jvmCommand).redirectErrorStream(true);
        env.accept(pb.environment());
        return pb;
    }

    /** What makes two warm processes interchangeable: their command line and environment. */
    private static List<Object> key(ProcessBuilder pb) {
        return List.of(List.copyOf(pb.command()), java.util.Map.copyOf(pb.environment()));
    }

    /** Ends the processes {@link #prestart} started that no worker took. */
    static void closePrestarted() {
        List<WarmWorker> left = new java.util.ArrayList<>();
        synchronized (PRESTARTED) {
            PRESTARTED.values().forEach(left::addAll);
            PRESTARTED.clear();
        }
        for (WarmWorker w : left) w.close();
    }

    long pid() {
        return proc.pid();
    }

    /** Runs trained by this process so far. */
    int runs() {
        return runs;
    }

    boolean alive() {
        return proc.isAlive();
    }

    /** Hands the process one run: its {@code scalelab} arguments, with its output appended to {@code log}. */
    void submit(List<String> args, Path log) throws IOException {
        OutputStream next = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND), old;
        synchronized (early) {
            next.write(early.toString().getBytes(StandardCharsets.ISO_8859_1));
            early.setLength(0);
            old = sink;
            sink = next;
        }
        if (old != null) closeQuietly(old);
        replies.clear();
        runs++;
        requests.write(Json.line(args) + "\n");
        requests.flush();
    }

    /**
     * The submitted run's exit, or null while it trains, waiting at most {@code ms}. Once the process has
     * ended without answering, its exit status (after its last output is in the log).
     */
    Exit poll(long ms) throws InterruptedException {
        Integer code = replies.poll(ms, TimeUnit.MILLISECONDS);
        if (code != null) return new Exit(code, (code == 0 || code == 2 || code == 3) && proc.isAlive());
        if (proc.isAlive()) return null;
        pump.join(5_000);   // the rest of its output, and an answer written just before it ended
        code = replies.poll();
        if (code != null) return new Exit(code, false);
        return new Exit(proc.waitFor(), false);
    }

    /** SIGTERM: the current run checkpoints and the process ends (exit 143). */
    void terminate() {
        proc.destroy();
    }

    /** SIGKILL, for a run that another worker owns now. */
    void kill() {
        proc.destroyForcibly();
    }

    /** Ends the process at the end of its input, waiting for it briefly, then for good. */
    @Override
    public void close() {
        try {
            requests.close();
            if (!proc.waitFor(10, TimeUnit.SECONDS)) proc.destroyForcibly();
        } catch (IOException e) {
            proc.destroyForcibly();
        } catch (InterruptedException e) {
            proc.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            pump.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        OutputStream s = sink;
        if (s != null) closeQuietly(s);
    }

    /** Copies the process' output line by line to the current run's log, taking out its answers. */
    private void pump() {
        // ISO-8859-1 maps every byte to one char and back: the log gets the bytes as written
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.ISO_8859_1))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(TrainChild.REPLY)) {
                    try {
                        replies.add(Integer.parseInt(line.substring(TrainChild.REPLY.length()).trim()));
                        continue;
                    } catch (NumberFormatException notAnAnswer) {
                        // logged as it is
                    }
                }
                OutputStream s;
                synchronized (early) {
                    s = sink;
                    if (s == null) {
                        early.append(line).append('\n');
                        continue;
                    }
                }
                try {
                    s.write((line + "\n").getBytes(StandardCharsets.ISO_8859_1));
                    s.flush();
                } catch (IOException e) {
                    // the run's directory went away: its output is lost, the next run's is not
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing left to write
        }
    }
}
