package org.scalelab.trainer.optim;

import org.scalelab.trainer.*;

import org.scalelab.datasets.UserError;

import java.util.Arrays;
import java.util.Locale;

/**
 * Learning rate at a step (0-based: the rate used by the update that ends step s+1).
 * Warm-up is linear from lr/warmup to lr over the first {@code warmup} steps; then
 * <ul>
 *   <li>cosine: lr_min + ½(lr − lr_min)(1 + cos(π·p)), p the fraction of the post-warm-up steps done;</li>
 *   <li>linear: lr − (lr − lr_min)·p;</li>
 *   <li>constant: lr;</li>
 *   <li>wsd: lr until the last {@code decayFraction} of all steps, then linear to lr_min.</li>
 * </ul>
 * lr_min = minLrRatio·lr. After the last step the rate stays at its final value.
 */
public record LrSchedule(Kind kind, double lr, double minLr, int warmup, int steps, double decayFraction) {

    public enum Kind {
        COSINE, LINEAR, CONSTANT, WSD;

        public static Kind parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new UserError("train.schedule '" + s + "' is not known; use one of "
                        + Arrays.toString(values()).toLowerCase(Locale.ROOT));
            }
        }
    }

    public static LrSchedule of(TrainConfig t) {
        return new LrSchedule(Kind.parse(t.schedule()), t.lr(), t.lr() * t.minLrRatio(), t.warmupSteps(),
                t.steps(), t.decayFraction());
    }

    public double at(int step) {
        if (step < warmup) return lr * (step + 1) / warmup;
        switch (kind) {
            case CONSTANT:
                return lr;
            case WSD: {
                int decaySteps = Math.max(1, (int) Math.round(steps * decayFraction));
                int decayStart = Math.max(warmup, steps - decaySteps);
                if (step < decayStart) return lr;
                double p = Math.min(1.0, (step - decayStart + 1) / (double) (steps - decayStart));
                return lr - (lr - minLr) * p;
            }
            default: {
                int span = Math.max(1, steps - warmup);
                double p = Math.min(1.0, (step - warmup) / (double) span);
                return kind == Kind.LINEAR ? lr - (lr - minLr) * p
                        : minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * p));
            }
        }
    }
}
