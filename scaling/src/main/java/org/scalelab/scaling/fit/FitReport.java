package org.scalelab.scaling.fit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Fits as {@code fits.json} (maps and lists, loadable with pandas.json_normalize) and as a readable table. */
public final class FitReport {
    private FitReport() {}

    /** Held-out extrapolation: fitted on all but the k largest points, predicted on those. */
    public record Holdout(int k, double[][] x, double[] measured, double[] predicted) {
        public double meanAbsRelError() {
            double s = 0;
            for (int i = 0; i < measured.length; i++) s += Math.abs(predicted[i] / measured[i] - 1);
            return s / measured.length;
        }
    }

    public static Map<String, Object> toJson(Fitter.Fit f, Holdout h, double huber) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("law", f.law().id());
        m.put("formula", f.law().formula());
        m.put("inputs", f.law().inputs());
        m.put("n_points", f.n());
        m.put("loss_function", huber > 0 ? "huber(delta=" + huber + ") on log L" : "least squares on log L");
        m.put("starts", f.starts());
        m.put("bootstrap", f.bootstrap());
        Map<String, Object> ps = new LinkedHashMap<>();
        List<Published.Entry> pub = Published.allFor(f.law().id().replace("+E", ""));
        for (int i = 0; i < f.params().length; i++) {
            String name = f.law().paramNames().get(i);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("value", f.params()[i]);
            p.put("ci_low", nan(f.low()[i]));
            p.put("ci_high", nan(f.high()[i]));
            List<Map<String, Object>> refs = new ArrayList<>();
            for (Published.Entry e : pub) {
                if (e.params().containsKey(name)) refs.add(Map.of("value", e.params().get(name), "source", e.source()));
            }
            if (!refs.isEmpty()) p.put("published", refs);
            ps.put(name, p);
        }
        m.put("params", ps);
        m.put("rmse_log", f.rmseLog());
        m.put("r2_log", nan(f.r2Log()));
        m.put("seconds", f.seconds());
        if (f.law().id().equals("chinchilla")) {
            // compute-optimal allocation implied by the fit (Hoffmann et al. eq. 4)
            double E = f.params()[0], A = f.params()[1], B = f.params()[2], a = f.params()[3], b = f.params()[4];
            double g = Math.pow(a * A / (b * B), 1 / (a + b));
            Map<String, Object> al = new LinkedHashMap<>();
            al.put("N_opt", "G·(C/6)^(beta/(alpha+beta))");
            al.put("D_opt", "(C/6)^(alpha/(alpha+beta))/G");
            al.put("G", g);
            al.put("exponent_a", b / (a + b));
            al.put("exponent_b", a / (a + b));
            List<Map<String, Object>> at = new ArrayList<>();
            for (double c : new double[]{1e15, 1e18, 1e21, 1e24}) {
                double n = g * Math.pow(c / 6, b / (a + b)), d = Math.pow(c / 6, a / (a + b)) / g;
                at.add(Map.of("C", c, "N_opt", n, "D_opt", d, "tokens_per_param", d / n,
                        "loss", E + A / Math.pow(n, a) + B / Math.pow(d, b)));
            }
            al.put("at", at);
            m.put("allocation", al);
        }
        if (f.law().inputs().size() == 1 && f.n() > 0) {
            // the fitted curve and its 95% bootstrap band on a grid over the data's range, for plots
            double lo = Double.MAX_VALUE, hi = 0;
            for (double[] x : f.data().x()) {
                lo = Math.min(lo, x[0]);
                hi = Math.max(hi, x[0]);
            }
            List<Map<String, Object>> curve = new ArrayList<>();
            for (int k = 0; k <= 24; k++) {
                double x = Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * k / 24);
                double[] band = f.band(new double[]{x}, 0.95);
                Map<String, Object> p = new LinkedHashMap<>();
                p.put(f.law().inputs().get(0), x);
                p.put("loss", Math.exp(f.law().logPredict(f.theta(), new double[]{x})));
                p.put("band_low", nan(band[0]));
                p.put("band_high", nan(band[1]));
                curve.add(p);
            }
            m.put("curve", curve);
        }
        if (h != null) {
            Map<String, Object> ho = new LinkedHashMap<>();
            ho.put("held_out", h.k());
            List<Map<String, Object>> pts = new ArrayList<>();
            for (int i = 0; i < h.measured().length; i++) {
                Map<String, Object> p = new LinkedHashMap<>();
                for (int j = 0; j < f.law().inputs().size(); j++) p.put(f.law().inputs().get(j), h.x()[i][j]);
                p.put("measured", h.measured()[i]);
                p.put("predicted", h.predicted()[i]);
                p.put("rel_error", h.predicted()[i] / h.measured()[i] - 1);
                pts.add(p);
            }
            ho.put("points", pts);
            ho.put("mean_abs_rel_error", h.meanAbsRelError());
            m.put("extrapolation", ho);
        }
        return m;
    }

    private static Double nan(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** An aligned text table of the fits. */
    @SuppressWarnings("unchecked")
    public static String table(List<Map<String, Object>> laws) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-12s %-9s %12s %25s   %s%n", "law", "param", "value", "95% interval", "published"));
        for (Map<String, Object> law : laws) {
            boolean first = true;
            for (var e : ((Map<String, Map<String, Object>>) law.get("params")).entrySet()) {
                Map<String, Object> p = e.getValue();
                String ci = p.get("ci_low") == null && p.get("ci_high") == null ? "" : String.format(Locale.ROOT, "[%s, %s]", num(p.get("ci_low")), num(p.get("ci_high")));
                String pub = "";
                if (p.get("published") != null) {
                    List<String> parts = new ArrayList<>();
                    for (Map<String, Object> r : (List<Map<String, Object>>) p.get("published")) parts.add(num(r.get("value")) + " (" + r.get("source") + ")");
                    pub = String.join("; ", parts);
                }
                sb.append(String.format(Locale.ROOT, "%-12s %-9s %12s %25s   %s%n", first ? law.get("law") : "", e.getKey(),
                        num(p.get("value")), ci, pub));
                first = false;
            }
            sb.append(String.format(Locale.ROOT, "%-12s %s: n=%s, RMSE(log L)=%.4f, R²=%s, %.2f s%n", "", law.get("formula"),
                    law.get("n_points"), (double) law.get("rmse_log"), law.get("r2_log") == null ? "n/a" : num(law.get("r2_log")),
                    (double) law.get("seconds")));
            Map<String, Object> ho = (Map<String, Object>) law.get("extrapolation");
            if (ho != null) {
                sb.append(String.format(Locale.ROOT, "%-12s held out the %s largest: mean |predicted/measured − 1| = %.2f%%%n", "",
                        ho.get("held_out"), 100 * (double) ho.get("mean_abs_rel_error")));
            }
        }
        return sb.toString();
    }

    static String num(Object o) {
        if (!(o instanceof Number)) return "n/a";   // an interval end beyond double range
        double v = ((Number) o).doubleValue();
        double a = Math.abs(v);
        return a != 0 && (a >= 1e4 || a < 1e-2) ? String.format(Locale.ROOT, "%.3g", v) : String.format(Locale.ROOT, "%.4f", v);
    }
}
