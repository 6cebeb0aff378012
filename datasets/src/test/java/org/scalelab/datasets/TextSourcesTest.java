package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextSourcesTest {

    static String readAll(byte[] bytes, OnInvalid mode, int chunk, long[] counts) throws IOException {
        TextReader r = new TextReader(new ByteArrayInputStream(bytes), "f.txt", mode, chunk);
        StringBuilder sb = new StringBuilder();
        for (String s; (s = r.next()) != null; ) sb.append(s);
        if (counts != null) {
            counts[0] = r.nulRemoved;
            counts[1] = r.replaced;
        }
        return sb.toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void bomCrlfAndNulAreNormalisedAtEveryChunkSize() throws IOException {
        byte[] in = concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("line one\r\nzwei\u0000 drei é😀\r\n\r\nlone\rcr\r"));
        String want = "line one\nzwei drei é😀\n\nlone\rcr\r";
        for (int chunk : new int[]{8, 9, 10, 11, 13, 64, 1 << 20}) {
            long[] counts = new long[2];
            assertEquals(want, readAll(in, OnInvalid.ERROR, chunk, counts), "chunk " + chunk);
            assertEquals(1, counts[0], "one NUL removed");
        }
    }

    @Test
    void invalidUtf8NamesFileByteAndLineOrIsReplaced() throws IOException {
        byte[] in = concat(utf8("ok\nsecond line caf"), new byte[]{(byte) 0xE9}, utf8(" au lait\n"));
        UserError e = assertThrows(UserError.class, () -> readAll(in, OnInvalid.ERROR, 1 << 20, null));
        assertEquals("f.txt: invalid UTF-8 at byte 18 (line 2, byte 0xE9); convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8) "
                + "or pass --on-invalid replace", e.getMessage());
        for (int chunk : new int[]{8, 16, 17, 19}) {
            UserError ec = assertThrows(UserError.class, () -> readAll(in, OnInvalid.ERROR, chunk, null));
            assertTrue(ec.getMessage().contains("at byte 18 (line 2"), chunk + ": " + ec.getMessage());
        }
        long[] counts = new long[2];
        assertEquals("ok\nsecond line caf\uFFFD au lait\n", readAll(in, OnInvalid.REPLACE, 1 << 20, counts));
        assertEquals(1, counts[1]);
        // a character cut off at the end of the file
        byte[] cut = concat(utf8("abc"), new byte[]{(byte) 0xE2, (byte) 0x82});
        UserError e2 = assertThrows(UserError.class, () -> readAll(cut, OnInvalid.ERROR, 1 << 20, null));
        assertTrue(e2.getMessage().contains("at byte 3 (line 1, byte 0xE2)"), e2.getMessage());
    }

    @Test
    void utf16IsRefusedWithTheFix() {
        byte[] in = {(byte) 0xFF, (byte) 0xFE, 'h', 0, 'i', 0};
        UserError e = assertThrows(UserError.class, () -> readAll(in, OnInvalid.ERROR, 1 << 20, null));
        assertEquals("f.txt: starts with a UTF-16 byte-order mark; convert it to UTF-8 (e.g. iconv -f utf-16 -t utf-8)", e.getMessage());
    }

    /** Documents of a corpus as strings. */
    static List<String> docs(TextCorpus c) {
        List<String> out = new ArrayList<>();
        c.read(OnInvalid.ERROR, new TextCorpus.DocSink() {
            StringBuilder sb;
            @Override public void begin() { sb = new StringBuilder(); }
            @Override public void text(String chunk) { sb.append(chunk); }
            @Override public void end() { out.add(sb.toString()); }
        }, Progress.silent());
        return out;
    }

    @Test
    void foldersGlobsJsonlGzipAndSeparatedDocuments(@TempDir Path tmp) throws IOException {
        Path d = Files.createDirectories(tmp.resolve("books"));
        Files.writeString(d.resolve("b.txt"), "bee");
        Files.writeString(d.resolve("a.txt"), "ay");
        Files.createDirectories(d.resolve("sub"));
        Files.writeString(d.resolve("sub/c.md"), "sea");
        Files.writeString(d.resolve(".hidden"), "no");
        assertEquals(List.of("ay", "bee", "sea"), docs(TextCorpus.folder(d)));
        assertEquals(List.of("ay", "bee"), docs(TextCorpus.glob(d + "/*.txt")));
        assertEquals(List.of("ay", "bee", "sea"), docs(TextCorpus.glob(d + "/**")));
        UserError none = assertThrows(UserError.class, () -> TextCorpus.glob(d + "/*.csv"));
        assertTrue(none.getMessage().contains("matches no files"), none.getMessage());

        Path j = tmp.resolve("s.jsonl");
        Files.writeString(j, "{\"text\": \"one\\r\\ntwo\", \"id\": 1}\n\n{\"text\": \"three\", \"body\": {\"t\": \"x\"}}\n");
        assertEquals(List.of("one\ntwo", "three"), docs(TextCorpus.file(j, null, null)));
        Path gz = tmp.resolve("s.jsonl.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(Files.readAllBytes(j));
        }
        assertEquals(List.of("one\ntwo", "three"), docs(TextCorpus.file(gz, null, null)));
        UserError missing = assertThrows(UserError.class, () -> docs(TextCorpus.file(j, "body.t", null)));
        assertEquals(j + ":1: no string field 'body.t' (fields: text, id); name the text field as s.jsonl#FIELD", missing.getMessage());
        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"text\": \"fine\"}\n{\"text\": broken}\n");
        UserError badJson = assertThrows(UserError.class, () -> docs(TextCorpus.file(bad, null, null)));
        assertTrue(badJson.getMessage().startsWith(bad + ":2: not valid JSON"), badJson.getMessage());

        Path stories = tmp.resolve("stories.txt");
        Files.writeString(stories, "Once.\nThe end.\n<|endoftext|>\nAgain.\n<|endoftext|>\n");
        assertEquals(List.of("Once.\nThe end.\n", "Again.\n"), docs(TextCorpus.file(stories, null, "<|endoftext|>")));
    }

    @Test
    void corpusStringsResolveInOrder(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("a.txt"), "hello");
        Path j = Files.writeString(tmp.resolve("a.jsonl"), "{\"body\": \"x\"}\n");
        assertEquals(CorpusRef.Kind.SYNTHETIC, CorpusRef.parse("synthetic:seed=2").kind());
        assertEquals(CorpusRef.Kind.TEXT, CorpusRef.parse(f.toString()).kind());
        CorpusRef r = CorpusRef.parse(j + "#body");
        assertEquals(CorpusRef.Kind.TEXT, r.kind());
        assertEquals("body", r.field());
        assertEquals(CorpusRef.Kind.FOLDER, CorpusRef.parse(tmp.toString()).kind());
        assertEquals(CorpusRef.Kind.GLOB, CorpusRef.parse(tmp + "/*.txt").kind());
        assertEquals(CorpusRef.Kind.CATALOG, CorpusRef.parse("tinyshakespeare").kind());
        UserError e = assertThrows(UserError.class, () -> CorpusRef.parse("tinyshakspeare"));
        assertTrue(e.getMessage().startsWith("data.corpus 'tinyshakspeare': no such file, folder, token store or catalogue entry"), e.getMessage());
        assertTrue(e.getMessage().contains("tinyshakespeare, tinystories"), e.getMessage());
        UserError blank = assertThrows(UserError.class, () -> CorpusRef.parse(" "));
        assertTrue(blank.getMessage().startsWith("data.corpus is not set"), blank.getMessage());
        UserError field = assertThrows(UserError.class, () -> TextCorpus.file(f, "body", null));
        assertTrue(field.getMessage().contains("only applies to .jsonl files"), field.getMessage());
    }

    @Test
    void readUtf8KeepsItsContract(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("x.txt");
        Files.write(f, concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("a\r\nb")));
        assertEquals("a\nb", Dataset.readUtf8(f));
        Files.write(f, new byte[0]);
        assertEquals(f + ": file is empty; data.corpus needs text to train on", assertThrows(UserError.class, () -> Dataset.readUtf8(f)).getMessage());
        assertTrue(assertThrows(UserError.class, () -> Dataset.readUtf8(tmp)).getMessage().contains("is a directory"));
        assertTrue(assertThrows(UserError.class, () -> Dataset.readUtf8(tmp.resolve("no"))).getMessage().contains("no such file"));
    }

    static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
