package org.scalelab.datasets;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Text ↔ token ids. Every tokenizer saves itself beside a token store and reloads identically
 * through {@link Tokenizers#load}; {@code decode(encode(text)).equals(text)} for every text it can encode.
 */
public interface Tokenizer {
    /** A short kind name: char, byte, bpe, gpt2. */
    String kind();

    /** Number of distinct token ids; ids are 0 … vocabSize()-1. */
    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /** What {@link #save} writes: everything {@link Tokenizers#load} needs to rebuild this tokenizer. */
    com.fasterxml.jackson.databind.node.ObjectNode toJson();

    /** Writes this tokenizer to {@code file} (JSON), atomically. */
    default void save(Path file) {
        Files2.writeAtomic(file, Json.pretty(toJson()));
    }

    /** The end-of-text token that separates documents, when the vocabulary has one (GPT-2: 50256). */
    default OptionalInt eot() {
        return OptionalInt.empty();
    }

    /**
     * The bytes a token sequence stands for. Byte-level tokenizers return them exactly, even when the
     * sequence starts or ends inside a multi-byte character; an end-of-text token stands for no bytes.
     */
    default byte[] decodeBytes(int[] ids) {
        return decode(ids).getBytes(StandardCharsets.UTF_8);
    }
}
