package org.scalelab.scaling.fit;

import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.MaxIter;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.scalar.noderiv.NelderMeadSimplex;
import org.hipparchus.optim.nonlinear.scalar.noderiv.SimplexOptimizer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The L-BFGS minimiser on textbook functions, and on approach 3's objective against Hipparchus. */
class LbfgsTest {

    /** Rosenbrock's valley from (−1.2, 1): the minimum (1, 1) to 1e-6. */
    @Test
    void rosenbrock() {
        Lbfgs.Result r = Lbfgs.defaults().minimize((x, g) -> {
            double a = 1 - x[0], b = x[1] - x[0] * x[0];
            g[0] = -2 * a - 400 * x[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        }, new double[]{-1.2, 1});
        assertTrue(r.converged());
        assertEquals(1, r.x()[0], 1e-6);
        assertEquals(1, r.x()[1], 1e-6);
    }

    /** An ill-conditioned quadratic in 5 dimensions (condition number 1e6): the minimum to 1e-8. */
    @Test
    void illConditionedQuadratic() {
        double[] scale = {1, 10, 100, 1000, 1e6};
        Lbfgs.Result r = Lbfgs.defaults().minimize((x, g) -> {
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - i;
                f += 0.5 * scale[i] * d * d;
                g[i] = scale[i] * d;
            }
            return f;
        }, new double[]{5, 5, 5, 5, 5});
        for (int i = 0; i < 5; i++) assertEquals(i, r.x()[i], 1e-6, "x" + i);
    }

    /**
     * Approach 3's objective at the L-BFGS optimum of the full grid: Hipparchus' Nelder–Mead, started
     * there, finds nothing lower by more than 1e-9 relative, so the optimum is not a premature stop.
     */
    @Test
    void approach3OptimumHoldsAgainstHipparchus() {
        Fitter.Data d = Benchmark.runs(3).subset(java.util.stream.IntStream.range(0, 250).filter(i -> i % 10 == 0).toArray());
        Law law = Laws.chinchilla();
        Fitter.Fit f = Fitter.fit(law, d, Fitter.Options.defaults().withHuber(1e-3).withBootstrap(0));
        Lbfgs.Objective obj = new Fitter.Problem(law, d, 1e-3).with(d.weight());
        double[] g = new double[5];
        var opt = new SimplexOptimizer(1e-15, 1e-15).optimize(new MaxEval(20000), new MaxIter(20000),
                new ObjectiveFunction(x -> obj.valueAndGradient(x, g)), GoalType.MINIMIZE,
                new InitialGuess(f.theta()), new NelderMeadSimplex(5, 1e-3));
        assertTrue(opt.getValue() >= f.objective() * (1 - 1e-9), "hipparchus " + opt.getValue() + " < lbfgs " + f.objective());
    }
}
