package org.scalelab.trainer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.scalelab.trainer.engine.CpuEngine;
import org.scalelab.trainer.engine.Engines;
import org.scalelab.trainer.engine.GraphEngine;
import org.scalelab.trainer.model.Pass;
import org.scalelab.trainer.model.Transformer;
import org.scalelab.trainer.model.Weights;

/** Test helpers: a model on a given engine, one-hot inputs for the graph, a checkpoint's weights. */
final class Models {
    private Models() {}

    static GraphEngine graph(ModelConfig cfg, DataType dtype, long seed) {
        Transformer m = Transformer.of(cfg);
        return (GraphEngine) Engines.create(Engines.Kind.SAMEDIFF, m, Weights.init(m.layout(), dtype, seed), Pass.Options.defaults());
    }

    static CpuEngine cpu(ModelConfig cfg, long seed, Pass.Options options) {
        Transformer m = Transformer.of(cfg);
        return (CpuEngine) Engines.create(Engines.Kind.CPU, m, Weights.init(m.layout(), DataType.FLOAT, seed), options);
    }

    static CpuEngine cpu(ModelConfig cfg, long seed) {
        return cpu(cfg, seed, Pass.Options.defaults());
    }

    /** One-hot matrix (ids.length, vocab). */
    static INDArray oneHot(int[] ids, int vocab, DataType dtype) {
        INDArray a = Nd4j.zeros(dtype, ids.length, vocab);
        for (int i = 0; i < ids.length; i++) a.putScalar(i, ids[i], 1.0);
        return a;
    }

    /** Every combination of norm, MLP and position. */
    static ModelConfig[] variants(ModelConfig base) {
        java.util.List<ModelConfig> out = new java.util.ArrayList<>();
        for (ModelConfig.Norm n : ModelConfig.Norm.values())
            for (ModelConfig.Mlp m : ModelConfig.Mlp.values())
                for (ModelConfig.Position p : ModelConfig.Position.values())
                    out.add(new ModelConfig(base.nLayer(), base.dModel(), base.nHead(), base.dFf(), base.nCtx(), base.nVocab(),
                            base.dropout(), base.tiedOutput(), base.bias(), n, m, p));
        return out.toArray(new ModelConfig[0]);
    }

    /** The weights of a model of {@code cfg} as saved in checkpoint folder {@code ck}, tensor by tensor. */
    static java.util.List<float[]> checkpointWeights(ModelConfig cfg, java.nio.file.Path ck) {
        var p = cpu(cfg, 0).weights().byName();
        org.scalelab.trainer.run.Checkpoint.load(ck, p, null);
        java.util.List<float[]> out = new java.util.ArrayList<>();
        for (var arr : p.values()) out.add(arr.dup().data().asFloat());
        return out;
    }

    /** The largest absolute difference between two lists of tensors of the same shapes. */
    static double maxDiff(java.util.List<float[]> a, java.util.List<float[]> b) {
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            float[] x = a.get(i), y = b.get(i);
            for (int k = 0; k < x.length; k++) m = Math.max(m, Math.abs(x[k] - y[k]));
        }
        return m;
    }
}
