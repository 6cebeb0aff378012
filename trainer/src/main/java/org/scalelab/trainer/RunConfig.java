package org.scalelab.trainer;

import org.scalelab.datasets.DataSpec;

/**
 * Everything that defines a training run; written, fully resolved, to {@code spec.json}.
 *
 * @param name  run id to use instead of the derived one (empty = derive from the config)
 * @param out   parent directory of run directories
 * @param model the transformer's shape
 * @param data  corpus, tokenizer, split and token budget
 * @param train optimizer, schedule, evaluation and checkpoint cadence
 */
public record RunConfig(String name, String out, ModelConfig model, DataSpec data, TrainConfig train) {
    public static final RunConfig DEFAULT = new RunConfig("", "runs", ModelConfig.DEFAULT, DataSpec.DEFAULT,
            TrainConfig.DEFAULT);

    public RunConfig withModel(ModelConfig m) {
        return new RunConfig(name, out, m, data, train);
    }

    public RunConfig withTrain(TrainConfig t) {
        return new RunConfig(name, out, model, data, t);
    }
}
