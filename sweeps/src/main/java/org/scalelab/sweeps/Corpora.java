package org.scalelab.sweeps;

import org.scalelab.datasets.Catalog;
import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.SyntheticCorpus;
import org.scalelab.datasets.UserError;

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
        } else if (files) {
            try {
                Dataset.checkCorpus(d.corpus());
            } catch (Dataset.UnknownCorpus e) {
                throw new UserError("data.corpus '" + d.corpus() + "': no such file, folder or token store, and not a catalogue name ("
                        + String.join(", ", Catalog.entries().stream().map(c -> c.name()).toList()) + "; relative paths are read from "
                        + "the directory the sweep runs in: " + Path.of("").toAbsolutePath() + ")");
            }
        }
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
