package org.scalelab.datasets;

import java.util.Locale;

/** What {@code data prepare} does with bytes that are not valid UTF-8. */
public enum OnInvalid {
    /** Stop with an error naming the file, byte offset and line (the default). */
    ERROR,
    /** Replace each invalid sequence by U+FFFD and count it (in the store's metadata). */
    REPLACE,
    /** Byte tokenizer only: store the file's bytes exactly as they are, with no decoding or normalisation. */
    KEEP;

    public static OnInvalid parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--on-invalid '" + s + "' is not known; use error, replace or keep");
        }
    }

    @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
}
