package org.scalelab.trainer.run;


import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress on stderr: a redrawn one-line bar on a terminal, or a plain log line every
 * {@code plainEverySeconds} (and at every evaluation) when output goes to a file or a pipe.
 */
public final class Progress {
    private final PrintStream out;
    private final boolean tty;
    private final int total;
    private final String label;
    private final double plainEverySeconds;
    private long lastDrawNs;
    private boolean drawn;

    public Progress(PrintStream out, boolean tty, int totalSteps, String label, double plainEverySeconds) {
        this.out = out;
        this.tty = tty;
        this.total = totalSteps;
        this.label = label;
        this.plainEverySeconds = plainEverySeconds;
    }

    /** A progress display for the current process: a bar when stderr is a terminal. */
    public static Progress forConsole(int totalSteps, String label) {
        return new Progress(System.err, System.console() != null, totalSteps, label, 30);
    }

    /** A display that prints nothing. */
    public static Progress silent() {
        return new Progress(null, false, 1, "", Double.MAX_VALUE);
    }

    /** One line before the progress display (e.g. which engine runs); nothing when silent. */
    public void note(String line) {
        if (out != null) out.println(line);
    }

    public void update(int step, double loss, double valLoss, double tokensPerS, double etaS, boolean force) {
        if (out == null) return;
        long now = System.nanoTime();
        double since = (now - lastDrawNs) / 1e9;
        if (!force && since < (tty ? 0.2 : plainEverySeconds)) return;
        lastDrawNs = now;
        String val = Double.isNaN(valLoss) ? "" : String.format(Locale.ROOT, " val %.4f", valLoss);
        String train = Double.isNaN(loss) ? "-" : String.format(Locale.ROOT, "%.4f", loss);
        String core = String.format(Locale.ROOT, "%s step %d/%d loss %s%s | %s tok/s | ETA %s",
                label, step, total, train, val, human(tokensPerS), duration(etaS));
        if (tty) {
            int width = 24, filled = (int) Math.round(width * step / (double) total);
            String bar = "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
            out.print("\r" + bar + " " + core + "\u001b[K");
            drawn = true;
        } else {
            out.println(core);
        }
        out.flush();
    }

    /** Ends the bar's line so that later output starts on a fresh one. */
    public void finish() {
        if (out != null && tty && drawn) {
            out.println();
            drawn = false;
        }
    }

    public static String human(double x) {
        if (x >= 1e6) return String.format(Locale.ROOT, "%.2fM", x / 1e6);
        if (x >= 1e3) return String.format(Locale.ROOT, "%.1fk", x / 1e3);
        return String.format(Locale.ROOT, "%.0f", x);
    }

    public static String duration(double s) {
        if (Double.isNaN(s) || Double.isInfinite(s)) return "?";
        long t = Math.round(s);
        if (t >= 3600) return String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t % 3600) / 60);
        if (t >= 60) return String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
        return t + "s";
    }
}
