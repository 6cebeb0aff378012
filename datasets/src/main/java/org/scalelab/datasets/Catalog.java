package org.scalelab.datasets;

import com.fasterxml.jackson.core.type.TypeReference;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The catalogue of well-known public corpora, downloaded on first use into the cache folder
 * ({@code $SCALELAB_CACHE}, else {@code ~/.cache/scalelab}) under {@code corpora/NAME/}. Entries whose
 * SHA-256 could not be checked when this catalogue was written are trusted on first use: the hash of the
 * first download is pinned in {@code corpora/NAME/FILE.sha256}, and a later download that differs is
 * refused. More entries can be added in {@code CACHE/catalog.json} (a JSON array of {@link CatalogEntry}).
 */
public final class Catalog {
    /**
     * The built-in entries. Sizes and SHA-256 hashes are given where a published value was found (they
     * could not be hashed here); where none was found the entry is trusted on first use.
     * <ul>
     *   <li>tinyshakespeare: the well-known input.txt of karpathy/char-rnn (1,115,394 bytes).</li>
     *   <li>tinystories, tinystories-valid: no published SHA-256 or size was found: trust on first use.</li>
     *   <li>enwik8: enwik8.zip is 36,445,475 bytes with SHA-256 547994d9…34bc, as recorded in the
     *       download checksums of huggingface/datasets (datasets/enwik8/dataset_infos.json) and pinned
     *       identically by other public download scripts.</li>
     *   <li>wikitext103, wikitext2: the archives are 191,984,949 and 4,721,645 bytes with the SHA-256
     *       values below, as recorded in huggingface/datasets (datasets/wikitext/dataset_infos.json) for
     *       the original s3.amazonaws.com/research.metamind.io URLs. That bucket now answers 403 Forbidden
     *       (reported in tysam-code/hlb-gpt issue #10, 2024); the dataset's author, Stephen Merity,
     *       re-hosts the same archives at wikitext.smerity.com, and public scripts that download from there
     *       pin the same SHA-256, so the hash also guards the new location.</li>
     * </ul>
     */
    static final List<CatalogEntry> BUILTIN = List.of(
            new CatalogEntry("tinyshakespeare", "Tiny Shakespeare: Karpathy's char-rnn input.txt, 40,000 lines of plays (nanoGPT's shakespeare_char)",
                    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt", 1_115_394, "1.1 MB",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", null, null, "char", "public domain"),
            new CatalogEntry("tinystories", "TinyStories V2 (GPT-4 generated) training stories, separated by <|endoftext|> lines",
                    "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-train.txt", 0, "about 2.2 GB",
                    null, null, "<|endoftext|>", "gpt2", "CDLA-Sharing-1.0"),
            new CatalogEntry("tinystories-valid", "TinyStories V2 (GPT-4 generated) validation stories, separated by <|endoftext|> lines",
                    "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/main/TinyStoriesV2-GPT4-valid.txt", 0, "about 22 MB",
                    null, null, "<|endoftext|>", "gpt2", "CDLA-Sharing-1.0"),
            new CatalogEntry("enwik8", "enwik8: the first 10^8 bytes of an English Wikipedia XML dump (Hutter Prize; bits per byte)",
                    "http://mattmahoney.net/dc/enwik8.zip", 36_445_475, "36 MB zipped, 100 MB of text",
                    "547994d9980ebed1288380d652999f38a14fe291a6247c157c3d33d4932534bc", "enwik8", null, "byte", "CC BY-SA (Wikipedia)"),
            new CatalogEntry("wikitext103", "WikiText-103 raw: the training split (wiki.train.raw) of 28,475 good and featured Wikipedia articles",
                    "https://wikitext.smerity.com/wikitext-103-raw-v1.zip", 191_984_949, "192 MB zipped, 540 MB of text",
                    "91c00ae287f0d699e18605c84afc9e45c192bc6b7797ff8837e5474655a33794", "wikitext-103-raw/wiki.train.raw", null, "gpt2", "CC BY-SA 3.0"),
            new CatalogEntry("wikitext2", "WikiText-2 raw: the training split (wiki.train.raw), a small subset of WikiText-103",
                    "https://wikitext.smerity.com/wikitext-2-raw-v1.zip", 4_721_645, "4.7 MB zipped, 11 MB of text",
                    "ef7edb566e3e2b2d31b29c1fdb0c89a4cc683597484c3dc2517919c615435a11", "wikitext-2-raw/wiki.train.raw", null, "gpt2", "CC BY-SA 3.0"));

    private Catalog() {}

    /** {@code scalelab.cache} (a system property, for tests), else {@code $SCALELAB_CACHE}, else {@code ~/.cache/scalelab}. */
    public static Path cacheDir() {
        String p = System.getProperty("scalelab.cache");
        if (p == null || p.isBlank()) p = System.getenv("SCALELAB_CACHE");
        if (p != null && !p.isBlank()) return Path.of(p);
        return Path.of(System.getProperty("user.home"), ".cache", "scalelab");
    }

    /** Built-in entries plus those of {@code CACHE/catalog.json} (which may replace a built-in one by name). */
    public static List<CatalogEntry> entries() {
        Map<String, CatalogEntry> all = new LinkedHashMap<>();
        for (CatalogEntry e : BUILTIN) all.put(e.name(), e);
        Path user = cacheDir().resolve("catalog.json");
        if (Files.isRegularFile(user)) {
            List<CatalogEntry> extra;
            try {
                extra = Json.MAPPER.readValue(user.toFile(), new TypeReference<List<CatalogEntry>>() {});
            } catch (IOException e) {
                throw new UserError(user + ": not a JSON array of catalogue entries (" + e.getMessage().split("\n")[0] + "); fix or delete it");
            }
            for (CatalogEntry e : extra) {
                if (e.name() == null || e.url() == null) throw new UserError(user + ": every entry needs 'name' and 'url'");
                all.put(e.name(), e);
            }
        }
        return new ArrayList<>(all.values());
    }

    public static Optional<CatalogEntry> find(String name) {
        return entries().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    static String names() {
        return String.join(", ", entries().stream().map(CatalogEntry::name).toList());
    }

    /** The folder of an entry in the cache. */
    static Path dirOf(CatalogEntry e) {
        return cacheDir().resolve("corpora").resolve(e.name());
    }

    /** The text file of an entry if it is already in the cache. */
    static Optional<Path> cached(CatalogEntry e) {
        Path text = textPath(e);
        return Files.isRegularFile(text) ? Optional.of(text) : Optional.empty();
    }

    private static Path textPath(CatalogEntry e) {
        Path dir = dirOf(e);
        return e.member() == null ? dir.resolve(e.fileName()) : dir.resolve(Path.of(e.member()).getFileName());
    }

    /** The entry's text file, downloaded, verified and extracted first when needed. */
    public static Path ensure(CatalogEntry e, boolean quiet) {
        Path text = textPath(e);
        if (Files.isRegularFile(text)) return text;
        Path dir = dirOf(e);
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new UserError(dir + ": cannot create the cache folder (" + ex.getMessage() + "); set SCALELAB_CACHE to a writable folder");
        }
        // One process downloads; another one waiting here finds the file done.
        try (FileChannel lockCh = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockCh.lock()) {
            if (Files.isRegularFile(text)) return text;
            Path file = dir.resolve(e.fileName());
            if (!Files.isRegularFile(file)) {
                Path pin = dir.resolve(e.fileName() + ".sha256");
                String want = e.sha256() != null ? e.sha256() : readPin(pin);
                if (!quiet) System.err.printf(Locale.ROOT, "%s: downloading %s (%s) into %s%n", e.name(), e.url(), e.approxSize(), dir);
                String got = Download.fetch(e.name(), e.url(), file, want, e.sizeBytes(), quiet);
                if (e.sha256() == null && want == null) {
                    Files2.writeAtomic(pin, got + "  " + e.fileName() + "\n");
                    if (!quiet) {
                        System.err.printf(Locale.ROOT, "%s: no checksum in the catalogue; trusting this first download and pinning SHA-256 %s in %s%n",
                                e.name(), got, pin);
                    }
                }
            }
            if (e.member() != null) extract(e, file, text);
            return text;
        } catch (IOException ex) {
            throw new UserError(dir + ": cannot lock or write the cache (" + ex.getMessage() + ")");
        }
    }

    private static String readPin(Path pin) {
        if (!Files.isRegularFile(pin)) return null;
        try {
            String s = Files.readString(pin).trim();
            return s.isEmpty() ? null : s.split("\\s+")[0];
        } catch (IOException ex) {
            throw new UserError(pin + ": unreadable pinned checksum (" + ex.getMessage() + "); delete it to trust the next download");
        }
    }

    private static void extract(CatalogEntry e, Path zip, Path text) throws IOException {
        Path tmp = text.resolveSibling(text.getFileName() + ".tmp");
        try (ZipInputStream z = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry ze; (ze = z.getNextEntry()) != null; ) {
                if (!ze.getName().equals(e.member())) continue;
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    z.transferTo(out);
                }
                Files2.moveAtomic(tmp, text);
                return;
            }
        } catch (java.util.zip.ZipException ex) {
            throw new UserError(zip + ": not a valid zip file (" + ex.getMessage() + "); delete it to download again");
        }
        throw new UserError(zip + ": has no member '" + e.member() + "'; the archive changed, so the catalogue entry needs updating");
    }

    /** Re-hashes an entry's download against its expected or pinned SHA-256; returns a problem or null. */
    static String verify(CatalogEntry e) {
        Path file = dirOf(e).resolve(e.fileName());
        if (!Files.isRegularFile(file)) return e.name() + ": not downloaded";
        String want = e.sha256() != null ? e.sha256() : readPin(dirOf(e).resolve(e.fileName() + ".sha256"));
        try {
            String got = Files2.sha256(file);
            if (want != null && !want.equalsIgnoreCase(got)) return file + ": SHA-256 " + got + " but " + want + " is expected; delete it to download again";
        } catch (IOException ex) {
            return file + ": unreadable (" + ex.getMessage() + ")";
        }
        return null;
    }

}
