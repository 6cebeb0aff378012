package org.scalelab.datasets;

import java.nio.file.Path;

/** Text ↔ token ids. Every tokenizer saves itself beside a token store and reloads identically. */
public interface Tokenizer {
    /** A short kind name: char, byte, bpe, gpt2. */
    String kind();

    /** Number of distinct token ids; ids are 0 … vocabSize()-1. */
    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /** Writes this tokenizer to {@code file} (JSON), atomically. */
    void save(Path file);
}
