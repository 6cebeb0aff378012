package org.scalelab.datasets;

/**
 * What data a run trains on, as written in the {@code data:} section of a run config.
 *
 * @param corpus      a text file path (a store directory or a catalogue name where supported)
 * @param tokenizer   tokenizer kind: {@code char} (default)
 * @param valFraction fraction of the tokens held out for validation, taken from the end (0 &lt; f &lt; 1)
 * @param tokens      token budget D: train on the first D training tokens only (0 = all of them)
 * @param seed        seed of the split and the budget's shuffle
 */
public record DataSpec(String corpus, String tokenizer, double valFraction, long tokens, long seed) {
    public static final DataSpec DEFAULT = new DataSpec(null, "char", 0.1, 0, 1234);

    public DataSpec {
        if (tokenizer == null) tokenizer = "char";
    }
}
