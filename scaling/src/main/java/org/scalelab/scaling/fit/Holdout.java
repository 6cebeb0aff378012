package org.scalelab.scaling.fit;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Held-out extrapolation: the law fitted (from its whole start grid, no bootstrap) on all but the k
 * largest points, and its prediction for those k. "Largest" orders points by the product of their
 * inputs: N for L(N), N·D (∝ compute) for the joint laws, which is how a sweep's biggest runs extrapolate.
 */
public record Holdout(int k, String[] labels, double[][] x, double[] measured, double[] predicted) {

    /** Mean of |predicted/measured − 1| over the held-out points. */
    public double meanAbsRelError() {
        double s = 0;
        for (int i = 0; i < measured.length; i++) s += Math.abs(predicted[i] / measured[i] - 1);
        return s / measured.length;
    }

    /** Whether {@code data} leaves enough points for {@code law} once k are held out. */
    public static boolean possible(Law law, Fitter.Data data, int k) {
        return k > 0 && data.n() - k >= law.size() + 1;
    }

    public static Holdout of(Law law, Fitter.Data data, int k, double huberDelta) {
        Integer[] order = IntStream.range(0, data.n()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> Arrays.stream(data.x()[i]).map(Math::log).sum()));
        int[] train = Arrays.stream(order, 0, data.n() - k).mapToInt(Integer::intValue).toArray();
        int[] test = Arrays.stream(order, data.n() - k, data.n()).mapToInt(Integer::intValue).toArray();
        Fitter.Fit f = Fitter.fit(law, data.subset(train), Fitter.Options.defaults().withHuber(huberDelta).withBootstrap(0));
        double[][] xs = new double[k][];
        double[] meas = new double[k], pred = new double[k];
        String[] labels = new String[k];
        for (int i = 0; i < k; i++) {
            xs[i] = data.x()[test[i]];
            meas[i] = data.loss()[test[i]];
            pred[i] = f.predict(xs[i]);
            labels[i] = data.labels()[test[i]];
        }
        return new Holdout(k, labels, xs, meas, pred);
    }
}
