package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TokenizersTest {
    static final String MIXED = Fixtures.shakespeare().substring(0, 30_000) + Fixtures.unicode();

    static List<Tokenizer> all() {
        return List.of(CharTokenizer.fit(MIXED), ByteTokenizer.INSTANCE, BpeTokenizer.train(MIXED, 600), Gpt2Tokenizer.INSTANCE);
    }

    @Test
    void everyTokenizerRoundTripsTheTestCorpora(@TempDir Path tmp) {
        for (Tokenizer t : all()) {
            for (String text : List.of(Fixtures.shakespeare(), Fixtures.unicode(), "", " ", "\n\n", "a", "😀", "<|endoftext|> is text here")) {
                if (t instanceof CharTokenizer && !text.codePoints().allMatch(cp -> MIXED.indexOf(new String(Character.toChars(cp))) >= 0)) continue;
                int[] ids = t.encode(text);
                assertEquals(text, t.decode(ids), t.kind() + " round trip");
                for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize(), t.kind() + " id " + id);
            }
            // saved beside a store and reloaded identically
            Path f = tmp.resolve(t.kind() + ".json");
            t.save(f);
            Tokenizer back = Tokenizers.load(f);
            assertEquals(t, back);
            assertEquals(t.vocabSize(), back.vocabSize());
            assertArrayEquals(t.encode(Fixtures.unicode()), back.encode(Fixtures.unicode()));
            assertEquals(t, CharTokenizer.load(f), "the old entry point reads every kind");
        }
    }

    @Test
    void gpt2MatchesTiktokenAndNanoGpt() {
        Tokenizer g = Gpt2Tokenizer.INSTANCE;
        assertArrayEquals(new int[]{15496, 995}, g.encode("Hello world"));         // tiktoken r50k_base
        assertArrayEquals(new int[]{40, 1101, 257, 9379, 13}, g.encode("I'm a robot."));
        assertEquals(50257, g.vocabSize());
        assertEquals(50256, g.eot().getAsInt());
        assertEquals("<|endoftext|>", g.decode(new int[]{50256}));
        assertEquals(0, g.decodeBytes(new int[]{50256}).length);
        Path full = Path.of("/work/shared/corpora/tinyshakespeare.txt");
        assumeTrue(Files.isRegularFile(full), "the full tiny Shakespeare is not on this machine");
        // nanoGPT's data/shakespeare/prepare.py: 301,966 train + 36,059 val tokens
        assertEquals(301_966 + 36_059, g.encode(Dataset.readUtf8(full)).length);
    }

    @Test
    void byteTokenizerIsUtf8() {
        assertArrayEquals(new int[]{0xC3, 0xA9}, ByteTokenizer.INSTANCE.encode("é"));
        assertEquals("\uFFFD", ByteTokenizer.INSTANCE.decode(new int[]{0xC3}), "a cut character decodes to U+FFFD");
        assertArrayEquals(new byte[]{(byte) 0xC3}, ByteTokenizer.INSTANCE.decodeBytes(new int[]{0xC3}));
    }

    @Test
    void bpeIsDeterministicHasTheRequestedSizeAndMatchesANaiveTrainer() {
        String text = Fixtures.shakespeare();
        BpeTokenizer a = BpeTokenizer.train(text, 1024), b = BpeTokenizer.train(text, 1024);
        assertArrayEquals(a.merges(), b.merges());
        assertEquals(1024, a.vocabSize());
        assertEquals(1023, a.eot().getAsInt());
        assertTrue(a.encode(text).length < text.length() / 2.5, "1024 merges compress English well below 2.5 bytes per token");
        // the incremental trainer against the textbook one (recount every pair before each merge)
        String small = text.substring(0, 8_000);
        assertArrayEquals(naiveMerges(small, 300), BpeTokenizer.train(small, 257 + 300).merges());
    }

    @Test
    void bpeStopsWhenNoPairRepeats() {
        BpeTokenizer t = BpeTokenizer.train("abab", 1000);
        assertEquals(257 + 1, t.vocabSize(), "only (a,b) occurs twice");
        assertEquals("abab", t.decode(t.encode("abab")));
    }

    /** BPE as in Sennrich et al.: count every adjacent pair of every piece, merge the most frequent, repeat. */
    static int[] naiveMerges(String text, int merges) {
        Map<String, Long> counts = new TreeMap<>();
        Matcher m = BpeTokenizer.SPLIT.matcher(text);
        while (m.find()) counts.merge(m.group(), 1L, Long::sum);
        List<int[]> words = new ArrayList<>();
        List<Long> cnt = new ArrayList<>();
        counts.forEach((w, c) -> {
            byte[] bs = w.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int[] s = new int[bs.length];
            for (int i = 0; i < bs.length; i++) s[i] = bs[i] & 0xFF;
            words.add(s);
            cnt.add(c);
        });
        int[] out = new int[2 * merges];
        for (int k = 0; k < merges; k++) {
            Map<Long, Long> pairs = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                for (int j = 0; j + 1 < s.length; j++) pairs.merge(BpeTokenizer.key(s[j], s[j + 1]), cnt.get(w), Long::sum);
            }
            long best = -1, bestN = 0;
            for (var e : pairs.entrySet()) {
                if (e.getValue() > bestN || (e.getValue() == bestN && e.getKey() < best)) {
                    best = e.getKey();
                    bestN = e.getValue();
                }
            }
            int a = (int) (best >>> 32), b = (int) best;
            out[2 * k] = a;
            out[2 * k + 1] = b;
            for (int w = 0; w < words.size(); w++) {
                int[] s = words.get(w);
                int n = BpeTrainer.mergeInPlace(s, s.length, a, b, 256 + k);
                words.set(w, Arrays.copyOf(s, n));
            }
        }
        return out;
    }

    @Test
    void encodingPieceByPieceEqualsEncodingTheWholeDocument(@TempDir Path tmp) throws Exception {
        String text = Fixtures.shakespeare().substring(0, 20_000) + Fixtures.unicode();
        Path f = tmp.resolve("t.txt");
        Files.writeString(f, text);
        int saved = StreamEncoder.pieceChars;
        try {
            for (Tokenizer t : List.of(Gpt2Tokenizer.INSTANCE, BpeTokenizer.train(text, 700), ByteTokenizer.INSTANCE)) {
                StreamEncoder.pieceChars = 1 << 20;
                int[] whole = encodeThroughStream(f, t);
                assertArrayEquals(t.encode(text), whole);
                StreamEncoder.pieceChars = 97; // cut every ~97 characters
                assertArrayEquals(whole, encodeThroughStream(f, t), t.kind() + " cut into pieces");
            }
        } finally {
            StreamEncoder.pieceChars = saved;
        }
    }

    private static int[] encodeThroughStream(Path f, Tokenizer t) {
        TokenSink.Memory train = new TokenSink.Memory(), val = new TokenSink.Memory();
        StreamEncoder enc = new StreamEncoder(t, false, 0.1, 1, train, val);
        TextCorpus.file(f, null, null).read(OnInvalid.ERROR, enc, Progress.silent());
        return Arrays.copyOf(train.array(), (int) train.size());
    }

    @Test
    void specsParseAndBadOnesAreNamed() {
        assertEquals(new Tokenizers.Spec("bpe", 2048), Tokenizers.parse("bpe:2048"));
        assertEquals(new Tokenizers.Spec("bpe", 4096), Tokenizers.parse("BPE:4k"));
        assertEquals(new Tokenizers.Spec("gpt2", 50257), Tokenizers.parse("r50k_base"));
        assertEquals("char", Tokenizers.parse(null).kind());
        UserError e = assertThrows(UserError.class, () -> Tokenizers.parse("wordpiece"));
        assertTrue(e.getMessage().contains("'wordpiece' is not known; use one of char, byte, bpe:VOCAB"), e.getMessage());
        e = assertThrows(UserError.class, () -> Tokenizers.parse("bpe:100"));
        assertTrue(e.getMessage().contains("[258, 1048576]"), e.getMessage());
        e = assertThrows(UserError.class, () -> Tokenizers.parse("bpe:lots"));
        assertTrue(e.getMessage().contains("'lots' is not a vocabulary size"), e.getMessage());
    }

    @Test
    void badTokenizerFilesAreNamed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("tokenizer.json");
        Files.writeString(f, "{\"kind\": \"sentencepiece\"}");
        UserError e = assertThrows(UserError.class, () -> Tokenizers.load(f));
        assertTrue(e.getMessage().startsWith(f + ": unknown tokenizer kind 'sentencepiece'"), e.getMessage());
        Files.writeString(f, "{\"kind\": \"bpe\", \"pattern\": \"gpt2-ascii-whitespace\", \"merges\": [300, 1]}");
        e = assertThrows(UserError.class, () -> Tokenizers.load(f));
        assertTrue(e.getMessage().contains("merge 0 refers to id 300 not yet defined"), e.getMessage());
        Files.writeString(f, "{not json");
        e = assertThrows(UserError.class, () -> Tokenizers.load(f));
        assertTrue(e.getMessage().startsWith(f + ": cannot read tokenizer"), e.getMessage());
        e = assertThrows(UserError.class, () -> Tokenizers.load(tmp.resolve("none.json")));
        assertTrue(e.getMessage().contains("no tokenizer file"), e.getMessage());
        UserError unseen = assertThrows(UserError.class, () -> CharTokenizer.fit("abc").encode("abd"));
        assertTrue(unseen.getMessage().contains("'d' (U+0064) is not in the character vocabulary of 3 symbols"), unseen.getMessage());
        assertNotEquals(CharTokenizer.fit("abc"), CharTokenizer.fit("abd"));
    }
}
