package org.scalelab.sweeps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

final class SweepTestSupport {
    private SweepTestSupport() {}

    /** A small deterministic text corpus. */
    static Path corpus(Path dir) throws IOException {
        String[] words = {"the", "king", "shall", "speak", "and", "we", "will", "hear", "of", "his", "love"};
        StringBuilder sb = new StringBuilder();
        long x = 42;
        while (sb.length() < 20_000) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            sb.append(words[(int) Math.floorMod(x >>> 33, (long) words.length)]).append((x & 7) == 0 ? ".\n" : " ");
        }
        Path f = dir.resolve("corpus.txt");
        Files.writeString(f, sb);
        return f;
    }

    /** A spec over tiny models that train in about a second each. */
    static Path spec(Path dir, String axes) throws IOException {
        Path c = corpus(dir);
        Path f = dir.resolve("spec.yaml");
        Files.writeString(f, "name: t\nbase:\n  data: {corpus: " + c + "}\n  model: {nLayer: 1, dModel: 16, nHead: 2, nCtx: 8}\n"
                + "  train: {steps: 6, batchSize: 4, warmupSteps: 1, evalEvery: 3, evalBatches: 1, logEvery: 1, checkpointEvery: 2}\n" + axes);
        return f;
    }
}
