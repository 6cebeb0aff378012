package org.scalelab.trainer.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.Rng;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's parameter values: one dense ND4J array per tensor of a {@link ParamLayout}, in its order.
 * Both engines compute on these arrays in place; checkpoints read and write them.
 */
public final class Weights {
    private final ParamLayout layout;
    private final DataType dtype;
    private final INDArray[] arrays;

    private Weights(ParamLayout layout, DataType dtype, INDArray[] arrays) {
        this.layout = layout;
        this.dtype = dtype;
        this.arrays = arrays;
    }

    /**
     * Initial values: the NORMAL tensors drawn from {@code Rng(seed)} one after another in layout order
     * (GPT-2's scheme: std 0.02, residual projections 0.02/√(2·nLayer)), gains 1, biases 0.
     */
    public static Weights init(ParamLayout layout, DataType dtype, long seed) {
        Rng rng = new Rng(seed);
        INDArray[] a = new INDArray[layout.size()];
        for (ParamLayout.Tensor t : layout.tensors()) {
            a[t.index()] = switch (t.init()) {
                case ONES -> Nd4j.ones(dtype, t.shape());
                case ZEROS -> Nd4j.zeros(dtype, t.shape());
                case NORMAL -> {
                    double[] v = new double[Math.toIntExact(t.size())];
                    for (int i = 0; i < v.length; i++) v[i] = rng.nextGaussian() * t.std();
                    yield Nd4j.create(v, t.shape(), dtype);
                }
            };
        }
        return new Weights(layout, dtype, a);
    }

    public ParamLayout layout() { return layout; }

    public DataType dtype() { return dtype; }

    public INDArray get(ParamLayout.Tensor t) { return arrays[t.index()]; }

    public INDArray get(int i) { return arrays[i]; }

    /** Uses {@code a} as tensor {@code t}'s array from now on (an engine that keeps its own copy). */
    void replace(ParamLayout.Tensor t, INDArray a) { arrays[t.index()] = a; }

    /** The arrays by tensor name, in layout order. */
    public Map<String, INDArray> byName() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (ParamLayout.Tensor t : layout.tensors()) m.put(t.name(), arrays[t.index()]);
        return Collections.unmodifiableMap(m);
    }

    /**
     * Marks every array as written on the host (through its NIO buffer), so that a device backend copies
     * it over before its next use; nothing to do on the CPU backend.
     */
    public void wroteOnHost() {
        for (INDArray a : arrays) wroteOnHost(a);
    }

    /** A copy of a (row-major, contiguous) weight array's values, as checkpoints and exports write them. */
    public static float[] values(INDArray a) {
        float[] out = new float[Math.toIntExact(a.length())];
        a.data().asNioFloat().get(out);
        return out;
    }

    /** {@link #wroteOnHost()} for one array. */
    public static void wroteOnHost(INDArray a) {
        Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
    }
}
