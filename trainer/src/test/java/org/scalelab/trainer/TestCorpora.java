package org.scalelab.trainer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Small text corpora for tests. */
final class TestCorpora {
    private TestCorpora() {}

    /** A deterministic pseudo-English text of about {@code chars} characters. */
    static Path writeText(Path dir, int chars) throws IOException {
        String[] words = {"the", "king", "shall", "speak", "and", "we", "will", "hear", "of", "his", "love", "my", "lord",
                "good", "night", "sweet", "prince", "to", "be", "or", "not"};
        Rng rng = new Rng(42);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < chars) {
            int n = 3 + (int) rng.nextLong(8);
            for (int i = 0; i < n; i++) sb.append(words[(int) rng.nextLong(words.length)]).append(i == n - 1 ? ".\n" : " ");
        }
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, sb.substring(0, chars));
        return f;
    }

    /** ../shared/corpora/tinyshakespeare.txt, found from the working directory upwards. */
    static Optional<Path> tinyShakespeare() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("shared/corpora/tinyshakespeare.txt");
            if (Files.isRegularFile(f)) return Optional.of(f);
        }
        return Optional.empty();
    }
}
