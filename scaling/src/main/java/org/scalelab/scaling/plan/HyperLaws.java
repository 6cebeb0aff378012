package org.scalelab.scaling.plan;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * The hyperparameter laws of a fits.json ({@code hyperparameters}, written by {@code scalelab fit --laws hyper}):
 * lr_opt(C) = a·C^b and B_opt(C) = c·C^d (tokens per step), each with the bootstrap interval at the
 * budgets of its {@code at} list, from which the interval at any C is read (see {@link Law#interval}).
 *
 * @param lr     the learning-rate law, or null when the fit has none
 * @param batch  the batch-size law, or null
 * @param cMin   the smallest budget the laws were fitted on (FLOP)
 * @param cMax   the largest
 * @param points near-optimal runs fitted
 */
record HyperLaws(Law lr, Law batch, double cMin, double cMax, int points) {

    /**
     * y = k·C^e and the interval [low, high] fits.json gives at each compute c.
     */
    record Law(double coefficient, double exponent, double[] c, double[] low, double[] high) {
        double at(double x) {
            return coefficient * Math.pow(x, exponent);
        }

        /**
         * The interval at x: ln(low/y) and ln(high/y) interpolated linearly in ln C between the listed
         * computes (their spread grows about linearly in ln C away from the data), extended from the nearest
         * two beyond them; NaN without two listed intervals.
         */
        double[] interval(double x) {
            List<double[]> pts = new ArrayList<>();
            for (int i = 0; i < c.length; i++) {
                double y = at(c[i]);
                if (c[i] > 0 && low[i] > 0 && high[i] > 0) pts.add(new double[]{Math.log(c[i]), Math.log(low[i] / y), Math.log(high[i] / y)});
            }
            if (pts.size() < 2) return new double[]{Double.NaN, Double.NaN};
            pts.sort((p, q) -> Double.compare(p[0], q[0]));
            double lx = Math.log(x);
            int i = 0;
            while (i < pts.size() - 2 && lx > pts.get(i + 1)[0]) i++;
            double[] p = pts.get(i), q = pts.get(i + 1);
            double f = (lx - p[0]) / (q[0] - p[0]), y = at(x);
            return new double[]{y * Math.exp(p[1] + f * (q[1] - p[1])), y * Math.exp(p[2] + f * (q[2] - p[2]))};
        }
    }

    /** The laws under a fits.json's {@code hyperparameters}, or null when it has neither. */
    static HyperLaws read(JsonNode h) {
        if (h == null || !h.isObject()) return null;
        Law lr = law(h.path("lr"), "a", "b", "lr"), batch = law(h.path("batch"), "c", "d", "batch");
        if (lr == null && batch == null) return null;
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (JsonNode b : h.path("budgets")) {
            double c = b.path("C").asDouble(Double.NaN);
            if (c > 0) {
                lo = Math.min(lo, c);
                hi = Math.max(hi, c);
            }
        }
        return new HyperLaws(lr, batch, hi > 0 ? lo : Double.NaN, hi > 0 ? hi : Double.NaN, h.path("points").asInt(0));
    }

    private static Law law(JsonNode l, String k, String e, String what) {
        JsonNode kv = l.path(k).path("value"), ev = l.path(e).path("value");
        if (!kv.isNumber() || !ev.isNumber() || !(kv.asDouble() > 0)) return null;
        JsonNode at = l.path("at");
        double[] c = new double[at.size()], low = new double[at.size()], high = new double[at.size()];
        for (int i = 0; i < at.size(); i++) {
            c[i] = at.get(i).path("C").asDouble(Double.NaN);
            low[i] = at.get(i).path(what + "_ci_low").asDouble(Double.NaN);
            high[i] = at.get(i).path(what + "_ci_high").asDouble(Double.NaN);
        }
        return new Law(kv.asDouble(), ev.asDouble(), c, low, high);
    }
}
