package org.scalelab.datasets;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Test corpora shipped under src/test/resources. */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        try {
            return Path.of(Fixtures.class.getResource(name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource " + name, e);
        }
    }

    static String text(String name) {
        try {
            return Files.readString(path(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A corpus from the shared folder beside the repository ({@code ../shared/corpora/NAME} from the
     * repository root, so {@code ../../shared/corpora/NAME} from this module, where tests run), or null
     * when this machine has none; callers skip with an assumption.
     */
    static Path sharedCorpus(String name) {
        for (Path p : new Path[]{Path.of("..", "..", "shared", "corpora", name), Path.of("..", "shared", "corpora", name)}) {
            if (Files.isRegularFile(p)) return p.toAbsolutePath().normalize();
        }
        return null;
    }

    /** The first 100 kB of tiny Shakespeare. */
    static String shakespeare() {
        return text("shakespeare_head.txt");
    }

    /** Many scripts, emoji (surrogate pairs, ZWJ sequences), combining marks, tabs and runs of spaces and newlines. */
    static String unicode() {
        return text("unicode.txt");
    }
}
