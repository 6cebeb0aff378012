package org.scalelab.sweeps;

import java.util.concurrent.TimeUnit;

/** A run being trained in a process: one of its own, or the worker's warm one. */
interface RunProcess {
    /** The run's exit, or null while it trains, waiting at most {@code ms}. */
    WarmWorker.Exit poll(long ms) throws InterruptedException;

    /** SIGTERM: the run checkpoints and its process ends (exit 130 or 143). */
    void terminate();

    /** SIGKILL, for a run that another worker owns now. */
    void kill();

    static RunProcess of(Process proc) {
        return new RunProcess() {
            public WarmWorker.Exit poll(long ms) throws InterruptedException {
                return proc.waitFor(ms, TimeUnit.MILLISECONDS) ? new WarmWorker.Exit(proc.exitValue(), false) : null;
            }

            public void terminate() {
                proc.destroy();
            }

            public void kill() {
                proc.destroyForcibly();
            }
        };
    }

    static RunProcess of(WarmWorker w) {
        return new RunProcess() {
            public WarmWorker.Exit poll(long ms) throws InterruptedException {
                return w.poll(ms);
            }

            public void terminate() {
                w.terminate();
            }

            public void kill() {
                w.kill();
            }
        };
    }
}
