package org.scalelab.trainer.model;

import org.scalelab.trainer.ModelConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The one description of a model's parameters: for each tensor its name, shape, initialisation, weight
 * decay group, whether it is an embedding, and its role. The layers declare their tensors here as
 * {@link Transformer} builds them, in forward order, which is the order of checkpoints, of the optimizer's
 * state and of the initial draws. The engines, {@link org.scalelab.trainer.run.Checkpoint}, the accounting, the
 * optimizer's decay rules and the planner read it; no other code matches parameter names.
 */
public final class ParamLayout {

    /** How a tensor starts: normal(0, std), or all ones (norm gains), or all zeros (biases). */
    public enum Init { NORMAL, ONES, ZEROS }

    /** Which weight-decay setting applies (train.weightDecay, decayEmbeddings, decayNormsAndBiases). */
    public enum Decay { WEIGHTS, EMBEDDINGS, NORMS_AND_BIASES }

    /** What a tensor does, for rules that treat kinds of weights differently (decay, parameterizations). */
    public enum Role {
        TOKEN_EMBEDDING, POSITION_EMBEDDING, NORM_GAIN, NORM_BIAS,
        ATTN_QKV, ATTN_OUT, MLP_IN, MLP_OUT, LINEAR_BIAS, OUTPUT;

        /** Excluded from N (README.md, "Counting conventions"): the token and position embeddings and an untied output matrix. */
        public boolean embedding() {
            return this == TOKEN_EMBEDDING || this == POSITION_EMBEDDING || this == OUTPUT;
        }

        /** The decay group of a tensor in this role. */
        public Decay decay() {
            if (embedding()) return Decay.EMBEDDINGS;
            return this == NORM_GAIN || this == NORM_BIAS || this == LINEAR_BIAS ? Decay.NORMS_AND_BIASES : Decay.WEIGHTS;
        }
    }

    /** One parameter tensor; {@code index} is its position in the layout. Matrices are (in, out). */
    public record Tensor(int index, String name, long[] shape, Init init, double std, Role role) {
        public long size() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        public boolean embedding() { return role.embedding(); }

        public Decay decay() { return role.decay(); }
    }

    private final List<Tensor> tensors = new ArrayList<>();

    ParamLayout() {}

    /** The layout of {@code cfg}'s model. */
    public static ParamLayout of(ModelConfig cfg) {
        return Transformer.layoutOf(cfg);
    }

    /** Declares the next tensor. */
    Tensor add(String name, Init init, double std, Role role, long... shape) {
        for (Tensor t : tensors) if (t.name().equals(name)) throw new IllegalStateException("tensor " + name + " declared twice");
        Tensor t = new Tensor(tensors.size(), name, shape.clone(), init, std, role);
        tensors.add(t);
        return t;
    }

    /** Every tensor, in order. */
    public List<Tensor> tensors() { return Collections.unmodifiableList(tensors); }

    public int size() { return tensors.size(); }

    public Tensor get(int i) { return tensors.get(i); }

    /** Tensor names in order (checkpoints record them). */
    public List<String> names() { return tensors.stream().map(Tensor::name).toList(); }

    /** Scalars in all tensors, or only in those that count towards N. */
    public long count(boolean nonEmbeddingOnly) {
        long n = 0;
        for (Tensor t : tensors) if (!nonEmbeddingOnly || !t.embedding()) n += t.size();
        return n;
    }

    /** Sizes of the tensors in order (the optimizer's state). */
    public int[] sizes() {
        return tensors.stream().mapToInt(t -> Math.toIntExact(t.size())).toArray();
    }
}
