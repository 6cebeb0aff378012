package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The compute frontier of a set of learning curves (Kaplan et al. 2020, fig. 1): at every compute C the
 * lowest loss any curve reached with at most C. Each curve is its evaluations joined by straight lines in
 * (ln C, ln L), which is how the report draws it on log–log axes; the frontier is the running minimum over
 * increasing C of the lower envelope of those lines:
 * <pre>F(C) = min over C' ≤ C, over curves k covering C', of L_k(C')</pre>
 * so it never rises with C and never lies above any curve at a compute that curve covers. Taking only the
 * evaluated points (a running minimum of points joined by straight lines) is not the same: the line from
 * one curve's point to the next record point of another curve can pass above a third curve between its
 * evaluations, which on a chart looks like the frontier bulging up where a better curve runs beneath it.
 *
 * <p>The frontier is returned as the vertices of a polyline in (ln C, ln L): evaluated points where the
 * frontier passes through one (with the curve and point they are), crossings of two curves, and the two
 * ends of each flat stretch (where the best loss so far holds while every curve is above it, or where no
 * curve covers C). It ends at the largest C of any curve. Between vertices it is linear in (ln C, ln L):
 * {@link #at} interpolates it so.
 */
public final class Frontier {
    private Frontier() {}

    /**
     * A vertex of the frontier at compute {@code c} and loss {@code loss}. {@code curve} and {@code point}
     * name the evaluated point it is (indices into the curves given, in their given order), or are −1 for
     * a crossing or the end of a flat stretch.
     */
    public record Vertex(double c, double loss, int curve, int point) {
        public boolean measured() {
            return curve >= 0;
        }
    }

    /** The frontier of {@link ComputeOptimal.Curve}s (their compute and loss arrays). */
    public static List<Vertex> ofCurves(List<ComputeOptimal.Curve> curves) {
        List<double[][]> cs = new ArrayList<>(curves.size());
        for (ComputeOptimal.Curve c : curves) cs.add(new double[][]{c.c(), c.loss()});
        return of(cs);
    }

    /**
     * The frontier of curves given as {@code {compute[], loss[]}} pairs of equal length, points in any order
     * (each curve is sorted by compute; points with a non-positive or non-finite compute or loss are left
     * out). Empty when no curve has a point.
     */
    public static List<Vertex> of(List<double[][]> curves) {
        List<Line> lines = new ArrayList<>();
        for (int k = 0; k < curves.size(); k++) {
            Line l = Line.of(k, curves.get(k)[0], curves.get(k)[1]);
            if (l != null) lines.add(l);
        }
        if (lines.isEmpty()) return List.of();
        double[] breaks = lines.stream().flatMapToDouble(l -> java.util.Arrays.stream(l.u)).sorted().distinct().toArray();
        // each break's compute exactly as evaluated (exp(ln c) may differ from c in the last bit)
        java.util.Map<Double, Double> exact = new java.util.HashMap<>();
        for (Line l : lines) for (int j = 0; j < l.u.length; j++) exact.putIfAbsent(l.u[j], l.c[j]);
        List<Raw> seq = new ArrayList<>();
        int[] at = new int[lines.size()];   // per line: its last point with u ≤ the current break (−1: none yet)
        java.util.Arrays.fill(at, -1);
        for (int b = 0; b < breaks.length; b++) {
            double u = breaks[b];
            for (int i = 0; i < lines.size(); i++) {
                Line l = lines.get(i);
                while (at[i] + 1 < l.u.length && l.u[at[i] + 1] <= u) at[i]++;
            }
            // the envelope at the break itself: every point there, and every line passing through it
            Raw here = null;
            for (int i = 0; i < lines.size(); i++) {
                Line l = lines.get(i);
                int p = at[i];
                if (p < 0) continue;
                if (l.u[p] == u) {
                    for (int q = p; q >= 0 && l.u[q] == u; q--) {
                        if (here == null || l.v[q] < here.v) here = new Raw(u, l.v[q], l.c[q], l.loss[q], l.curve, l.index[q], false);
                    }
                } else if (p + 1 < l.u.length) {
                    double v = l.interp(p, u);
                    if (here == null || v < here.v) here = computed(u, exact.get(u), v, false);
                }
            }
            if (here != null) seq.add(here);
            if (b + 1 == breaks.length) break;
            // the open interval to the next break: each line covering it is one straight segment there
            double u1 = breaks[b + 1];
            List<Seg> segs = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                Line l = lines.get(i);
                int p = at[i];
                if (p < 0 || p + 1 >= l.u.length) continue;
                boolean startsHere = l.u[p] == u, endsThere = l.u[p + 1] == u1;
                double a = startsHere ? l.v[p] : l.interp(p, u), e = endsThere ? l.v[p + 1] : l.interp(p, u1);
                segs.add(new Seg(l, p, a, e, startsHere, endsThere));
            }
            if (segs.isEmpty()) continue;   // a gap: no curve covers it, the best loss so far holds
            envelope(segs, u, u1, exact.get(u), exact.get(u1), seq);
        }
        double cEnd = lines.stream().mapToDouble(l -> l.c[l.c.length - 1]).max().orElseThrow();
        return runningMin(seq, breaks[breaks.length - 1], cEnd);
    }

    /** The loss of the frontier at compute {@code c}: linear in (ln C, ln L) between its vertices; NaN before its first. */
    public static double at(List<Vertex> f, double c) {
        if (f.isEmpty() || c < f.get(0).c()) return Double.NaN;
        if (c >= f.get(f.size() - 1).c()) return f.get(f.size() - 1).loss();
        int lo = 0, hi = f.size() - 1;   // f[lo].c ≤ c < f[hi].c
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (f.get(mid).c() <= c) lo = mid;
            else hi = mid;
        }
        Vertex a = f.get(lo), b = f.get(hi);
        if (c == a.c() || a.loss() == b.loss()) return a.loss();
        double t = (Math.log(c) - Math.log(a.c())) / (Math.log(b.c()) - Math.log(a.c()));
        return Math.exp(Math.log(a.loss()) + t * (Math.log(b.loss()) - Math.log(a.loss())));
    }

    /** One curve in (u, v) = (ln C, ln L), sorted by u; {@code index} maps back to the caller's point order. */
    private record Line(int curve, double[] u, double[] v, double[] c, double[] loss, int[] index) {
        static Line of(int curve, double[] c, double[] loss) {
            int[] idx = IntStream.range(0, Math.min(c.length, loss.length))
                    .filter(i -> c[i] > 0 && loss[i] > 0 && Double.isFinite(c[i]) && Double.isFinite(loss[i]))
                    .boxed().sorted(Comparator.comparingDouble(i -> c[i])).mapToInt(Integer::intValue).toArray();
            if (idx.length == 0) return null;
            double[] u = new double[idx.length], v = new double[idx.length], cs = new double[idx.length], ls = new double[idx.length];
            for (int j = 0; j < idx.length; j++) {
                cs[j] = c[idx[j]];
                ls[j] = loss[idx[j]];
                u[j] = Math.log(cs[j]);
                v[j] = Math.log(ls[j]);
            }
            return new Line(curve, u, v, cs, ls, idx);
        }

        /** v on the segment from point p to p + 1 at x (u[p] < x < u[p+1]). */
        double interp(int p, double x) {
            return v[p] + (x - u[p]) / (u[p + 1] - u[p]) * (v[p + 1] - v[p]);
        }
    }

    /** A line's segment over one interval between breaks: its values at the two ends. */
    private record Seg(Line line, int p, double a, double e, boolean startsAtPoint, boolean endsAtPoint) {
        double at(double t) {
            return a + t * (e - a);
        }
    }

    /**
     * A vertex before the running minimum, at (u, v) = (ln c, ln loss): an evaluated point ({@code curve} ≥ 0,
     * with its exact c and loss) or a computed one. {@code joined} when the stretch from the previous vertex
     * lies on a curve (so it may be followed), else a jump (the start of an interval, a break after a gap).
     */
    private record Raw(double u, double v, double c, double loss, int curve, int point, boolean joined) {}

    private static Raw computed(double u, double c, double v, boolean joined) {
        return new Raw(u, v, c, Math.exp(v), -1, -1, joined);
    }

    /** The lower envelope of straight segments over (u0, u1) (c0, c1 their computes): its start, every crossing, its end. */
    private static void envelope(List<Seg> segs, double u0, double u1, double c0, double c1, List<Raw> out) {
        Seg cur = null;
        for (Seg s : segs) if (cur == null || s.a() < cur.a() || (s.a() == cur.a() && s.e() < cur.e())) cur = s;
        out.add(cur.startsAtPoint() ? point(cur, cur.p(), false) : computed(u0, c0, cur.a(), false));
        double t = 0;
        while (true) {
            // the first segment to cross below the current one after t; each switch is to a steeper fall, so this ends
            Seg next = null;
            double tn = 1;
            for (Seg s : segs) {
                if (s == cur) continue;
                double slopeGap = (cur.e() - cur.a()) - (s.e() - s.a());   // > 0: s falls faster than cur
                if (slopeGap <= 0) continue;
                double tc = t + Math.max(0, s.at(t) - cur.at(t)) / slopeGap;
                if (tc < tn || (tc == tn && next != null && s.e() - s.a() < next.e() - next.a())) {
                    tn = tc;
                    next = s;
                }
            }
            if (next == null) break;
            if (tn > t) {
                double u = u0 + tn * (u1 - u0);
                out.add(computed(u, Math.min(c1, Math.max(c0, Math.exp(u))), cur.at(tn), true));
            }
            cur = next;
            t = tn;
        }
        out.add(cur.endsAtPoint() ? point(cur, cur.p() + 1, true) : computed(u1, c1, cur.e(), true));
    }

    private static Raw point(Seg s, int q, boolean joined) {
        Line l = s.line();
        return new Raw(l.u[q], l.v[q], l.c[q], l.loss[q], l.curve, l.index[q], joined);
    }

    /**
     * The running minimum of the envelope's polyline: a vertex below the best so far is kept (a stretch
     * reaching it along a curve from above is cut where it crosses the best so far; a jump to it drops
     * straight down), everything above is replaced by a flat stretch at the best so far, which is carried
     * to {@code uEnd}.
     */
    private static List<Vertex> runningMin(List<Raw> seq, double uEnd, double cEnd) {
        List<Vertex> out = new ArrayList<>();
        Raw prev = null, best = null;
        for (Raw w : seq) {
            if (best == null || w.v() < best.v()) {
                if (best != null) {
                    // the flat stretch at the best so far ends where a stretch along a curve crosses it, or at w after a jump
                    if (!w.joined()) {
                        if (w.u() > best.u()) add(out, flat(w.u(), w.c(), best));
                    } else if (prev.v() > best.v()) {
                        double uCut = prev.u() + (prev.v() - best.v()) / (prev.v() - w.v()) * (w.u() - prev.u());
                        if (uCut > best.u()) add(out, flat(uCut, Math.min(w.c(), Math.max(best.c(), Math.exp(uCut))), best));
                    }
                }
                add(out, w);
                best = w;
            }
            prev = w;
        }
        if (best != null && uEnd > best.u()) add(out, flat(uEnd, cEnd, best));
        return out;
    }

    /** The end of a flat stretch at {@code best}'s loss, at u = ln c. */
    private static Raw flat(double u, double c, Raw best) {
        return new Raw(u, best.v(), c, best.loss(), -1, -1, false);
    }

    /**
     * Appends w as a vertex, never above or before the vertex before it (exp rounding must not move a
     * computed one by an ulp).
     */
    private static void add(List<Vertex> out, Raw w) {
        double l = w.loss(), c = w.c();
        if (!out.isEmpty()) {
            l = Math.min(l, out.get(out.size() - 1).loss());
            c = Math.max(c, out.get(out.size() - 1).c());
        }
        out.add(new Vertex(c, l, w.curve(), w.point()));
    }
}
