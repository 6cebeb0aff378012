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

    /** A name is a directory under {@code out}, so it may not climb out of it or be a path. */
    public RunConfig {
        if (name != null && !name.isEmpty() && !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new org.scalelab.datasets.UserError("name: '" + name + "' must be letters, digits, '.', '_' or '-', starting with a "
                    + "letter or digit (it names the run's directory under out); e.g. name: my-run-1");
        }
    }

    public RunConfig withModel(ModelConfig m) {
        return new RunConfig(name, out, m, data, train);
    }

    public RunConfig withTrain(TrainConfig t) {
        return new RunConfig(name, out, model, data, t);
    }
}
