package org.scalelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.datasets.DataSpec;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.TokenSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code data prepare} on the command line: stdin, --force, --on-invalid, and what it prints. */
class DataPrepareTest {
    @TempDir
    Path tmp;

    private record Outcome(int code, String out, String err) {}

    /** Runs the command line in-process with {@code stdin} as standard input (null: leave it). */
    private static Outcome run(byte[] stdin, String... args) {
        PrintStream oldOut = System.out;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            if (stdin != null) System.setIn(new ByteArrayInputStream(stdin));
            code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
        } finally {
            System.setOut(oldOut);
            System.setIn(oldIn);
        }
        return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString());
    }

    /** Deterministic text of exactly {@code n} ASCII bytes, in lines. */
    private static String text(int n, int seed) {
        String[] words = {"to", "be", "or", "not", "that", "is", "the", "question", "whether", "tis", "nobler", "in", "mind"};
        StringBuilder sb = new StringBuilder();
        long x = seed;
        while (sb.length() < n) {
            x = x * 6364136223846793005L + 1442695040888963407L;
            sb.append(words[(int) ((x >>> 33) % words.length)]).append((x >>> 20) % 9 == 0 ? ".\n" : " ");
        }
        return sb.substring(0, n);
    }

    private static int[] all(TokenSource s) {
        int[] a = new int[(int) s.size()];
        s.read(0, a, 0, a.length);
        return a;
    }

    private static Dataset open(Path store) {
        return Dataset.open(new DataSpec(store.toString(), "auto", 0.1, 0, 1));
    }

    /** The text a store holds: its training then validation tokens, decoded. */
    private static byte[] contents(Path store) {
        Dataset d = open(store);
        byte[] a = d.tokenizer().decodeBytes(all(d.train())), b = d.tokenizer().decodeBytes(all(d.val()));
        byte[] both = new byte[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static void assertOneLineError(Outcome o, String... mustContain) {
        assertEquals(2, o.code(), o.err());
        String[] lines = o.err().strip().split("\n");
        assertEquals(1, lines.length, "one line, got:\n" + o.err());
        assertTrue(lines[0].startsWith("error: "), lines[0]);
        for (String s : mustContain) assertTrue(lines[0].contains(s), "'" + s + "' missing in: " + lines[0]);
    }

    @Test
    void standardInputBecomesAStoreAndTheSpoolFileGoes() throws IOException {
        String t = text(20_000, 1);
        Path out = tmp.resolve("data").resolve("stdin");
        Outcome o = run(t.getBytes(StandardCharsets.UTF_8), "data", "prepare", "--corpus", "-", "--tokenizer", "char", "--out", out.toString(), "-q");
        assertEquals(0, o.code(), o.err());
        assertEquals(t, new String(contents(out), StandardCharsets.UTF_8), "train + val is what came in");
        Dataset d = open(out);
        String[] lines = o.out().strip().split("\n");
        assertEquals(2, lines.length, o.out());
        assertTrue(lines[0].startsWith(out + String.format(java.util.Locale.ROOT, ": %,d train + %,d val tokens, uint16, vocabulary %,d (char)",
                d.train().size(), d.val().size(), d.tokenizer().vocabSize())), lines[0]);
        try (var s = Files.list(out.getParent())) {
            assertEquals(java.util.List.of(out), s.toList(), "the spooled copy of stdin is deleted");
        }
    }

    /** The throughput line: the text's size, the total, fit and encode times and the rate. */
    @Test
    void printsTheThroughput() throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), text(20_000, 2));
        Outcome o = run(null, "data", "prepare", "--corpus", f.toString(), "--tokenizer", "bpe:300", "--out", tmp.resolve("s").toString(), "-q");
        assertEquals(0, o.code(), o.err());
        String last = o.out().strip().substring(o.out().strip().lastIndexOf('\n') + 1);
        Matcher m = Pattern.compile("19\\.5 kB of text in (\\d+\\.\\d) s \\(fit (\\d+\\.\\d) s, encode (\\d+\\.\\d) s\\): (\\d+\\.\\d) MB/s").matcher(last);
        assertTrue(m.matches(), last);
        double total = Double.parseDouble(m.group(1)), fit = Double.parseDouble(m.group(2)), enc = Double.parseDouble(m.group(3));
        assertTrue(fit + enc <= total + 0.1 + 1e-9, "fit and encode are parts of the total: " + last);
        assertTrue(Double.parseDouble(m.group(4)) > 0, last);
        // the synthetic corpus is generated, not read: no text bytes to report
        Outcome g = run(null, "data", "prepare", "--corpus", "synthetic:tokens=5000,val=1000", "--out", tmp.resolve("g").toString(), "-q");
        assertEquals(0, g.code(), g.err());
        assertTrue(g.out().strip().matches("(?s).*\ngenerated in \\d+\\.\\d s"), g.out());
    }

    @Test
    void anExistingStoreIsKeptUnlessForced() throws IOException {
        Path a = Files.writeString(tmp.resolve("a.txt"), text(5_000, 3)), b = Files.writeString(tmp.resolve("b.txt"), text(7_000, 4));
        Path out = tmp.resolve("store");
        assertEquals(0, run(null, "data", "prepare", "--corpus", a.toString(), "--out", out.toString(), "-q").code());
        byte[] before = Files.readAllBytes(out.resolve("train.bin"));
        assertOneLineError(run(null, "data", "prepare", "--corpus", b.toString(), "--out", out.toString(), "-q"),
                out.toString(), "already exists", "--force");
        assertArrayEquals(before, Files.readAllBytes(out.resolve("train.bin")), "a refused prepare leaves the store alone");
        assertEquals(Files.readString(a), new String(contents(out), StandardCharsets.UTF_8));

        Outcome forced = run(null, "data", "prepare", "--corpus", b.toString(), "--out", out.toString(), "--force", "-q");
        assertEquals(0, forced.code(), forced.err());
        assertEquals(Files.readString(b), new String(contents(out), StandardCharsets.UTF_8), "--force replaced it");
        try (var s = Files.list(tmp)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith(".store")).count(), "no temporary or old folder left");
        }
    }

    @Test
    void invalidUtf8IsAnErrorOrReplacedOrKeptAsBytes() throws IOException {
        byte[] raw = text(3_000, 5).getBytes(StandardCharsets.US_ASCII);
        raw[1000] = (byte) 0xFF;
        raw[2000] = (byte) 0xFE;
        Path f = Files.write(tmp.resolve("bad.txt"), raw);
        int line = 1;
        for (int i = 0; i < 1000; i++) if (raw[i] == '\n') line++;

        assertOneLineError(run(null, "data", "prepare", "--corpus", f.toString(), "--out", tmp.resolve("e").toString(), "-q"),
                f.toString(), "invalid UTF-8 at byte 1000 (line " + line + ", byte 0xFF)", "--on-invalid replace");

        Path replaced = tmp.resolve("r");
        Outcome r = run(null, "data", "prepare", "--corpus", f.toString(), "--out", replaced.toString(), "--on-invalid", "replace", "-q");
        assertEquals(0, r.code(), r.err());
        StringBuilder sb = new StringBuilder(new String(raw, StandardCharsets.ISO_8859_1));
        sb.setCharAt(1000, '\uFFFD');
        sb.setCharAt(2000, '\uFFFD');
        assertEquals(sb.toString(), new String(contents(replaced), StandardCharsets.UTF_8), "each bad byte became U+FFFD");
        var meta = new ObjectMapper();
        long count = meta.readTree(replaced.resolve("train.meta.json").toFile()).get("invalid_replaced").asLong();
        assertEquals(2, count, "the replacements are counted in the metadata");
        assertEquals("replace", meta.readTree(replaced.resolve("val.meta.json").toFile()).get("on_invalid").asText());

        Path kept = tmp.resolve("k");
        Outcome k = run(null, "data", "prepare", "--corpus", f.toString(), "--tokenizer", "byte", "--out", kept.toString(), "--on-invalid", "keep", "-q");
        assertEquals(0, k.code(), k.err());
        assertArrayEquals(raw, contents(kept), "keep stores the file's bytes as they are");
        assertOneLineError(run(null, "data", "prepare", "--corpus", f.toString(), "--tokenizer", "char", "--out", tmp.resolve("kc").toString(),
                "--on-invalid", "keep", "-q"), "--on-invalid keep", "--tokenizer byte");
    }
}
