package org.scalelab.datasets;

import com.fasterxml.jackson.core.type.TypeReference;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
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

/**
 * The catalogue of well-known public corpora, downloaded on first use into the cache folder
 * ({@code $SCALELAB_CACHE}, else {@code ~/.cache/scalelab}) under {@code corpora/NAME/}. Entries whose
 * SHA-256 could not be checked when this catalogue was written are trusted on first use: the hash of the
 * first download is pinned in {@code corpora/NAME/FILE.sha256}, and a later download that differs is
 * refused. More entries can be added in {@code CACHE/catalog.json} (a JSON array of {@link CatalogEntry});
 * each is checked ({@link #validate}) so that what it downloads and extracts stays in its cache folder.
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
            for (int i = 0; i < extra.size(); i++) {
                CatalogEntry e = extra.get(i);
                if (e == null) throw new UserError(user + ": entry " + (i + 1) + " is null; write an object with 'name' and 'url', or remove it");
                validate(e, user, i + 1);
                all.put(e.name(), e);
            }
        }
        return new ArrayList<>(all.values());
    }

    /** Names of entries and of the files they put in the cache: a plain file name, never a path. */
    private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    /** Archive downloads: the text is their {@code member}. */
    static boolean isArchive(String fileName) {
        String n = fileName.toLowerCase(Locale.ROOT);
        return n.endsWith(".zip") || n.endsWith(".tar.gz") || n.endsWith(".tgz");
    }

    private static boolean plain(String s) {
        return s != null && PLAIN.matcher(s).matches() && !s.contains("..");
    }

    /**
     * Checks an entry before anything is downloaded: its name and the file names it puts in the cache are
     * plain names (so every file lands in {@code corpora/NAME/}), its URL is http(s), and an archive
     * names the member that holds the text. {@code index} is the entry's place in {@code where}, 0 when
     * unknown.
     */
    static void validate(CatalogEntry e, Path where, int index) {
        String at = where + ": entry " + (index > 0 ? index + " " : "") + "('" + e.name() + "')";
        if (e.name() == null) throw new UserError(where + ": entry " + index + " has no 'name'; give it a plain name such as my-corpus");
        if (!plain(e.name())) {
            throw new UserError(at + ": 'name' must be a plain name (letters, digits, '.', '_', '-', starting with a letter or digit, "
                    + "no '..'), since it names the entry's folder in the cache; rename the entry");
        }
        if (e.url() == null) throw new UserError(at + ": 'url' is missing; give the http or https address of the corpus file");
        java.net.URI uri;
        try {
            uri = new java.net.URI(e.url());
        } catch (java.net.URISyntaxException ex) {
            throw new UserError(at + ": 'url' " + e.url() + " is not a URL (" + ex.getReason() + " at index " + ex.getIndex() + "); fix the address");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new UserError(at + ": 'url' " + e.url() + " is not an http or https address; only those are downloaded (for a file on "
                    + "this machine give its path as data.corpus instead of a catalogue name)");
        }
        if (uri.getHost() == null) throw new UserError(at + ": 'url' " + e.url() + " has no host; write http(s)://HOST/PATH");
        String file = e.fileName();
        if (!plain(file)) {
            throw new UserError(at + ": 'url' ends in '" + file + "', which is not a plain file name (letters, digits, '.', '_', '-', no '..'); "
                    + "the download is saved under that name in the cache, so give a URL whose last path segment is one");
        }
        if (e.sha256() != null && !e.sha256().matches("[0-9a-fA-F]{64}")) {
            throw new UserError(at + ": 'sha256' is not 64 hexadecimal digits; give the file's SHA-256 or leave it out (trust on first use)");
        }
        if (e.sizeBytes() < 0) throw new UserError(at + ": 'size_bytes' is negative; give the file's size in bytes, or 0 when unknown");
        String m = e.member();
        if (m == null) {
            if (isArchive(file)) {
                throw new UserError(at + ": 'member' is missing, but '" + file + "' is an archive; name the file inside it that holds the text, "
                        + "e.g. \"member\": \"corpus/train.txt\"");
            }
            return;
        }
        if (!isArchive(file)) {
            throw new UserError(at + ": 'member' is set, but '" + file + "' is not a .zip, .tar.gz or .tgz archive; remove 'member' or point "
                    + "'url' at the archive");
        }
        String last = m.substring(m.lastIndexOf('/') + 1);
        boolean badSegment = false;
        for (String seg : m.split("/", -1)) badSegment |= seg.isEmpty() || seg.equals(".") || seg.equals("..");
        if (m.startsWith("/") || m.contains("\\") || badSegment || !plain(last)) {
            throw new UserError(at + ": 'member' '" + m + "' is not a relative path to a file inside the archive (segments separated by '/', "
                    + "no '.', '..' or empty segment, no leading '/', a plain file name at the end); write it as the archive lists it, "
                    + "e.g. \"corpus/train.txt\"");
        }
        if (last.equals(file) || last.equals(file + ".part") || last.equals(file + ".sha256")) {
            throw new UserError(at + ": 'member' '" + m + "' would be extracted over the download itself; the member is the text file inside "
                    + "the archive, not the archive");
        }
    }

    /** The catalogue file that added non-built-in entries, for messages. */
    static Path userCatalog() {
        return cacheDir().resolve("catalog.json");
    }

    /**
     * {@code name} inside {@code dir}, refused unless it stays there once normalized: every file an entry
     * writes goes through here, so no entry can write outside its folder in the cache.
     */
    private static Path inside(Path dir, String name, CatalogEntry e, String field) {
        Path base = dir.toAbsolutePath().normalize();
        Path p = base.resolve(name).normalize();
        if (!p.startsWith(base) || p.equals(base)) {
            throw new UserError(userCatalog() + ": entry '" + e.name() + "': '" + field + "' leads to " + p + ", outside " + base
                    + "; give the entry a plain name and file names");
        }
        return p;
    }

    public static Optional<CatalogEntry> find(String name) {
        return entries().stream().filter(e -> e.name().equals(name)).findFirst();
    }

    static String names() {
        return String.join(", ", entries().stream().map(CatalogEntry::name).toList());
    }

    /** The folder of an entry in the cache. */
    static Path dirOf(CatalogEntry e) {
        return inside(cacheDir().resolve("corpora"), e.name(), e, "name");
    }

    /** The downloaded file of an entry. */
    static Path downloadOf(CatalogEntry e) {
        return inside(dirOf(e), e.fileName(), e, "url");
    }

    /** The text file of an entry if it is already in the cache. */
    static Optional<Path> cached(CatalogEntry e) {
        Path text = textPath(e);
        return Files.isRegularFile(text) ? Optional.of(text) : Optional.empty();
    }

    private static Path textPath(CatalogEntry e) {
        if (e.member() == null) return downloadOf(e);
        return inside(dirOf(e), e.member().substring(e.member().lastIndexOf('/') + 1), e, "member");
    }

    /** The entry's text file, downloaded, verified and extracted first when needed. */
    public static Path ensure(CatalogEntry e, boolean quiet) {
        validate(e, userCatalog(), 0);
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
            Path file = downloadOf(e);
            if (!Files.isRegularFile(file)) {
                Path pin = inside(dir, e.fileName() + ".sha256", e, "url");
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

    /**
     * Extracts the entry's member from a .zip, .tar.gz or .tgz archive into {@code text}. Only that one
     * member is written, to a path chosen here, never to the path the archive gives; an archive entry
     * that is absolute or climbs with '..' is never matched, and a member that is a symbolic or hard link,
     * a folder or anything but a plain file is refused.
     */
    private static void extract(CatalogEntry e, Path archive, Path text) {
        String n = archive.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".zip")) extractZip(e, archive, text);
        else extractTar(e, archive, text);
    }

    private static void extractZip(CatalogEntry e, Path zip, Path text) {
        ZipFile z;
        try {
            z = ZipFile.builder().setPath(zip).get();
        } catch (IOException ex) {
            throw new UserError(zip + ": not a valid zip file (" + Files2.reason(ex) + "); delete it to download again");
        }
        try (z) {
            for (var it = z.getEntries(); it.hasMoreElements(); ) {
                ZipArchiveEntry ze = it.nextElement();
                if (!matches(ze.getName(), e.member())) continue;
                String kind = ze.isUnixSymlink() ? "a symbolic link" : ze.isDirectory() ? "a folder" : null;
                if (kind != null) throw notAFile(e, zip, kind);
                try (InputStream in = z.getInputStream(ze)) {
                    write(in, text);
                }
                return;
            }
        } catch (IOException ex) {
            throw new UserError(zip + ": damaged zip file (" + Files2.reason(ex) + "); delete it to download again");
        }
        throw noMember(e, zip);
    }

    private static void extractTar(CatalogEntry e, Path tgz, Path text) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(tgz), 1 << 16);
             TarArchiveInputStream tar = new TarArchiveInputStream(GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(true).get())) {
            for (TarArchiveEntry te; (te = tar.getNextEntry()) != null; ) {
                if (!matches(te.getName(), e.member())) continue;
                String kind = te.isSymbolicLink() ? "a symbolic link (to '" + te.getLinkName() + "')"
                        : te.isLink() ? "a hard link (to '" + te.getLinkName() + "')"
                        : te.isDirectory() ? "a folder" : !te.isFile() ? "not a regular file" : null;
                if (kind != null) throw notAFile(e, tgz, kind);
                write(tar, text);
                return;
            }
        } catch (IOException ex) {
            throw new UserError(tgz + ": not a valid .tar.gz archive (" + Files2.reason(ex) + "); delete it to download again");
        }
        throw noMember(e, tgz);
    }

    /**
     * Whether an archive entry is the member: the same relative path, a leading "./" aside. An absolute
     * name or one with a ".." segment never is (the member cannot have one: {@link #validate}).
     */
    static boolean matches(String entryName, String member) {
        String name = entryName;
        while (name.startsWith("./")) name = name.substring(2);
        if (name.startsWith("/") || name.contains("\\")) return false;
        for (String seg : name.split("/")) if (seg.equals("..")) return false;
        return name.equals(member);
    }

    /** A read error inside an archive: the download is damaged (a write error is the cache's, a UserError of its own). */
    private static final class Damaged extends IOException {
        Damaged(IOException cause) {
            super(Files2.reason(cause), cause);
        }
    }

    /** Copies the member's bytes into {@code text}: read errors as {@link Damaged}, write errors as a UserError. */
    private static void write(InputStream in, Path text) throws Damaged {
        Path tmp = text.resolveSibling(text.getFileName() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                byte[] buf = new byte[1 << 16];
                while (true) {
                    int n;
                    try {
                        n = in.read(buf);
                    } catch (IOException ex) {
                        throw new Damaged(ex);
                    }
                    if (n < 0) break;
                    out.write(buf, 0, n);
                }
            }
            Files2.moveAtomic(tmp, text);
        } catch (Damaged d) {
            deleteQuietly(tmp);
            throw d;
        } catch (IOException ex) {
            deleteQuietly(tmp);
            throw new UserError(tmp + ": cannot write the extracted text (" + Files2.reason(ex) + "); check free space in the cache "
                    + "or set SCALELAB_CACHE to another folder");
        }
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // a leftover partial file is overwritten by the next extraction
        }
    }

    private static UserError notAFile(CatalogEntry e, Path archive, String kind) {
        return new UserError(archive + ": member '" + e.member() + "' is " + kind + ", not a file; nothing was extracted; the archive is not "
                + "what the catalogue entry '" + e.name() + "' expects: check its 'member' (in " + userCatalog() + " if it is yours)");
    }

    private static UserError noMember(CatalogEntry e, Path archive) {
        return new UserError(archive + ": has no member '" + e.member() + "'; the archive changed, so the catalogue entry needs updating");
    }

    /** Re-hashes an entry's download against its expected or pinned SHA-256; returns a problem or null. */
    static String verify(CatalogEntry e) {
        Path file = downloadOf(e);
        if (!Files.isRegularFile(file)) return e.name() + ": not downloaded";
        String want = e.sha256() != null ? e.sha256() : readPin(inside(dirOf(e), e.fileName() + ".sha256", e, "url"));
        try {
            String got = Files2.sha256(file);
            if (want != null && !want.equalsIgnoreCase(got)) return file + ": SHA-256 " + got + " but " + want + " is expected; delete it to download again";
        } catch (IOException ex) {
            return file + ": unreadable (" + ex.getMessage() + ")";
        }
        return null;
    }

}
