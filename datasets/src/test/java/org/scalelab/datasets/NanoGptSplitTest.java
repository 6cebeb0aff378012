package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code --split nanogpt} against nanoGPT's data/shakespeare_char and data/shakespeare prepare.py, written out here. */
class NanoGptSplitTest {

    static Prepare.Options nanogpt(String tokenizer, double valFraction) {
        return new Prepare.Options(tokenizer, valFraction, Prepare.Split.NANOGPT, 1234, OnInvalid.ERROR,
                Prepare.Options.DEFAULT_BPE_SAMPLE, true);
    }

    /** Python's {@code int(n*0.9)}: the literal 0.9, a double product, truncation. */
    static int pythonCut(int n) {
        return (int) (n * 0.9);
    }

    /** {@code data[:int(n*0.9)]} and {@code data[int(n*0.9):]}, indices in code points as in a Python str. */
    static String[] pythonParts(String data) {
        int cut = pythonCut(data.codePointCount(0, data.length()));
        int at = data.offsetByCodePoints(0, cut);
        return new String[]{data.substring(0, at), data.substring(at)};
    }

    /** ids as {@code np.array(ids, dtype=np.uint16).tofile(...)} writes them. */
    static byte[] uint16(int[] ids) {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            assertTrue(id >= 0 && id <= 0xFFFF, "id " + id + " fits uint16");
            b.putShort((short) id);
        }
        return b.array();
    }

    /**
     * data/shakespeare_char/prepare.py: chars = sorted(list(set(data))), stoi, and both parts encoded as
     * uint16; returns {train.bin, val.bin}.
     */
    static byte[][] nanogptCharBins(String data) {
        int[] chars = data.codePoints().distinct().sorted().toArray();
        Map<Integer, Integer> stoi = new HashMap<>();
        for (int i = 0; i < chars.length; i++) stoi.put(chars[i], i);
        String[] parts = pythonParts(data);
        return new byte[][]{uint16(parts[0].codePoints().map(stoi::get).toArray()), uint16(parts[1].codePoints().map(stoi::get).toArray())};
    }

    /** The dict nanoGPT pickles into meta.pkl, as our reader returns it (Python ints as Long). */
    static Map<Object, Object> nanogptMetaDict(String data) {
        int[] chars = data.codePoints().distinct().sorted().toArray();
        Map<Object, Object> itos = new java.util.LinkedHashMap<>(), stoi = new java.util.LinkedHashMap<>();
        for (int i = 0; i < chars.length; i++) {
            String ch = new String(Character.toChars(chars[i]));
            itos.put((long) i, ch);
            stoi.put(ch, (long) i);
        }
        Map<Object, Object> meta = new java.util.LinkedHashMap<>();
        meta.put("vocab_size", (long) chars.length);
        meta.put("itos", itos);
        meta.put("stoi", stoi);
        return meta;
    }

    /** Keys in order at every level, so insertion order is checked as well as content. */
    static List<Object> keyOrder(Map<?, ?> m) {
        List<Object> out = new ArrayList<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            out.add(e.getKey());
            if (e.getValue() instanceof Map<?, ?> inner) out.add(keyOrder(inner));
        }
        return out;
    }

    static Path tinyShakespeare() {
        Path p = Fixtures.sharedCorpus("tinyshakespeare.txt");
        assumeTrue(p != null, "tiny Shakespeare is not in ../shared/corpora on this machine");
        return p;
    }

    // ---- the split ----------------------------------------------------------------------------------------

    @Test
    void oneMinusATenthIsNanoGptsLiteral() {
        assertEquals(0.9, Prepare.nanogptTrainFraction(0.1), 0.0, "exactly the double of 0.9");
        assertEquals(0.9, 1 - 0.1, 0.0, "1 − 0.1 rounds to it in binary too");
        assertEquals(0.95, Prepare.nanogptTrainFraction(0.05), 0.0);
        assertEquals(0.7, Prepare.nanogptTrainFraction(0.3), 0.0);
        TextCorpus c = TextCorpus.file(Path.of("x.txt"), null, null);
        // python3 -c "print(int(1115394*0.9), int(10*0.9), int(2*0.9))" → 1003854 9 1
        assertEquals(1_003_854, Prepare.nanogptCut(c, 1_115_394, 0.1));
        assertEquals(9, Prepare.nanogptCut(c, 10, 0.1));
        assertEquals(1, Prepare.nanogptCut(c, 2, 0.1));
        for (int n = 2; n < 200_000; n += 7) assertEquals(pythonCut(n), Prepare.nanogptCut(c, n, 0.1), "n = " + n);
    }

    @Test
    void theCharStoreIsByteForByteNanoGptsShakespeareChar(@TempDir Path tmp) throws IOException {
        Path full = tinyShakespeare();
        String data = Files.readString(full, StandardCharsets.UTF_8);
        Path out = tmp.resolve("shakespeare_char");
        Prepare.Report r = Prepare.toStore(full.toString(), nanogpt("char", 0.1), out, false);
        byte[][] want = nanogptCharBins(data);
        assertArrayEquals(want[0], Files.readAllBytes(out.resolve("train.bin")), "train.bin");
        assertArrayEquals(want[1], Files.readAllBytes(out.resolve("val.bin")), "val.bin");
        // nanoGPT's data/shakespeare_char/prepare.py prints: 1115394 characters, vocab size 65, train 1003854, val 111540 tokens
        assertEquals(1_003_854, r.trainTokens());
        assertEquals(111_540, r.valTokens());
        assertEquals(65, r.vocabSize());
        for (String s : List.of("train", "val")) {
            StoreMeta m = TokenStore.readMeta(out.resolve(s + ".meta.json"));
            assertEquals("nanogpt", m.splitMethod(), s);
            assertEquals(0.1, m.valFraction(), 0.0);
        }
        // meta.pkl: the dict nanoGPT's script pickles, in its key order
        Object meta = Pickles.load(Files.readAllBytes(out.resolve("meta.pkl")));
        assertEquals(nanogptMetaDict(data), meta);
        assertEquals(keyOrder(nanogptMetaDict(data)), keyOrder((Map<?, ?>) meta));
        // the default tail split keeps round(0.1·n) = 111,539 tokens for validation: one more in training
        Prepare.Report tail = Prepare.toStore(full.toString(), Prepare.Options.of("char", 0.1, 1234), tmp.resolve("tail"), false);
        assertEquals(1_003_855, tail.trainTokens());
        assertEquals(111_539, tail.valTokens());
        assertEquals("tail", TokenStore.readMeta(tmp.resolve("tail").resolve("train.meta.json")).splitMethod());
    }

    @Test
    void theGpt2StoreEncodesEachSideAsNanoGptsShakespeare(@TempDir Path tmp) throws IOException {
        Path full = tinyShakespeare();
        String data = Files.readString(full, StandardCharsets.UTF_8);
        Path out = tmp.resolve("shakespeare");
        Prepare.Report r = Prepare.toStore(full.toString(), nanogpt("gpt2", 0.1), out, false);
        // nanoGPT's data/shakespeare/prepare.py: train.bin has 301,966 tokens, val.bin has 36,059 tokens
        assertEquals(301_966, r.trainTokens());
        assertEquals(36_059, r.valTokens());
        String[] parts = pythonParts(data);
        Gpt2Tokenizer g = Gpt2Tokenizer.INSTANCE;
        assertArrayEquals(uint16(g.encode(parts[0])), Files.readAllBytes(out.resolve("train.bin")), "encode_ordinary(train_data)");
        assertArrayEquals(uint16(g.encode(parts[1])), Files.readAllBytes(out.resolve("val.bin")), "encode_ordinary(val_data)");
        assertFalse(Files.exists(out.resolve("meta.pkl")), "no meta.pkl: nanoGPT reads a folder without one as GPT-2 tokens");
        StoreMeta vm = TokenStore.readMeta(out.resolve("val.meta.json"));
        assertEquals("nanogpt", vm.splitMethod());
        assertEquals(parts[1].getBytes(StandardCharsets.UTF_8).length, vm.textBytes());
    }

    /** Code points, not UTF-16 units: the emoji outside the BMP make the two counts differ. */
    static final String MIXED = "Déjà vu — 😀 naïve 🎉 café\n" + "😀".repeat(12) + " … fin — ça va? 𝄞 é\n";

    @Test
    void nonAsciiTextIsCutAtACodePointForEveryTokenizer(@TempDir Path tmp) throws IOException {
        String[] parts = pythonParts(MIXED);
        int utf16Cut = (int) (MIXED.length() * 0.9);
        assertNotEquals(parts[1], MIXED.substring(utf16Cut), "the text tells a code point cut from a UTF-16 one");
        Path f = Files.writeString(tmp.resolve("mixed.txt"), MIXED, StandardCharsets.UTF_8);
        int saved = StreamEncoder.pieceChars;
        try {
            for (int piece : new int[]{1 << 20, 5}) { // 5: the encoder also cuts the text into small pieces
                StreamEncoder.pieceChars = piece;
                Path out = tmp.resolve("char-" + piece);
                Prepare.toStore(f.toString(), nanogpt("char", 0.1), out, false);
                byte[][] want = nanogptCharBins(MIXED);
                assertArrayEquals(want[0], Files.readAllBytes(out.resolve("train.bin")), "char train.bin, pieces of " + piece);
                assertArrayEquals(want[1], Files.readAllBytes(out.resolve("val.bin")), "char val.bin, pieces of " + piece);
                assertEquals(nanogptMetaDict(MIXED), Pickles.load(Files.readAllBytes(out.resolve("meta.pkl"))));
            }
        } finally {
            StreamEncoder.pieceChars = saved;
        }
        Map<String, int[][]> expected = Map.of(
                "gpt2", new int[][]{Gpt2Tokenizer.INSTANCE.encode(parts[0]), Gpt2Tokenizer.INSTANCE.encode(parts[1])},
                "byte", new int[][]{ByteTokenizer.INSTANCE.encode(parts[0]), ByteTokenizer.INSTANCE.encode(parts[1])});
        for (var e : expected.entrySet()) {
            Path out = tmp.resolve(e.getKey());
            Prepare.toStore(f.toString(), nanogpt(e.getKey(), 0.1), out, false);
            assertArrayEquals(uint16(e.getValue()[0]), Files.readAllBytes(out.resolve("train.bin")), e.getKey() + " train.bin");
            assertArrayEquals(uint16(e.getValue()[1]), Files.readAllBytes(out.resolve("val.bin")), e.getKey() + " val.bin");
        }
        // every tokenizer, in memory as in a store: train decodes to data[:cut], val to data[cut:]
        for (String kind : List.of("char", "byte", "bpe:300", "gpt2")) {
            Path out = tmp.resolve("all-" + kind.replace(':', '-'));
            Prepare.toStore(f.toString(), nanogpt(kind, 0.1), out, false);
            Dataset d = TokenStoreTest.openStore(out);
            assertEquals("nanogpt", d.describe().split(), kind);
            assertEquals(parts[0], d.tokenizer().decode(TokenStoreTest.all(d.train())), kind + " train");
            assertEquals(parts[1], d.tokenizer().decode(TokenStoreTest.all(d.val())), kind + " val");
            Prepare.InMemory m = Prepare.inMemory(TextCorpus.file(f, null, null), nanogpt(kind, 0.1), null);
            assertEquals("nanogpt", m.splitMethod());
            assertArrayEquals(TokenStoreTest.all(d.train()), TokenStoreTest.all(m.train()), kind + " in memory");
            assertArrayEquals(TokenStoreTest.all(d.val()), TokenStoreTest.all(m.val()), kind + " in memory");
            assertEquals(parts[1].getBytes(StandardCharsets.UTF_8).length, m.valBytes(), kind);
            assertEquals(parts[0].getBytes(StandardCharsets.UTF_8).length, m.trainBytes(), kind);
        }
    }

    @Test
    void theStoreCacheKeepsNanogptApartFromTheTailSplit(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 4003));
        String cache = System.getProperty("scalelab.cache");
        System.setProperty("scalelab.cache", tmp.resolve("cache").toString());
        try {
            TextCorpus c = TextCorpus.file(f, null, null);
            Path tail = Prepare.cached(c, f.toString(), Prepare.Options.of("char", 0.1, 1234), null);
            Path nano = Prepare.cached(c, f.toString(), nanogpt("char", 0.1), null);
            assertNotEquals(tail, nano);
            assertEquals("tail", TokenStore.readMeta(tail.resolve("train.meta.json")).splitMethod());
            assertEquals("nanogpt", TokenStore.readMeta(nano.resolve("train.meta.json")).splitMethod());
            assertEquals(nano, Prepare.cached(c, f.toString(), nanogpt("char", 0.1), null), "prepared once, then reused");
            // 4,003 characters: int(4003*0.9) = int(3602.7) = 3602 train, while the tail keeps round(400.3) = 400 for validation
            assertEquals(3602 * 2, Files.size(nano.resolve("train.bin")));
            assertEquals(3603 * 2, Files.size(tail.resolve("train.bin")));
        } finally {
            if (cache == null) System.clearProperty("scalelab.cache");
            else System.setProperty("scalelab.cache", cache);
        }
    }

    /** Records what a sink receives: its text and how often it was begun and ended. */
    static final class Recorder implements TextCorpus.DocSink {
        final StringBuilder text = new StringBuilder();
        int begun, ended;

        @Override public void begin() { begun++; }
        @Override public void text(String s) { text.append(s); }
        @Override public void end() { ended++; }
    }

    @Test
    void theCutIsTheSameWhereverTheChunksEnd() {
        String s = "aé😀b—c😀d";
        int n = s.codePointCount(0, s.length());
        for (int cut = 1; cut < n; cut++) {
            String train = s.substring(0, s.offsetByCodePoints(0, cut));
            for (int at = 0; at <= s.length(); at++) {
                if (at > 0 && at < s.length() && Character.isLowSurrogate(s.charAt(at))) continue; // the reader never splits a pair
                for (int at2 = at; at2 <= s.length(); at2 += 3) {
                    if (at2 > 0 && at2 < s.length() && Character.isLowSurrogate(s.charAt(at2))) continue;
                    Recorder a = new Recorder(), b = new Recorder();
                    Prepare.CharCut c = new Prepare.CharCut(cut, a, b);
                    c.begin();
                    c.text(s.substring(0, at));
                    c.text(s.substring(at, at2));
                    c.text(s.substring(at2));
                    c.end();
                    String where = "cut " + cut + ", chunks end at " + at + ", " + at2;
                    assertEquals(train, a.text.toString(), where);
                    assertEquals(s.substring(train.length()), b.text.toString(), where);
                    assertEquals(List.of(1, 1, 1, 1), List.of(a.begun, a.ended, b.begun, b.ended), where);
                }
            }
        }
    }

    // ---- meta.pkl for nanoGPT ------------------------------------------------------------------------------

    @Test
    void aStoreWithTokenizerJsonAndMetaPklReadsTokenizerJson(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 5000) + MIXED);
        Path out = tmp.resolve("s");
        Prepare.toStore(f.toString(), Prepare.Options.of("char", 0.1, 1234), out, false);
        assertTrue(Files.isRegularFile(out.resolve("meta.pkl")), "every char store has a meta.pkl, whatever its split");
        Tokenizer fromJson = Tokenizers.load(out.resolve("tokenizer.json"));
        assertEquals(fromJson, Pickles.charTokenizer(out.resolve("meta.pkl")), "meta.pkl holds the same vocabulary");
        Dataset d = TokenStoreTest.openStore(out);
        assertEquals(fromJson, d.tokenizer());
        assertEquals("tail", d.describe().split(), "read through train.meta.json, as before");
        // the nanoGPT route (no meta.json) also takes tokenizer.json first: a replaced meta.pkl changes nothing
        Files.delete(out.resolve("train.meta.json"));
        Files.delete(out.resolve("val.meta.json"));
        Files.write(out.resolve("meta.pkl"), Pickles.nanogptMeta(CharTokenizer.fit("xyz")));
        assertEquals(fromJson, TokenStore.nanogptTokenizer(out));
        assertEquals(fromJson, TokenStoreTest.openStore(out).tokenizer());
        // and without tokenizer.json the folder is read as nanoGPT's, through meta.pkl
        Files.write(out.resolve("meta.pkl"), Pickles.nanogptMeta((CharTokenizer) fromJson));
        Files.delete(out.resolve("tokenizer.json"));
        Dataset n = TokenStoreTest.openStore(out);
        assertEquals(fromJson, n.tokenizer());
        assertArrayEquals(TokenStoreTest.all(d.val()), TokenStoreTest.all(n.val()));
    }

    @Test
    void syntheticStoresCarryAMetaPklToo(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("syn");
        Prepare.toStore("synthetic:tokens=2000,val=500", Prepare.Options.of("char", 0.1, 1234), out, false);
        assertEquals(Tokenizers.load(out.resolve("tokenizer.json")), Pickles.charTokenizer(out.resolve("meta.pkl")));
    }

    @Test
    void cpythonReadsTheMetaPklAsNanoGptBuildsIt(@TempDir Path tmp) throws IOException, InterruptedException {
        assumeTrue(hasPython3(), "python3 is not on this machine");
        Path f = Files.writeString(tmp.resolve("input.txt"), MIXED, StandardCharsets.UTF_8);
        Path out = tmp.resolve("s");
        Prepare.toStore(f.toString(), nanogpt("char", 0.1), out, false);
        // data/shakespeare_char/prepare.py's construction, then what sample.py does with the loaded dict
        String script = String.join("\n",
                "import pickle, sys",
                "data = open(sys.argv[1], encoding='utf-8').read()",
                "chars = sorted(list(set(data)))",
                "want = {'vocab_size': len(chars), 'itos': {i: ch for i, ch in enumerate(chars)}, 'stoi': {ch: i for i, ch in enumerate(chars)}}",
                "m = pickle.load(open(sys.argv[2], 'rb'))",
                "assert m == want, 'different dict'",
                "assert list(m) == ['vocab_size', 'itos', 'stoi'], list(m)",
                "assert list(m['itos']) == list(range(len(chars)))",
                "n = len(data); val = data[int(n*0.9):]",
                "ids = [m['stoi'][c] for c in val]",
                "assert ''.join(m['itos'][i] for i in ids) == val",
                "print('ok', m['vocab_size'])");
        Process p = new ProcessBuilder("python3", "-c", script, f.toString(), out.resolve("meta.pkl").toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), output);
        assertEquals("ok " + MIXED.codePoints().distinct().count(), output);
    }

    static boolean hasPython3() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import pickle").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    // ---- where the split makes no sense ------------------------------------------------------------------------

    @Test
    void corporaNanoGptNeverSplitAreRefusedWithTheFix(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("books"));
        Files.writeString(dir.resolve("a.txt"), "first book\n");
        Files.writeString(dir.resolve("b.txt"), "second book\n");
        Path out = tmp.resolve("out");
        String tail = "; --split nanogpt cuts the characters of one plain text file as nanoGPT's prepare.py does";
        UserError e = assertThrows(UserError.class, () -> Prepare.toStore(dir.toString(), nanogpt("char", 0.1), out, false));
        assertEquals("books/: 2 files" + tail + "; concatenate them into one file, or use --split tail", e.getMessage());
        e = assertThrows(UserError.class, () -> Prepare.toStore(dir + "/*.txt", nanogpt("char", 0.1), out, false));
        assertEquals(dir + "/*.txt: 2 files" + tail + "; concatenate them into one file, or use --split tail", e.getMessage());
        Path jsonl = SplitAndBudgetTest.jsonl(tmp);
        e = assertThrows(UserError.class, () -> Prepare.toStore(jsonl.toString(), nanogpt("char", 0.1), out, false));
        assertEquals(jsonl + ": JSON lines, one document per line" + tail + "; use --split docs (or tail)", e.getMessage());
        e = assertThrows(UserError.class, () -> Prepare.inMemory(TextCorpus.file(jsonl, null, null), nanogpt("char", 0.1), null));
        assertEquals(jsonl + ": JSON lines, one document per line" + tail + "; use --split docs (or tail)", e.getMessage());
        // a catalogue corpus of separated documents is refused before it is downloaded
        String cache = System.getProperty("scalelab.cache");
        System.setProperty("scalelab.cache", tmp.resolve("cache").toString());
        try {
            e = assertThrows(UserError.class, () -> Prepare.toStore("tinystories", nanogpt("gpt2", 0.1), out, false));
            assertEquals("tinystories: documents separated by '<|endoftext|>' lines" + tail + "; use --split docs (or tail)", e.getMessage());
            assertFalse(Files.exists(tmp.resolve("cache").resolve("corpora")), "nothing downloaded");
        } finally {
            if (cache == null) System.clearProperty("scalelab.cache");
            else System.setProperty("scalelab.cache", cache);
        }
        e = assertThrows(UserError.class, () -> Prepare.toStore("synthetic:tokens=1000", nanogpt("char", 0.1), out, false));
        assertEquals("synthetic:tokens=1000: --split nanogpt cuts a text file, but the synthetic corpus generates its validation "
                + "tokens separately (synthetic:val=N); leave --split out", e.getMessage());
        Path text = Files.writeString(tmp.resolve("ten.txt"), "abcdefghij");
        Prepare.Options keep = new Prepare.Options("byte", 0.1, Prepare.Split.NANOGPT, 1, OnInvalid.KEEP, 0, true);
        e = assertThrows(UserError.class, () -> Prepare.toStore(text.toString(), keep, out, false));
        assertEquals("--on-invalid keep stores raw bytes, which have no characters to count" + tail
                + "; use --on-invalid replace, or --split tail", e.getMessage());
        e = assertThrows(UserError.class, () -> Prepare.toStore(text.toString(), nanogpt("char", 0.95), out, false));
        assertEquals("ten.txt: --split nanogpt cuts its 10 characters at int(10 × 0.05) = 0, which leaves no text to train on; "
                + "use a smaller --val-fraction", e.getMessage());
        e = assertThrows(UserError.class, () -> Prepare.toStore(text.toString(), nanogpt("byte", 1e-17), out, false));
        assertEquals("ten.txt: --split nanogpt cuts its 10 characters at int(10 × 1.0) = 10, which leaves no text to validate on; "
                + "use a larger --val-fraction", e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
        try (var s = Files.list(tmp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".out.tmp-")), "no temporary folder left");
        }
    }

    /** The command line as scalelab's main runs it: a UserError is one line on stderr and exit code 2. */
    static int prepare(StringWriter err, String... args) {
        CommandLine cl = new CommandLine(new DataCommand());
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (!(ex instanceof UserError)) throw ex;
            cmd.getErr().println("error: " + ex.getMessage());
            return 2;
        });
        String[] all = new String[args.length + 1];
        all[0] = "prepare";
        System.arraycopy(args, 0, all, 1, args.length);
        return cl.execute(all);
    }

    @Test
    void theCommandLineTakesSplitNanogpt(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("input.txt"), Fixtures.shakespeare().substring(0, 3000));
        Path out = tmp.resolve("shakespeare_char");
        StringWriter err = new StringWriter();
        assertEquals(0, prepare(err, "--corpus", f.toString(), "--tokenizer", "char", "--split", "nanogpt", "--out", out.toString(), "-q"),
                err.toString());
        assertEquals(2700 * 2, Files.size(out.resolve("train.bin")), "int(3000*0.9) = 2700 uint16 tokens");
        assertEquals("nanogpt", TokenStore.readMeta(out.resolve("val.meta.json")).splitMethod());
        assertTrue(Files.isRegularFile(out.resolve("meta.pkl")));

        Path two = Files.createDirectories(tmp.resolve("two"));
        Files.writeString(two.resolve("a.txt"), "a");
        Files.writeString(two.resolve("b.txt"), "b");
        err = new StringWriter();
        assertEquals(2, prepare(err, "--corpus", two.toString(), "--split", "nanogpt", "--out", tmp.resolve("o").toString(), "-q"));
        String[] lines = err.toString().split("\n");
        assertEquals(1, lines.length, err.toString());
        assertEquals("error: two/: 2 files; --split nanogpt cuts the characters of one plain text file as nanoGPT's prepare.py does; "
                + "concatenate them into one file, or use --split tail", lines[0]);

        err = new StringWriter();
        assertEquals(2, prepare(err, "--corpus", f.toString(), "--split", "nano", "--out", tmp.resolve("o").toString(), "-q"));
        assertEquals("error: --split 'nano' is not known; use auto, tail, docs or nanogpt", err.toString().trim());
        assertEquals(List.of("auto", "tail", "docs", "nanogpt"), Arrays.stream(Prepare.Split.values()).map(Object::toString).toList(),
                "a new value goes last: stores and cache keys name the others as before");
    }
}
