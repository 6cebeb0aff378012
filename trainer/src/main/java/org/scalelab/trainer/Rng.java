package org.scalelab.trainer;

/**
 * SplitMix64: a tiny generator whose whole state is one long, so a checkpoint can store it and a
 * resumed run draws exactly the numbers the uninterrupted run would have drawn.
 */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public long state() {
        return state;
    }

    public void setState(long s) {
        state = s;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), bound &gt; 0, without modulo bias. */
    public long nextLong(long bound) {
        long r, m = bound - 1;
        if ((bound & m) == 0) return nextLong() & m;
        long u = nextLong() >>> 1;
        while (u + m - (r = u % bound) < 0) u = nextLong() >>> 1;
        return r;
    }

    /** Standard normal (Box–Muller; one value per call keeps the state a single long). */
    public double nextGaussian() {
        double u1 = nextDouble(), u2 = nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }
}
