package org.scalelab.scaling.fit;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compute frontier ({@link Frontier}): never rising in C, never above a curve where the curve is
 * drawn (straight in log C–log L between its evaluations), and exactly the running minimum of the curves'
 * lower envelope.
 */
public class FrontierTest {

    /** A curve's loss at c as the chart draws it: linear in (ln C, ln L) between evaluations; NaN outside it. */
    public static double drawn(double[] c, double[] l, double x) {
        if (x < c[0] || x > c[c.length - 1]) return Double.NaN;
        double best = Double.NaN;
        for (int i = 0; i < c.length; i++) if (c[i] == x) best = Double.isNaN(best) ? l[i] : Math.min(best, l[i]);
        if (!Double.isNaN(best)) return best;
        for (int i = 1; i < c.length; i++) {
            if (c[i - 1] < x && x < c[i]) {
                double t = (Math.log(x) - Math.log(c[i - 1])) / (Math.log(c[i]) - Math.log(c[i - 1]));
                return Math.exp(Math.log(l[i - 1]) + t * (Math.log(l[i]) - Math.log(l[i - 1])));
            }
        }
        return Double.NaN;
    }

    /** The frontier before this fix: the running minimum of the evaluated points alone, joined by straight lines. */
    static List<double[]> pointsOnlyFrontier(List<double[][]> curves) {
        List<double[]> pts = new ArrayList<>();
        for (double[][] cv : curves) for (int i = 0; i < cv[0].length; i++) pts.add(new double[]{cv[0][i], cv[1][i]});
        pts.sort(Comparator.comparingDouble(p -> p[0]));
        List<double[]> front = new ArrayList<>();
        double best = Double.MAX_VALUE;
        for (double[] p : pts) {
            if (p[1] < best) {
                best = p[1];
                front.add(p);
            }
        }
        return front;
    }

    /** A polyline of (x, y) vertices in increasing x at x, linear in (ln x, ln y); at a vertical step, its lower end. */
    public static double polyline(List<double[]> f, double x) {
        double at = Double.NaN;
        for (double[] v : f) if (v[0] == x) at = Double.isNaN(at) ? v[1] : Math.min(at, v[1]);
        if (!Double.isNaN(at)) return at;
        for (int i = 1; i < f.size(); i++) {
            if (f.get(i - 1)[0] <= x && x <= f.get(i)[0]) {
                double t = (Math.log(x) - Math.log(f.get(i - 1)[0])) / (Math.log(f.get(i)[0]) - Math.log(f.get(i - 1)[0]));
                return Math.exp(Math.log(f.get(i - 1)[1]) + t * (Math.log(f.get(i)[1]) - Math.log(f.get(i - 1)[1])));
            }
        }
        return Double.NaN;
    }

    /**
     * The quickstart's situation in miniature: a small model evaluated often, A (C = 1, 2, 4, 8), and a
     * larger one evaluated twice, B (C = 2 and 8), whose drawn curve passes below A's last points. The
     * running minimum of points joins A's (4, 3.45) to A's (8, 3.40) and so lies 0.19 above B's curve at
     * C = 6 (3.421 against 3.234): on the chart a bulge of the frontier over a curve beneath it. The
     * frontier of the envelope follows B there: never above either curve (to 1e-12 relative), never rising.
     */
    @Test
    void followsACurveThatRunsBelowTheRecordPoints() {
        List<double[][]> curves = List.of(
                new double[][]{{1, 2, 4, 8}, {4.0, 3.6, 3.45, 3.4}},
                new double[][]{{2, 8}, {3.8, 3.1}});
        double bAt6 = drawn(curves.get(1)[0], curves.get(1)[1], 6);
        double old = polyline(pointsOnlyFrontier(curves), 6);
        assertEquals(3.234, bAt6, 0.001);
        assertTrue(old > bAt6 + 0.15, "the points-only frontier lies above B's curve at C = 6: " + old);

        List<Frontier.Vertex> f = Frontier.of(curves);
        assertEquals(bAt6, Frontier.at(f, 6), 1e-12 * bAt6, "the frontier follows B's curve");
        assertNeverAboveAndNeverRising(curves, f);
        // where B crosses below A: between C = 2 (B 3.8 > A 3.6) and C = 4 (B 3.432 < A 3.45)
        Frontier.Vertex cross = f.stream().filter(v -> !v.measured() && v.c() > 2 && v.c() < 4).findFirst().orElseThrow();
        assertEquals(drawn(curves.get(0)[0], curves.get(0)[1], cross.c()), cross.loss(), 1e-12);
        assertEquals(drawn(curves.get(1)[0], curves.get(1)[1], cross.c()), cross.loss(), 1e-12);
        // it ends at the lowest loss of all, B's last point, which it names
        Frontier.Vertex last = f.get(f.size() - 1);
        assertEquals(8, last.c(), 0);
        assertEquals(3.1, last.loss(), 0);
        assertEquals(1, last.curve());
        assertEquals(1, last.point());
    }

    /**
     * A curve that ends above the best loss so far, a gap no curve covers, a curve that starts below the
     * frontier, and a noisy curve that rises: the frontier holds flat over the rise and the gap, drops
     * straight down where a curve starts lower, and is carried flat to the largest C.
     */
    @Test
    void holdsFlatOverRisesAndGaps() {
        List<double[][]> curves = List.of(
                new double[][]{{1, 2, 3}, {3.0, 2.5, 2.7}},        // rises after C = 2
                new double[][]{{5, 6}, {2.6, 2.2}},                 // after a gap (3, 5); starts above 2.5, falls below it
                new double[][]{{7, 9}, {2.0, 2.1}});                // starts below, then rises
        List<Frontier.Vertex> f = Frontier.of(curves);
        assertNeverAboveAndNeverRising(curves, f);
        assertEquals(2.5, Frontier.at(f, 3), 0, "flat over the rise");
        assertEquals(2.5, Frontier.at(f, 4.5), 0, "flat over the gap");
        // the second curve crosses 2.5 between C = 5 and 6: the flat stretch ends there, not at 5
        double t = Math.log(2.6 / 2.5) / Math.log(2.6 / 2.2), cCut = Math.exp(Math.log(5) + t * Math.log(6.0 / 5));
        assertEquals(2.5, Frontier.at(f, cCut), 1e-12);
        assertTrue(Frontier.at(f, 5.5) < 2.5 && Frontier.at(f, 5.5) >= 2.2);
        assertEquals(2.2, Frontier.at(f, 6.9), 0, "flat from 6 to 7");
        assertEquals(2.0, Frontier.at(f, 7), 0, "straight down at 7");
        assertEquals(2.0, Frontier.at(f, 9), 0, "flat to the largest C");
        assertEquals(9, f.get(f.size() - 1).c(), 0);
    }

    /**
     * 30 random sets of 2–12 curves (random starts, lengths, 2–40 evaluations, losses falling with 2%
     * noise, so they rise here and there): the frontier's vertices come in non-decreasing C with
     * non-increasing loss, and at 400 log-spaced C and at every evaluation it equals, to 1e-12 relative,
     * the running minimum of the envelope computed by brute force: min over every evaluation's C and the
     * C itself, at or below C, of the least drawn loss of all curves there. (Between two consecutive
     * evaluations of any curve the envelope is a minimum of straight lines, concave, so its lowest value
     * on an interval lies at an end: those C are enough.)
     */
    @Test
    void isTheRunningMinimumOfTheEnvelope() {
        SplittableRandom r = new SplittableRandom(7);
        for (int set = 0; set < 30; set++) {
            List<double[][]> curves = new ArrayList<>();
            int k = 2 + r.nextInt(11);
            for (int j = 0; j < k; j++) {
                int n = 2 + r.nextInt(39);
                double start = Math.exp(r.nextDouble() * 6), span = Math.exp(1 + r.nextDouble() * 5), floor = 1 + r.nextDouble();
                double[] c = new double[n], l = new double[n];
                for (int i = 0; i < n; i++) {
                    c[i] = start * Math.pow(span, i / (n - 1.0));
                    l[i] = (floor + 3 * Math.pow(c[i], -0.3) * (0.5 + r.nextDouble())) * Math.exp(0.02 * (r.nextDouble() - 0.5));
                }
                curves.add(new double[][]{c, l});
            }
            List<Frontier.Vertex> f = Frontier.of(curves);
            assertNeverAboveAndNeverRising(curves, f);
            List<Double> cs = new ArrayList<>();
            for (double[][] cv : curves) for (double c : cv[0]) cs.add(c);
            cs.sort(Double::compare);
            double lo = cs.get(0), hi = cs.get(cs.size() - 1);
            List<Double> probes = new ArrayList<>(cs);
            for (int i = 0; i < 400; i++) probes.add(lo * Math.pow(hi / lo, i / 399.0));
            for (double x : probes) {
                double brute = envelope(curves, x);
                for (double c : cs) if (c <= x) brute = Math.min(brute, envelope(curves, c));
                assertEquals(brute, Frontier.at(f, x), 1e-12 * brute, "set " + set + " at C = " + x);
            }
        }
    }

    /** Fewer than four points, or none: the L(C) fit gets no frontier; one curve: its own running minimum. */
    @Test
    void smallInputs() {
        assertTrue(Frontier.of(List.of()).isEmpty());
        List<Frontier.Vertex> one = Frontier.of(List.<double[][]>of(new double[][]{{10}, {3.0}}));
        assertEquals(1, one.size());
        assertEquals(3.0, one.get(0).loss(), 0);
        assertEquals(null, ComputeOptimal.frontier(List.of(new ComputeOptimal.Curve(1, new double[]{1, 2, 3}, new double[]{3, 2, 1})), 5));
        var d = ComputeOptimal.frontier(List.of(new ComputeOptimal.Curve(1, new double[]{1, 2, 3, 4}, new double[]{3, 2, 2.5, 1})), 5);
        for (int i = 1; i < d.n(); i++) assertTrue(d.loss()[i] <= d.loss()[i - 1]);
        assertEquals(1, d.loss()[d.n() - 1], 0);
    }

    static double envelope(List<double[][]> curves, double x) {
        double m = Double.POSITIVE_INFINITY;
        for (double[][] cv : curves) {
            double v = drawn(cv[0], cv[1], x);
            if (!Double.isNaN(v)) m = Math.min(m, v);
        }
        return m;
    }

    /**
     * Non-decreasing C, non-increasing loss, a measured vertex exactly its point, and at every evaluation
     * of every curve and midway (in log C) between consecutive ones the frontier at or below the drawn curve.
     */
    static void assertNeverAboveAndNeverRising(List<double[][]> curves, List<Frontier.Vertex> f) {
        for (int i = 1; i < f.size(); i++) {
            assertTrue(f.get(i).c() >= f.get(i - 1).c(), "C in order at vertex " + i);
            assertTrue(f.get(i).loss() <= f.get(i - 1).loss(), "never rising at vertex " + i + ": " + f.get(i - 1) + " -> " + f.get(i));
        }
        for (Frontier.Vertex v : f) {
            if (!v.measured()) continue;
            assertEquals(curves.get(v.curve())[0][v.point()], v.c(), 0);
            assertEquals(curves.get(v.curve())[1][v.point()], v.loss(), 0);
        }
        for (double[][] cv : curves) {
            for (int i = 0; i < cv[0].length; i++) {
                double x = cv[0][i];
                assertTrue(Frontier.at(f, x) <= cv[1][i] * (1 + 1e-12), "at or below the curve's point at C = " + x);
                if (i > 0 && cv[0][i] > cv[0][i - 1]) {
                    double mid = Math.sqrt(cv[0][i - 1] * cv[0][i]);
                    assertTrue(Frontier.at(f, mid) <= drawn(cv[0], cv[1], mid) * (1 + 1e-12), "at or below the curve at C = " + mid);
                }
            }
        }
    }
}
