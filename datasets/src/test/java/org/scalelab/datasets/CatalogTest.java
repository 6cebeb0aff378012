package org.scalelab.datasets;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Downloads against an HTTP server on 127.0.0.1 (no test touches the internet). */
class CatalogTest {
    HttpServer server;
    byte[] body;
    final AtomicInteger cutsLeft = new AtomicInteger();   // answers that stop half way
    volatile boolean rangeSupport = true;
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final java.util.Map<String, byte[]> files = new java.util.concurrent.ConcurrentHashMap<>(); // path → body, else the defaults
    String base;
    @TempDir Path cache;
    String savedCache;
    long savedBackoff;

    @BeforeEach
    void start() throws IOException {
        body = Fixtures.shakespeare().getBytes(StandardCharsets.UTF_8);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::serve);
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
        savedCache = System.getProperty("scalelab.cache");
        System.setProperty("scalelab.cache", cache.toString());
        savedBackoff = Download.backoffMillis;
        Download.backoffMillis = 10;
    }

    @AfterEach
    void stop() {
        server.stop(0);
        if (savedCache == null) System.clearProperty("scalelab.cache");
        else System.setProperty("scalelab.cache", savedCache);
        Download.backoffMillis = savedBackoff;
    }

    private void serve(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        byte[] data = files.containsKey(path) ? files.get(path) : path.endsWith(".zip") ? zip(body) : body;
        if (x.getRequestURI().getPath().startsWith("/missing")) {
            x.sendResponseHeaders(404, -1);
            x.close();
            return;
        }
        String range = x.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null) ranges.add(range);
        if (range != null && rangeSupport) {
            from = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
            x.sendResponseHeaders(206, data.length - from);
        } else {
            x.sendResponseHeaders(200, data.length);
        }
        OutputStream out = x.getResponseBody();
        try {
            if (cutsLeft.getAndDecrement() > 0) {
                int half = from + (data.length - from) / 2;
                out.write(data, from, half - from);
                out.flush();
                x.getHttpContext().getServer(); // the connection is dropped below, mid-body
                throw new IOException("cut");
            }
            out.write(data, from, data.length - from);
            out.close();
        } catch (IOException cut) {
            x.close(); // fewer bytes than Content-Length: the client sees a broken transfer
        }
    }

    static byte[] zip(byte[] text) throws IOException {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            z.putNextEntry(new ZipEntry("corpus/readme.txt"));
            z.write("not this one".getBytes(StandardCharsets.UTF_8));
            z.putNextEntry(new ZipEntry("corpus/train.txt"));
            z.write(text);
        }
        return bo.toByteArray();
    }

    CatalogEntry entry(String path, String sha) {
        return new CatalogEntry("tiny", "test corpus", base + path, 0, "100 kB", sha, null, null, "char", "test");
    }

    @Test
    void downloadsVerifiesAndReusesTheCache() throws IOException {
        CatalogEntry e = entry("/input.txt", Files2.sha256(body));
        Path p = Catalog.ensure(e, true);
        assertArrayEquals(body, Files.readAllBytes(p));
        assertEquals(cache.resolve("corpora/tiny/input.txt"), p);
        assertTrue(ranges.isEmpty());
        server.stop(0); // a second use needs no network
        assertEquals(p, Catalog.ensure(e, true));
        assertEquals(null, Catalog.verify(e));
    }

    @Test
    void aChecksumMismatchIsRefusedAndNothingIsKept() {
        CatalogEntry e = entry("/input.txt", "0".repeat(64));
        UserError err = assertThrows(UserError.class, () -> Catalog.ensure(e, true));
        assertTrue(err.getMessage().startsWith("tiny: the download from " + base + "/input.txt has SHA-256 "), err.getMessage());
        assertTrue(err.getMessage().contains("but " + "0".repeat(64) + " is expected; refused and deleted"), err.getMessage());
        assertFalse(Files.exists(cache.resolve("corpora/tiny/input.txt")));
        assertFalse(Files.exists(cache.resolve("corpora/tiny/input.txt.part")));
    }

    @Test
    void anInterruptedDownloadResumesWithARangeRequest() throws IOException {
        CatalogEntry e = entry("/input.txt", Files2.sha256(body));
        cutsLeft.set(1);
        Path p = Catalog.ensure(e, true);
        assertArrayEquals(body, Files.readAllBytes(p));
        assertEquals(List.of("bytes=" + body.length / 2 + "-"), ranges, "the second request asks for the rest only");
    }

    @Test
    void aPartialFileFromAnEarlierProcessIsResumed() throws IOException {
        CatalogEntry e = entry("/input.txt", Files2.sha256(body));
        Path dir = Files.createDirectories(cache.resolve("corpora/tiny"));
        Files.write(dir.resolve("input.txt.part"), java.util.Arrays.copyOf(body, 12_345));
        assertArrayEquals(body, Files.readAllBytes(Catalog.ensure(e, true)));
        assertEquals(List.of("bytes=12345-"), ranges);
    }

    @Test
    void aServerWithoutRangesStartsOver() throws IOException {
        rangeSupport = false;
        CatalogEntry e = entry("/input.txt", Files2.sha256(body));
        Path dir = Files.createDirectories(cache.resolve("corpora/tiny"));
        Files.write(dir.resolve("input.txt.part"), "garbage".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(body, Files.readAllBytes(Catalog.ensure(e, true)));
    }

    @Test
    void repeatedFailuresLeaveThePartialFileAndSayHowToResume() {
        int saved = Download.attempts;
        try {
            Download.attempts = 2;
            cutsLeft.set(5);
            CatalogEntry e = entry("/input.txt", Files2.sha256(body));
            UserError err = assertThrows(UserError.class, () -> Catalog.ensure(e, true));
            assertTrue(err.getMessage().contains("failed after 2 attempts"), err.getMessage());
            assertTrue(err.getMessage().contains("run the command again to resume"), err.getMessage());
            assertTrue(Files.exists(cache.resolve("corpora/tiny/input.txt.part")));
        } finally {
            Download.attempts = saved;
        }
    }

    @Test
    void withoutAKnownHashTheFirstDownloadIsPinnedAndAChangeRefused() throws IOException {
        CatalogEntry e = entry("/input.txt", null);
        Path p = Catalog.ensure(e, true);
        Path pin = cache.resolve("corpora/tiny/input.txt.sha256");
        assertTrue(Files.readString(pin).startsWith(Files2.sha256(body)));
        Files.delete(p); // the server's file changes; the next download must match the pin
        body = "different text".getBytes(StandardCharsets.UTF_8);
        UserError err = assertThrows(UserError.class, () -> Catalog.ensure(e, true));
        assertTrue(err.getMessage().contains("refused and deleted"), err.getMessage());
    }

    @Test
    void zipArchivesAreExtractedAndA404IsExplained() throws IOException {
        CatalogEntry z = new CatalogEntry("zipped", "test", base + "/c.zip", 0, "1 MB", null, "corpus/train.txt", null, "byte", "test");
        assertArrayEquals(body, Files.readAllBytes(Catalog.ensure(z, true)));
        CatalogEntry gone = entry("/missing/input.txt", null);
        UserError err = assertThrows(UserError.class, () -> Catalog.ensure(gone, true));
        assertEquals("tiny: " + base + "/missing/input.txt answered HTTP 404; the catalogue URL may have moved: download the file yourself "
                + "and pass its path as the corpus", err.getMessage());
    }

    /**
     * A .tar.gz with the text, an entry that climbs out with '..', an absolute one, a symbolic link and a
     * hard link, as a hostile or careless archive may hold them.
     */
    static byte[] tarGz(byte[] text) throws IOException {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
                new org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream(bo))) {
            byte[] evil = "evil".getBytes(StandardCharsets.UTF_8);
            for (var te : List.of(new org.apache.commons.compress.archivers.tar.TarArchiveEntry("../evil"),
                    new org.apache.commons.compress.archivers.tar.TarArchiveEntry("/abs-evil", true))) {
                te.setSize(evil.length);
                tar.putArchiveEntry(te);
                tar.write(evil);
                tar.closeArchiveEntry();
            }
            var link = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("corpus/link",
                    org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
            link.setLinkName("../../../../../etc/passwd");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
            var hard = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("corpus/hard",
                    org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK);
            hard.setLinkName("corpus/train.txt");
            tar.putArchiveEntry(hard);
            tar.closeArchiveEntry();
            var te = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("./corpus/train.txt");
            te.setSize(text.length);
            tar.putArchiveEntry(te);
            tar.write(text);
            tar.closeArchiveEntry();
        }
        return bo.toByteArray();
    }

    CatalogEntry member(String name, String path, String member) {
        return new CatalogEntry(name, "test", base + path, 0, "1 MB", null, member, null, "char", "test");
    }

    /** Every file in the cache, as paths relative to it. */
    List<String> cacheFiles() throws IOException {
        try (var s = Files.walk(cache)) {
            return s.filter(Files::isRegularFile).map(p -> cache.relativize(p).toString()).toList();
        }
    }

    @Test
    void tarGzArchivesAreExtractedAndTheirLinksAndEscapesRefused() throws IOException {
        byte[] tgz = tarGz(body);
        files.put("/c.tar.gz", tgz);
        files.put("/c.tgz", tgz);
        Path text = Catalog.ensure(member("tarred", "/c.tar.gz", "corpus/train.txt"), true);
        assertEquals(cache.resolve("corpora/tarred/train.txt"), text);
        assertArrayEquals(body, Files.readAllBytes(text));
        assertTrue(cacheFiles().stream().noneMatch(f -> f.endsWith("evil")), cacheFiles().toString());
        assertFalse(Files.exists(Path.of("/abs-evil")));
        try (var s = Files.list(cache.resolve("corpora/tarred"))) {
            assertEquals(List.of(".lock", "c.tar.gz", "c.tar.gz.sha256", "train.txt"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }

        UserError e = assertThrows(UserError.class, () -> Catalog.ensure(member("linked", "/c.tgz", "corpus/link"), true));
        assertEquals(cache.resolve("corpora/linked/c.tgz") + ": member 'corpus/link' is a symbolic link (to '../../../../../etc/passwd'), not a "
                + "file; nothing was extracted; the archive is not what the catalogue entry 'linked' expects: check its 'member' (in "
                + cache.resolve("catalog.json") + " if it is yours)", e.getMessage());
        e = assertThrows(UserError.class, () -> Catalog.ensure(member("hard", "/c.tgz", "corpus/hard"), true));
        assertTrue(e.getMessage().contains("member 'corpus/hard' is a hard link (to 'corpus/train.txt'), not a file"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("corpora/linked/link")));
        assertFalse(Files.exists(cache.resolve("corpora/hard/hard")));

        // an archive without a member is not a corpus; neither is a member outside the archive's folders
        e = assertThrows(UserError.class, () -> Catalog.ensure(member("bare", "/c.tar.gz", null), true));
        assertTrue(e.getMessage().startsWith(cache.resolve("catalog.json") + ": entry ('bare'): 'member' is missing, but 'c.tar.gz' is an archive"),
                e.getMessage());
        e = assertThrows(UserError.class, () -> Catalog.ensure(member("climb", "/c.tar.gz", "../evil"), true));
        assertTrue(e.getMessage().contains("'member' '../evil' is not a relative path to a file inside the archive"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("corpora/climb")), "refused before anything is downloaded");

        // a damaged archive: one line, and no partial text left as if it were the corpus
        files.put("/cut.tar.gz", java.util.Arrays.copyOf(tgz, tgz.length / 2));
        e = assertThrows(UserError.class, () -> Catalog.ensure(member("cut", "/cut.tar.gz", "corpus/train.txt"), true));
        assertTrue(e.getMessage().startsWith(cache.resolve("corpora/cut/cut.tar.gz") + ": not a valid .tar.gz archive ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("); delete it to download again"), e.getMessage());
        try (var s = Files.list(cache.resolve("corpora/cut"))) {
            assertEquals(List.of(".lock", "cut.tar.gz", "cut.tar.gz.sha256"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aZipMemberThatIsASymbolicLinkIsRefused() throws IOException {
        java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
        try (var z = new org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream(bo)) {
            var link = new org.apache.commons.compress.archivers.zip.ZipArchiveEntry("corpus/train.txt");
            link.setUnixMode(org.apache.commons.compress.archivers.zip.UnixStat.LINK_FLAG | 0777);
            z.putArchiveEntry(link);
            z.write("/etc/passwd".getBytes(StandardCharsets.UTF_8));
            z.closeArchiveEntry();
        }
        files.put("/l.zip", bo.toByteArray());
        UserError e = assertThrows(UserError.class, () -> Catalog.ensure(member("zlink", "/l.zip", "corpus/train.txt"), true));
        assertTrue(e.getMessage().startsWith(cache.resolve("corpora/zlink/l.zip") + ": member 'corpus/train.txt' is a symbolic link, not a file"),
                e.getMessage());
        assertFalse(Files.exists(cache.resolve("corpora/zlink/train.txt")));
    }

    /** catalog.json holding one entry; the error that reading the catalogue gives. */
    UserError refused(String entryJson) throws IOException {
        Files.writeString(cache.resolve("catalog.json"), "[" + entryJson + "]");
        return assertThrows(UserError.class, Catalog::entries);
    }

    @Test
    void catalogueEntriesCannotReachOutsideTheCache() throws IOException {
        Path json = cache.resolve("catalog.json");
        UserError e = refused("{\"name\": \"../../../../tmp/x\", \"url\": \"" + base + "/input.txt\"}");
        assertEquals(json + ": entry 1 ('../../../../tmp/x'): 'name' must be a plain name (letters, digits, '.', '_', '-', starting with a "
                + "letter or digit, no '..'), since it names the entry's folder in the cache; rename the entry", e.getMessage());
        e = refused("{\"name\": \"a..b\", \"url\": \"" + base + "/input.txt\"}");
        assertTrue(e.getMessage().contains("'name' must be a plain name"), e.getMessage());
        e = refused("{\"name\": \"up\", \"url\": \"" + base + "/%2E%2E\"}");
        assertTrue(e.getMessage().startsWith(json + ": entry 1 ('up'): 'url' ends in '..', which is not a plain file name"), e.getMessage());
        e = refused("{\"name\": \"local\", \"url\": \"file:///etc/passwd\"}");
        assertEquals(json + ": entry 1 ('local'): 'url' file:///etc/passwd is not an http or https address; only those are downloaded (for a "
                + "file on this machine give its path as data.corpus instead of a catalogue name)", e.getMessage());
        e = refused("{\"name\": \"root\", \"url\": \"" + base + "/c.zip\", \"member\": \"/\"}");
        assertTrue(e.getMessage().startsWith(json + ": entry 1 ('root'): 'member' '/' is not a relative path to a file inside the archive"),
                e.getMessage());
        e = refused("{\"name\": \"abs\", \"url\": \"" + base + "/c.zip\", \"member\": \"/etc/passwd\"}");
        assertTrue(e.getMessage().contains("'member' '/etc/passwd' is not a relative path"), e.getMessage());
        e = refused("{\"name\": \"nourl\"}");
        assertTrue(e.getMessage().startsWith(json + ": entry 1 ('nourl'): 'url' is missing"), e.getMessage());

        // entries made in code are checked too, before anything is written
        CatalogEntry escape = new CatalogEntry("../escape", "test", base + "/input.txt", 0, "1 kB", null, null, null, "char", "test");
        e = assertThrows(UserError.class, () -> Catalog.ensure(escape, true));
        assertTrue(e.getMessage().contains("'name' must be a plain name"), e.getMessage());
        assertFalse(Files.exists(cache.resolve("escape")));
        assertFalse(Files.exists(cache.resolve("corpora")));
    }

    @Test
    void aRunOpensACatalogueCorpusByName() throws IOException {
        // an entry added in CACHE/catalog.json, served locally
        Files.writeString(cache.resolve("catalog.json"), Json.pretty(List.of(
                new CatalogEntry("localstories", "test", base + "/stories.txt", body.length, "100 kB", Files2.sha256(body), null, null, "char", "test"))));
        Dataset d = Dataset.open(new DataSpec("localstories", "char", 0.1, 0, 1));
        assertEquals("localstories", d.name());
        assertEquals(body.length, d.train().size() + d.val().size());
        assertTrue(Catalog.entries().stream().anyMatch(c -> c.name().equals("tinyshakespeare")), "built-in entries stay");
        Files.writeString(cache.resolve("catalog.json"), "{");
        UserError err = assertThrows(UserError.class, Catalog::entries);
        assertTrue(err.getMessage().startsWith(cache.resolve("catalog.json") + ": not a JSON array of catalogue entries"), err.getMessage());
    }

    @Test
    void theTinyShakespeareEntryMatchesTheWellKnownFile() throws IOException {
        Path full = Path.of("/work/shared/corpora/tinyshakespeare.txt");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(full), "the full tiny Shakespeare is not on this machine");
        CatalogEntry e = Catalog.find("tinyshakespeare").orElseThrow();
        assertEquals(Files.size(full), e.sizeBytes());
        assertEquals(Files2.sha256(full), e.sha256());
    }
}
