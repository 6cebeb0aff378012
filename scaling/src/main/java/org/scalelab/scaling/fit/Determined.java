package org.scalelab.scaling.fit;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether the runs determine a fitted parameter: the one rule behind the "not determined" flags of
 * {@code scalelab fit}'s table, fits.json and the report. A parameter with a bootstrap interval [lo, hi] is
 * <b>not determined</b> when
 * <ul>
 * <li>the interval <b>touches a bound</b> of the parameter ({@link Bounds}): lo ≤ the lower bound or
 * hi ≥ the upper one (an end beyond double range touches ∞). Constants (E, A, N_c, …) and the laws'
 * exponents (alpha…, beta) are bounded below by 0: a constant is positive by construction (it is fitted
 * as exp(θ), so it reaches 0 only as θ → −∞; its lower end counts as 0 when setting it from lo to 0 moves
 * no fitted point's log L̂ by more than {@link #NEGLIGIBLE}, e.g. E = 3e-12 under losses of 3), and an
 * exponent ≤ 0 says the loss does not fall with the input. The compute-optimal exponents a, b
 * (N_opt ∝ C^a, D_opt ∝ C^b, a + b = 1) lie in [0, 1];</li>
 * <li>or the interval <b>spans more than a decade</b>: hi/lo &gt; {@link #MAX_RATIO} for a positive
 * interval (lo/hi for a negative one); a parameter free in sign (the hyperparameter laws' exponents)
 * whose interval holds 0 has no sign.</li>
 * </ul>
 * Reasons are joined with "; " in {@link Verdict#why}: "interval touches bound 0", "interval spans 141×
 * (more than 10×)", "interval reaches ∞ (beyond double range)", "interval touches bound 1".
 * Without an interval (no bootstrap) nothing is said: {@link Verdict#determined} is null.
 */
public final class Determined {
    private Determined() {}

    /** An interval wider than this ratio (hi/lo) does not pin a parameter down to a decade. */
    public static final double MAX_RATIO = 10;
    /** A change of log L̂ (a relative change of the loss) too small to see at any fitted point: 0.1%. */
    public static final double NEGLIGIBLE = 1e-3;

    /** The values a parameter can take: lower and upper bound, ±∞ for none. */
    public record Bounds(double low, double high) {
        /** A positive constant, or an exponent of a law whose loss falls with its input: (0, ∞). */
        public static final Bounds POSITIVE = new Bounds(0, Double.POSITIVE_INFINITY);
        /** A share such as the compute-optimal exponents a and b = 1 − a: [0, 1]. */
        public static final Bounds FRACTION = new Bounds(0, 1);
        /** Any real number (e.g. the learning-rate exponent b of lr_opt = a·C^b, which is negative). */
        public static final Bounds ANY = new Bounds(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    /**
     * The verdict: {@code determined} true or false, or null without an interval; {@code why} the reasons
     * it is not determined ("interval touches bound 0", "interval spans 141× (more than 10×)"), null when
     * it is, "no bootstrap interval" without one.
     */
    public record Verdict(Boolean determined, String why) {
        static final Verdict NO_INTERVAL = new Verdict(null, "no bootstrap interval");
        static final Verdict YES = new Verdict(true, null);

        public boolean notDetermined() {
            return Boolean.FALSE.equals(determined);
        }

        /** The table cell: "yes", "not determined: WHY", or empty without an interval. */
        public String cell() {
            return determined == null ? "" : determined ? "yes" : "not determined: " + why;
        }
    }

    /** The rule for an interval [lo, hi] within bounds (NaN for both ends: no interval). */
    public static Verdict of(double lo, double hi, Bounds b) {
        return of(lo, hi, b, null);
    }

    /**
     * The rule, where {@code lowIsZero} (or null) says why the lower end counts as the lower bound 0 although
     * it lies above it (see {@link #of(Fitter.Fit, int)}).
     */
    static Verdict of(double lo, double hi, Bounds b, String lowIsZero) {
        if (Double.isNaN(lo) && Double.isNaN(hi)) return Verdict.NO_INTERVAL;
        List<String> why = new ArrayList<>();
        boolean lowBound = !(lo > b.low()), highBound = !(hi < b.high());
        if (lowBound) why.add("interval touches bound " + bound(b.low()));
        else if (lowIsZero != null) why.add("interval touches bound 0 (" + lowIsZero + ")");
        if (highBound) why.add(Double.isInfinite(b.high()) ? "interval reaches ∞ (beyond double range)" : "interval touches bound " + bound(b.high()));
        if (!lowBound && !highBound && lowIsZero == null && Double.isFinite(lo) && Double.isFinite(hi)) {
            if (lo > 0 || hi < 0) {
                double ratio = lo > 0 ? hi / lo : lo / hi;
                if (ratio > MAX_RATIO) why.add(String.format(Locale.ROOT, "interval spans %s× (more than %.0f×)", ratioText(ratio), MAX_RATIO));
            } else {
                why.add("interval holds 0 (sign not determined)");
            }
        }
        return why.isEmpty() ? Verdict.YES : new Verdict(false, String.join("; ", why));
    }

    /** Whether a law's reported parameter is an exponent (alpha…, beta…) rather than a constant fitted as exp(θ). */
    public static boolean exponent(String name) {
        return name.startsWith("alpha") || name.startsWith("beta");
    }

    /**
     * The verdict on parameter {@code i} of a fit, from its bootstrap interval and, for a constant, the
     * fitted points. Every constant and exponent of the laws here is bounded below by 0 ({@link Bounds#POSITIVE}).
     */
    public static Verdict of(Fitter.Fit f, int i) {
        String name = f.law().paramNames().get(i);
        double lo = f.low()[i], hi = f.high()[i];
        String zero = !exponent(name) && lo > 0 && Double.isFinite(lo) ? lowIsZero(f.law(), f.params(), i,
                java.util.stream.IntStream.range(0, f.data().n()).filter(k -> f.data().weight()[k] > 0).mapToObj(k -> f.data().x()[k]).toArray(double[][]::new), lo)
                : null;
        return of(lo, hi, Bounds.POSITIVE, zero);
    }

    /**
     * Null unless setting parameter {@code i} from its lower end {@code params[i] := lo} to 0 moves log L̂
     * by at most {@link #NEGLIGIBLE} at every point of {@code x} (the other parameters at {@code params}):
     * then a sentence saying so.
     */
    static String lowIsZero(Law law, double[] params, int i, double[][] x, double lo) {
        double[] atLo = params.clone(), atZero = params.clone();
        atLo[i] = lo;
        atZero[i] = 0;
        double[] tLo = law.theta(atLo), tZero = law.theta(atZero);
        if (x.length == 0) return null;
        for (double[] p : x) {
            double[] lx = new double[p.length];
            for (int j = 0; j < p.length; j++) lx[j] = Math.log(p[j]);
            double d = Math.abs(law.logLoss(tLo, lx, null) - law.logLoss(tZero, lx, null));
            if (!(d <= NEGLIGIBLE)) return null;
        }
        return String.format(Locale.ROOT, "%s at 0 instead of %s changes no fitted loss by more than %.1f%%", law.paramNames().get(i), num(lo), 100 * NEGLIGIBLE);
    }

    /**
     * The verdict on parameter {@code name} of a law in fits.json ({@code laws[]} entry): its
     * {@code determined} and {@code why} fields, or for a fits.json written before they existed, the rule
     * applied to {@code ci_low} and {@code ci_high} (null read as beyond double range), with the lower end of
     * a constant tested against the law's {@code curve} points where the law has one.
     */
    public static Verdict of(JsonNode law, String name) {
        JsonNode p = law.path("params").path(name);
        if (p.has("determined")) return stored(p.get("determined"), p.get("why"));
        double lo = end(p.get("ci_low"), Double.NEGATIVE_INFINITY), hi = end(p.get("ci_high"), Double.POSITIVE_INFINITY);
        if (!p.path("ci_low").isNumber() && !p.path("ci_high").isNumber()) return Verdict.NO_INTERVAL;
        String zero = null;
        Law l = lawById(law.path("law").asText());
        if (l != null && !exponent(name) && lo > 0 && Double.isFinite(lo) && law.path("curve").size() > 0 && l.inputs().size() == 1) {
            double[] params = new double[l.size()];
            for (int j = 0; j < params.length; j++) params[j] = law.path("params").path(l.paramNames().get(j)).path("value").asDouble(Double.NaN);
            int i = l.paramNames().indexOf(name);
            List<double[]> xs = new ArrayList<>();
            for (JsonNode c : law.get("curve")) if (c.path(l.inputs().get(0)).isNumber()) xs.add(new double[]{c.get(l.inputs().get(0)).asDouble()});
            if (i >= 0) zero = lowIsZero(l, params, i, xs.toArray(new double[0][]), lo);
        }
        return of(lo, hi, Bounds.POSITIVE, zero);
    }

    /**
     * The verdict stored in fits.json beside an interval that is not a law's parameter (compute-optimal
     * exponents, allocation, critical batch, hyperparameter laws): {@code determinedField} and
     * {@code whyField} of {@code o} when present, else the rule on {@code lowField}, {@code highField}.
     */
    public static Verdict of(JsonNode o, String determinedField, String whyField, String lowField, String highField, Bounds b) {
        if (o.has(determinedField)) return stored(o.get(determinedField), o.get(whyField));
        if (!o.path(lowField).isNumber() && !o.path(highField).isNumber()) return Verdict.NO_INTERVAL;
        return of(end(o.get(lowField), Double.NEGATIVE_INFINITY), end(o.get(highField), Double.POSITIVE_INFINITY), b);
    }

    private static Verdict stored(JsonNode d, JsonNode why) {
        if (d == null || !d.isBoolean()) return Verdict.NO_INTERVAL;
        return new Verdict(d.asBoolean(), why != null && why.isTextual() ? why.asText() : null);
    }

    private static double end(JsonNode n, double ifNull) {
        return n != null && n.isNumber() ? n.asDouble() : ifNull;
    }

    private static Law lawById(String id) {
        try {
            return Laws.byId(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String bound(double b) {
        return b == Math.rint(b) && Math.abs(b) < 1e15 ? String.valueOf((long) b) : num(b);
    }

    private static String ratioText(double r) {
        return r < 100 ? String.format(Locale.ROOT, "%.1f", r) : r < 1e4 ? String.format(Locale.ROOT, "%.0f", r) : String.format(Locale.ROOT, "%.2g", r);
    }

    private static String num(double v) {
        double a = Math.abs(v);
        return a != 0 && (a >= 1e4 || a < 1e-2) ? String.format(Locale.ROOT, "%.3g", v) : String.format(Locale.ROOT, "%.4f", v);
    }
}
