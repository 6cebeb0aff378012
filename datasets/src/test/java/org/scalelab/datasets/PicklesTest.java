package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The pickle writer against the format (bytes derived by hand from the pickle opcodes) and against CPython itself. */
class PicklesTest {

    /** Bytes from numbers (one byte each), characters (opcodes such as 'K') and strings (their UTF-8). */
    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof Integer i) b.write(i);
            else if (p instanceof Character c) b.write(c);
            else b.writeBytes(((String) p).getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    @Test
    void aTinyMetaPklIsTheHandDerivedByteSequence() {
        // {'vocab_size': 2, 'itos': {0: 'a', 1: 'é'}, 'stoi': {'a': 0, 'é': 1}}
        byte[] want = bytes(
                0x80, 4,                                  // PROTO 4
                '}',                                      // EMPTY_DICT
                '(',                                      // MARK
                0x8C, 10, "vocab_size", 'K', 2,           // SHORT_BINUNICODE len 10, BININT1 2
                0x8C, 4, "itos", '}', '(',                //   the itos dict
                'K', 0, 0x8C, 1, "a",
                'K', 1, 0x8C, 2, 0xC3, 0xA9,              //   'é' is UTF-8 C3 A9
                'u',                                      //   SETITEMS
                0x8C, 4, "stoi", '}', '(',
                0x8C, 1, "a", 'K', 0,
                0x8C, 2, 0xC3, 0xA9, 'K', 1,
                'u',
                'u',                                      // SETITEMS of the outer dict
                '.');                                     // STOP
        CharTokenizer tok = CharTokenizer.fit("éa");
        assertArrayEquals(want, Pickles.nanogptMeta(tok));
        assertEquals(tok, tokenizerOf(want));
    }

    private static CharTokenizer tokenizerOf(byte[] pkl) {
        try {
            Path f = Files.createTempFile("meta", ".pkl");
            try {
                Files.write(f, pkl);
                return Pickles.charTokenizer(f);
            } finally {
                Files.delete(f);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Every integer opcode at its edges, a 4-byte character, a string longer than 255 bytes, an empty dict. */
    static Map<Object, Object> edges() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("a", 255);
        m.put("b", 256);
        m.put("c", 65535);
        m.put("d", 65536);
        m.put("e", -1);
        m.put("f", Integer.MAX_VALUE);
        m.put("g", 1L << 31);
        m.put("h", -(1L << 31) - 1);
        m.put("i", 1L << 40);
        m.put("😀", "x".repeat(300));
        m.put("j", new LinkedHashMap<>());
        return m;
    }

    @Test
    void integersStringsAndDictsUseTheSmallestStandardOpcode() {
        byte[] want = bytes(0x80, 4, '}', '(',
                0x8C, 1, "a", 'K', 0xFF,                               // BININT1
                0x8C, 1, "b", 'M', 0x00, 0x01,                         // BININT2, little-endian
                0x8C, 1, "c", 'M', 0xFF, 0xFF,
                0x8C, 1, "d", 'J', 0x00, 0x00, 0x01, 0x00,             // BININT, signed 4 bytes
                0x8C, 1, "e", 'J', 0xFF, 0xFF, 0xFF, 0xFF,
                0x8C, 1, "f", 'J', 0xFF, 0xFF, 0xFF, 0x7F,
                0x8C, 1, "g", 0x8A, 5, 0x00, 0x00, 0x00, 0x80, 0x00,   // LONG1: 2^31 needs a fifth byte for its sign
                0x8C, 1, "h", 0x8A, 5, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF,   // −2^31 − 1
                0x8C, 1, "i", 0x8A, 6, 0, 0, 0, 0, 0, 0x01,            // 2^40
                0x8C, 4, 0xF0, 0x9F, 0x98, 0x80,                       // U+1F600, four UTF-8 bytes
                'X', 0x2C, 0x01, 0x00, 0x00, "x".repeat(300),          // BINUNICODE: 300 bytes do not fit SHORT_BINUNICODE
                0x8C, 1, "j", '}',                                     // an empty dict has no MARK … SETITEMS
                'u', '.');
        assertArrayEquals(want, Pickles.dump(edges()));
        Map<?, ?> back = (Map<?, ?>) Pickles.load(want);
        assertEquals(255L, back.get("a"));
        assertEquals(-(1L << 31) - 1, back.get("h"));
        assertEquals(1L << 40, back.get("i"));
        assertEquals("x".repeat(300), back.get("😀"));
        assertEquals(Map.of(), back.get("j"));
        assertThrows(IllegalArgumentException.class, () -> Pickles.dump(Map.of("k", 1.5)), "floats are not written");
    }

    @Test
    void ourMetaPklReadsBackAsCPythonsOwn() {
        // nanogpt_char/meta.pkl was written by CPython's pickle.dump (make_fixture.py): protocol 4, framed, memoized
        CharTokenizer tok = Pickles.charTokenizer(Fixtures.path("nanogpt_char/meta.pkl"));
        Object theirs = Pickles.load(readFixture("nanogpt_char/meta.pkl"));
        Object ours = Pickles.load(Pickles.nanogptMeta(tok));
        assertEquals(theirs, ours);
        assertEquals(NanoGptSplitTest.keyOrder((Map<?, ?>) theirs), NanoGptSplitTest.keyOrder((Map<?, ?>) ours));
        // more than one batch of 1,000 items per dict
        int[] cps = new int[2500];
        for (int i = 0; i < cps.length; i++) cps[i] = 0x4E00 + i;
        CharTokenizer big = new CharTokenizer(cps);
        assertEquals(big, tokenizerOf(Pickles.nanogptMeta(big)));
    }

    private static byte[] readFixture(String name) {
        try {
            return Files.readAllBytes(Fixtures.path(name));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void cpythonLoadsWhatWeWrite(@TempDir Path tmp) throws IOException, InterruptedException {
        assumeTrue(NanoGptSplitTest.hasPython3(), "python3 is not on this machine");
        Path edges = tmp.resolve("edges.pkl"), big = tmp.resolve("big.pkl");
        Files.write(edges, Pickles.dump(edges()));
        int[] cps = new int[2500];
        for (int i = 0; i < cps.length; i++) cps[i] = 0x4E00 + i;
        Files.write(big, Pickles.nanogptMeta(new CharTokenizer(cps)));
        String script = String.join("\n",
                "import pickle, sys",
                "e = pickle.load(open(sys.argv[1], 'rb'))",
                "assert e == {'a': 255, 'b': 256, 'c': 65535, 'd': 65536, 'e': -1, 'f': 2**31 - 1, 'g': 2**31, 'h': -2**31 - 1,"
                        + " 'i': 2**40, '\\U0001F600': 'x' * 300, 'j': {}}, e",
                "m = pickle.load(open(sys.argv[2], 'rb'))",
                "assert m['vocab_size'] == 2500 and len(m['itos']) == 2500 and len(m['stoi']) == 2500",
                "assert all(m['stoi'][m['itos'][i]] == i for i in range(2500))",
                "print(m['vocab_size'], hex(ord(m['itos'][2499])))");
        Process p = new ProcessBuilder("python3", "-c", script, edges.toString(), big.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals("2500 0x57c3", out); // 0x4E00 + 2499
    }

    /** The one-line error that opening {@code data} as a nanoGPT folder's meta.pkl gives. */
    static String refusal(Path dir, byte[] data) throws IOException {
        Files.write(dir.resolve("meta.pkl"), data);
        UserError e = assertThrows(UserError.class, () -> Pickles.charTokenizer(dir.resolve("meta.pkl")));
        String fix = "; write a tokenizer.json beside it (scalelab data prepare) or remove meta.pkl to use GPT-2's tokenizer";
        assertTrue(e.getMessage().startsWith(dir.resolve("meta.pkl") + ": cannot read nanoGPT's meta.pkl ("), e.getMessage());
        assertTrue(e.getMessage().endsWith(fix), e.getMessage());
        return e.getMessage().substring((dir.resolve("meta.pkl") + ": cannot read nanoGPT's meta.pkl (").length(),
                e.getMessage().length() - fix.length() - 1);
    }

    @Test
    void aSelfReferentialPickleIsRefusedNotAStackOverflow(@TempDir Path tmp) throws IOException {
        // d = {}; l = [d]; d[l] = 1; d[l] = 2: hashing the key l hashes d, which holds l (CPython refuses: list is unhashable)
        byte[] listKey = bytes(0x80, 4, '}', 0x94, ']', 0x94, 'h', 0, 'a', 'K', 1, 's', 'h', 1, 'K', 2, 's', '.');
        assertEquals("opcode 0x73 at offset 11: a dict key that is a list, tuple or dict; keys here are ints and strings",
                refusal(tmp, listKey));
        // d = {}; d['itos'] = d: a dict that holds itself, which Python can pickle
        byte[] selfValue = bytes(0x80, 4, '}', 0x94, 0x8C, 4, "itos", 'h', 0, 's', '.');
        assertEquals("opcode 0x2E at offset 13: the result contains itself (a recursive structure); meta.pkl is a flat dict of dicts",
                refusal(tmp, selfValue));
        // [[[…]]] 100 deep
        ByteArrayOutputStream deep = new ByteArrayOutputStream();
        deep.writeBytes(bytes(0x80, 4));
        for (int i = 0; i < 100; i++) deep.write(']');
        for (int i = 0; i < 99; i++) deep.write('a');
        deep.write('.');
        assertEquals("opcode 0x2E at offset 201: containers nested deeper than 64", refusal(tmp, deep.toByteArray()));
    }

    @Test
    void damagedPicklesSayWhatIsWrongAndWhere(@TempDir Path tmp) throws IOException {
        assertEquals("truncated file: it ends inside opcode 0x4A at offset 3 (6 bytes)", refusal(tmp, bytes(0x80, 4, '}', 'J', 1, 0)));
        assertEquals("truncated file: the string of opcode 0x58 at offset 2 claims 4,294,967,291 bytes but 3 are left",
                refusal(tmp, bytes(0x80, 4, 'X', 0xFB, 0xFF, 0xFF, 0xFF, "abc")));
        assertEquals("truncated file: 3 bytes without the STOP opcode ('.') that ends a pickle", refusal(tmp, bytes(0x80, 4, '}')));
        assertEquals("unknown or unsupported opcode 0x63 at offset 2; this reader takes ints, strings, None, booleans, lists, tuples and dicts "
                + "only", refusal(tmp, bytes(0x80, 4, 'c', "os\nsystem\n", '.')));
        assertEquals("opcode 0x68 at offset 3: memo slot 7 was never stored", refusal(tmp, bytes(0x80, 4, '}', 'h', 7, '.')));
        assertEquals("opcode 0x73 at offset 2: the stack is empty; the file is damaged or not a pickle", refusal(tmp, bytes(0x80, 4, 's', '.')));
        assertEquals("opcode 0x75 at offset 5: no MARK ('(') before it", refusal(tmp, bytes(0x80, 4, '}', 'K', 1, 'u', '.')));
        assertEquals("opcode 0x80 at offset 0: protocol 9; this reader takes protocols 2 to 5", refusal(tmp, bytes(0x80, 9, '}', '.')));
        assertEquals("opcode 0x8A at offset 2: an integer of 9 bytes, wider than 64 bits", refusal(tmp, bytes(0x80, 4, 0x8A, 9, '.')));
        assertEquals("opcode 0x61 at offset 5: appending to something that is not a list", refusal(tmp, bytes(0x80, 4, '}', 'K', 1, 'a', '.')));
    }
}
