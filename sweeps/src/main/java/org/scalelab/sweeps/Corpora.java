package org.scalelab.sweeps;

import org.scalelab.datasets.Catalog;
import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.SyntheticCorpus;
import org.scalelab.datasets.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * What a sweep needs to know about its corpora before training: that each one exists (checked for
 * every run when a spec is expanded, so a typo fails the spec rather than every run), and for plans its
 * vocabulary, training tokens and loss floor.
 */
final class Corpora {
    private Corpora() {}

    /**
     * @param vocab       vocabulary size, 0 when unknown without reading the corpus
     * @param trainTokens tokens of the training split a run may see (its budget), 0 when unknown
     * @param lossFloor   the exact Bayes-optimal loss in nats/token, NaN when unknown
     */
    record Info(int vocab, long trainTokens, double lossFloor) {}

    static boolean isSynthetic(String corpus) {
        return corpus.equals("synthetic") || corpus.startsWith("synthetic:");
    }

    /** Cheap checks of a data section: the corpus is set and exists, synthetic settings parse. */
    static void check(DataSpec d, boolean files) {
        if (d.corpus() == null || d.corpus().isBlank()) {
            throw new UserError("data.corpus is not set; give a text file or 'synthetic', e.g. data: {corpus: synthetic}");
        }
        if (!(d.valFraction() > 0 && d.valFraction() < 1)) {
            throw new UserError("data.valFraction must be in (0, 1), got " + d.valFraction());
        }
        if (d.tokens() < 0) throw new UserError("data.tokens must be ≥ 0 (0 = all training tokens), got " + d.tokens());
        if (isSynthetic(d.corpus())) {
            SyntheticCorpus.Params.parse(d.corpus());
        } else if (files && !onDisk(d.corpus()) && !isGlob(d.corpus()) && Catalog.find(d.corpus().trim()).isEmpty()) {
            throw new UserError("data.corpus '" + d.corpus() + "': no such file, folder or token store, and not a catalogue name ("
                    + String.join(", ", Catalog.entries().stream().map(e -> e.name()).toList()) + "; relative paths are read from "
                    + "the directory the sweep runs in: " + Path.of("").toAbsolutePath() + ")");
        }
    }

    /**
     * True when the corpus names something on this disk: a text file, a folder of text, a token store
     * (folder or NAME.bin), or FILE.jsonl#field. (Globs and catalogue names are resolved when a run opens them.)
     */
    static boolean onDisk(String corpus) {
        String s = corpus.trim();
        int hash = s.lastIndexOf('#');
        if (hash > 0 && s.substring(0, hash).toLowerCase(java.util.Locale.ROOT).matches(".*\\.(jsonl|jsonl\\.gz|ndjson)")) {
            s = s.substring(0, hash);
        }
        try {
            return Files.exists(Path.of(s));
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    private static boolean isGlob(String s) {
        for (char c : "*?[{".toCharArray()) if (s.indexOf(c) >= 0) return true;
        return false;
    }

    /** Vocabulary and training tokens without reading a text corpus (synthetic ones are known from their settings). */
    static Info quick(DataSpec d) {
        if (isSynthetic(d.corpus())) {
            SyntheticCorpus.Params p = SyntheticCorpus.Params.parse(d.corpus());
            return new Info(p.vocab(), budget(p.tokens(), d.tokens()), Double.NaN);
        }
        return new Info(0, 0, Double.NaN);
    }

    /** Opens each distinct data section once: vocabulary, training tokens and floor, exactly. */
    static Map<DataSpec, Info> open(Iterable<DataSpec> specs) {
        Map<DataSpec, Info> out = new HashMap<>();
        Map<DataSpec, Dataset> opened = new HashMap<>();
        for (DataSpec d : specs) {
            if (out.containsKey(d)) continue;
            DataSpec whole = new DataSpec(d.corpus(), d.tokenizer(), d.valFraction(), 0, d.seed());
            Dataset ds = opened.computeIfAbsent(whole, Dataset::open);
            out.put(d, new Info(ds.tokenizer().vocabSize(), ds.train(d.tokens()).size(),
                    ds.lossFloorNats().isPresent() ? ds.lossFloorNats().getAsDouble() : Double.NaN));
        }
        return out;
    }

    private static long budget(long available, long budget) {
        return budget > 0 ? Math.min(available, budget) : available;
    }
}
