package org.scalelab.datasets;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a corpus string ({@code data.corpus}, {@code --corpus}) names, resolved in this order:
 * <ol>
 *   <li>{@code synthetic} or {@code synthetic:key=value,…} (also {@code synthetic:v1,…}): the built-in synthetic
 *       corpus; {@code synthetic:v2[,key=value,…]}: its second version, with an unbounded training split
 *       ({@link SyntheticV2});</li>
 *   <li>{@code -}: standard input ({@code data prepare} only);</li>
 *   <li>an existing path: a token store (a folder with train.meta.json or train.bin, a NAME.meta.json, a
 *       NAME.bin), a folder of text files, a {@code .jsonl} file ({@code FILE.jsonl#field} names the text
 *       field, default {@code text}), or a text file;</li>
 *   <li>a glob ({@code 'books/*.txt'}, {@code 'data/**.jsonl'});</li>
 *   <li>a catalogue name ({@code tinyshakespeare}, …), downloaded into the cache on first use.</li>
 * </ol>
 */
record CorpusRef(Kind kind, String text, Path path, String field, CatalogEntry entry) {
    enum Kind { SYNTHETIC, STDIN, STORE, TEXT, FOLDER, GLOB, CATALOG }

    static CorpusRef parse(String corpus) {
        if (corpus == null || corpus.isBlank()) {
            throw new UserError("data.corpus is not set; give a text file, a folder, a .jsonl file, a token store, a catalogue name "
                    + "(" + Catalog.names() + ") or synthetic, e.g. --set data.corpus=synthetic");
        }
        String s = corpus.trim();
        if (s.equals("synthetic") || s.startsWith("synthetic:")) return new CorpusRef(Kind.SYNTHETIC, s, null, null, null);
        if (s.equals("-")) return new CorpusRef(Kind.STDIN, s, null, null, null);
        String pathPart = s, field = null;
        int hash = s.lastIndexOf('#');
        if (hash > 0) {
            String before = s.substring(0, hash).toLowerCase(Locale.ROOT);
            if (before.endsWith(".jsonl") || before.endsWith(".jsonl.gz") || before.endsWith(".ndjson")) {
                pathPart = s.substring(0, hash);
                field = s.substring(hash + 1);
                if (field.isBlank()) throw new UserError("data.corpus '" + s + "': empty field name after '#'; write FILE.jsonl#text");
            }
        }
        Path p = null;
        try {
            p = Path.of(pathPart);
        } catch (InvalidPathException e) {
            // not a path; maybe a glob or a catalogue name
        }
        if (p != null && Files.exists(p)) {
            if (TokenStore.isStore(p)) {
                if (field != null) throw new UserError("data.corpus '" + s + "': '#field' applies to .jsonl files, not token stores");
                return new CorpusRef(Kind.STORE, s, p, null, null);
            }
            if (Files.isDirectory(p)) return new CorpusRef(Kind.FOLDER, s, p, null, null);
            return new CorpusRef(Kind.TEXT, s, p, field, null);
        }
        if (TextCorpus.isGlob(s)) return new CorpusRef(Kind.GLOB, s, null, null, null);
        var e = Catalog.find(s);
        if (e.isPresent()) return new CorpusRef(Kind.CATALOG, s, null, null, e.get());
        throw new Dataset.UnknownCorpus("data.corpus '" + s + "': no such file, folder, token store or catalogue entry; give a path, a glob, "
                + "synthetic[:settings] or one of " + Catalog.names());
    }

    /** The text corpus (downloading a catalogue entry first). */
    TextCorpus textCorpus(boolean quiet) {
        return switch (kind) {
            case TEXT -> TextCorpus.file(path, field, null);
            case FOLDER -> TextCorpus.folder(path);
            case GLOB -> TextCorpus.glob(text);
            case CATALOG -> {
                Path f = Catalog.ensure(entry, quiet);
                TextCorpus c = TextCorpus.file(f, null, entry.docSeparator());
                yield new TextCorpus(entry.name(), c.parts);
            }
            case STDIN -> throw new UserError("data.corpus '-' (standard input) works with data prepare only; prepare it into a store first");
            default -> throw new IllegalStateException(kind + " is not text");
        };
    }
}
