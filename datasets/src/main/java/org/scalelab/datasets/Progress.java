package org.scalelab.datasets;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar on stderr for downloads and preparation. On a terminal it redraws one line with
 * {@code \r} (at most 10 times a second); otherwise (logs, CI, a pipe) it prints a plain line every
 * {@value #PLAIN_EVERY_S} seconds and one at the end.
 */
public class Progress {
    static final int PLAIN_EVERY_S = 10;

    private final String label;
    private final long total;          // bytes; 0 when unknown
    private final PrintStream err;
    private final boolean tty;
    private final long start = System.nanoTime();
    private long done, lastDraw;
    private boolean drawn;

    Progress(String label, long total, PrintStream err, boolean tty) {
        this.label = label;
        this.total = total;
        this.err = err;
        this.tty = tty;
        this.lastDraw = start;
    }

    /** A bar on stderr for {@code total} bytes (0: unknown). */
    public static Progress bar(String label, long total) {
        return new Progress(label, total, System.err, System.console() != null);
    }

    /** A bar that prints nothing. */
    public static Progress silent() {
        return new Progress("", 0, null, false) {
            @Override public void advance(long n) { add(n); }
            @Override public void set(long v) { setQuiet(v); }
            @Override public void finish() {}
        };
    }

    void add(long n) { done += n; }

    void setQuiet(long v) { done = v; }

    public long done() { return done; }

    public void advance(long n) {
        done += n;
        maybeDraw();
    }

    public void set(long v) {
        done = v;
        maybeDraw();
    }

    private void maybeDraw() {
        long now = System.nanoTime();
        long every = tty ? 100_000_000L : PLAIN_EVERY_S * 1_000_000_000L;
        if (now - lastDraw < every) return;
        lastDraw = now;
        draw(false);
    }

    /** Draws the final state and ends the line. */
    public void finish() {
        draw(true);
    }

    private void draw(boolean last) {
        double s = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        double rate = done / s;
        StringBuilder sb = new StringBuilder(label).append("  ").append(bytes(done));
        if (total > 0) {
            double f = Math.min(1, (double) done / total);
            sb.append(" / ").append(bytes(total));
            if (tty) {
                int w = 24, fill = (int) Math.round(f * w);
                sb.append("  [").append("#".repeat(fill)).append(" ".repeat(w - fill)).append(']');
            }
            sb.append(String.format(Locale.ROOT, "  %3.0f%%", 100 * f));
            if (!last && rate > 0) sb.append(String.format(Locale.ROOT, "  eta %s", duration((total - done) / rate)));
        }
        sb.append(String.format(Locale.ROOT, "  %s/s", bytes((long) rate)));
        if (last) sb.append(String.format(Locale.ROOT, "  %s", duration(s)));
        if (tty) {
            err.print("\r" + sb + "    " + (last ? "\n" : ""));
        } else {
            err.println(sb);
        }
        err.flush();
        drawn = true;
    }

    static String bytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1 << 20) return String.format(Locale.ROOT, "%.1f kB", b / 1024.0);
        if (b < 1L << 30) return String.format(Locale.ROOT, "%.1f MB", b / (double) (1 << 20));
        return String.format(Locale.ROOT, "%.2f GB", b / (double) (1L << 30));
    }

    static String duration(double s) {
        if (s < 60) return String.format(Locale.ROOT, "%.1fs", s);
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
        return String.format(Locale.ROOT, "%dh%02dm", (long) s / 3600, ((long) s % 3600) / 60);
    }
}
