package org.scalelab.datasets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough of Python's pickle format to read and write nanoGPT's {@code meta.pkl}: a dict with
 * {@code vocab_size}, {@code itos} (id → character) and {@code stoi} (character → id). The reader takes
 * protocols 2–5 and refuses anything but ints, strings, None, booleans, lists, tuples and dicts; the
 * writer emits protocol 4 with ints, strings and dicts only.
 */
public final class Pickles {
    private static final Object MARK = new Object();

    private Pickles() {}

    /** The character tokenizer of a nanoGPT {@code meta.pkl}. */
    static CharTokenizer charTokenizer(Path pkl) {
        Object o;
        try {
            o = load(Files.readAllBytes(pkl));
        } catch (IOException | RuntimeException e) {
            throw new UserError(pkl + ": cannot read nanoGPT's meta.pkl (" + e.getMessage() + "); write a tokenizer.json beside it "
                    + "(scalelab data prepare) or remove meta.pkl to use GPT-2's tokenizer");
        }
        if (!(o instanceof Map<?, ?> m) || !(m.get("itos") instanceof Map<?, ?> itos)) {
            throw new UserError(pkl + ": no 'itos' dict; not a nanoGPT character-level meta.pkl");
        }
        int[] cps = new int[itos.size()];
        for (int i = 0; i < cps.length; i++) {
            Object s = itos.get((long) i);
            if (!(s instanceof String str) || str.codePointCount(0, str.length()) != 1) {
                throw new UserError(pkl + ": itos[" + i + "] is not a single character; not a character-level vocabulary");
            }
            cps[i] = str.codePointAt(0);
        }
        return new CharTokenizer(cps);
    }

    /** Unpickles ints, strings, None, booleans, lists, tuples and dicts. */
    static Object load(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Deque<Object> stack = new ArrayDeque<>();
        Map<Long, Object> memo = new HashMap<>();
        while (b.hasRemaining()) {
            int op = b.get() & 0xFF;
            switch (op) {
                case 0x80 -> b.get();                                       // PROTO
                case 0x95 -> b.getLong();                                   // FRAME
                case '}' -> stack.push(new LinkedHashMap<Object, Object>()); // EMPTY_DICT
                case ']' -> stack.push(new ArrayList<>());                   // EMPTY_LIST
                case ')' -> stack.push(new ArrayList<>());                   // EMPTY_TUPLE
                case '(' -> stack.push(MARK);
                case 'N' -> stack.push(NONE);
                case 0x88 -> stack.push(Boolean.TRUE);
                case 0x89 -> stack.push(Boolean.FALSE);
                case 'K' -> stack.push((long) (b.get() & 0xFF));             // BININT1
                case 'M' -> stack.push((long) (b.getShort() & 0xFFFF));      // BININT2
                case 'J' -> stack.push((long) b.getInt());                   // BININT
                case 0x8A -> {                                                // LONG1
                    int n = b.get() & 0xFF;
                    long v = 0;
                    for (int i = 0; i < n; i++) v |= (long) (b.get() & 0xFF) << (8 * i);
                    if (n > 0 && n < 8 && (v >> (8 * n - 1) & 1) == 1) v -= 1L << (8 * n);
                    stack.push(v);
                }
                case 0x8C -> stack.push(str(b, b.get() & 0xFF));             // SHORT_BINUNICODE
                case 'X' -> stack.push(str(b, b.getInt()));                  // BINUNICODE
                case 0x8D -> stack.push(str(b, (int) b.getLong()));          // BINUNICODE8
                case 0x94 -> memo.put((long) memo.size(), stack.peek());     // MEMOIZE
                case 'q' -> memo.put((long) (b.get() & 0xFF), stack.peek()); // BINPUT
                case 'r' -> memo.put((long) b.getInt(), stack.peek());       // LONG_BINPUT
                case 'h' -> stack.push(memo.get((long) (b.get() & 0xFF)));   // BINGET
                case 'j' -> stack.push(memo.get((long) b.getInt()));         // LONG_BINGET
                case 's' -> {                                                 // SETITEM
                    Object v = stack.pop(), k = stack.pop();
                    dict(stack.peek()).put(k, v);
                }
                case 'u' -> {                                                 // SETITEMS
                    List<Object> items = popMark(stack);
                    Map<Object, Object> d = dict(stack.peek());
                    for (int i = 0; i + 1 < items.size(); i += 2) d.put(items.get(i), items.get(i + 1));
                }
                case 'a' -> {                                                 // APPEND
                    Object v = stack.pop();
                    list(stack.peek()).add(v);
                }
                case 'e' -> list(stack.peek()).addAll(popMark(stack));        // APPENDS
                case 't' -> stack.push(popMark(stack));                       // TUPLE
                case 0x85 -> stack.push(new ArrayList<>(List.of(stack.pop()))); // TUPLE1
                case '.' -> {                                                 // STOP
                    return stack.pop();
                }
                default -> throw new IllegalArgumentException(String.format("unsupported pickle opcode 0x%02X at byte %d", op, b.position() - 1));
            }
        }
        throw new IllegalArgumentException("no STOP opcode");
    }

    private static final Object NONE = new Object();

    private static String str(ByteBuffer b, int n) {
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static List<Object> popMark(Deque<Object> stack) {
        List<Object> items = new ArrayList<>();
        while (stack.peek() != MARK) items.add(0, stack.pop());
        stack.pop();
        return items;
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) {
        if (!(o instanceof Map)) throw new IllegalArgumentException("SETITEM on a non-dict");
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        if (!(o instanceof List)) throw new IllegalArgumentException("APPEND on a non-list");
        return (List<Object>) o;
    }

    // ---- writing ------------------------------------------------------------------------------------------

    /**
     * nanoGPT's {@code meta.pkl} for a character vocabulary, as data/shakespeare_char/prepare.py builds it:
     * {@code {'vocab_size': V, 'itos': {i: ch}, 'stoi': {ch: i}}}, in that key order, ids ascending.
     */
    static byte[] nanogptMeta(CharTokenizer tok) {
        int[] cps = tok.codePoints();
        Map<Object, Object> itos = new LinkedHashMap<>(), stoi = new LinkedHashMap<>();
        for (int i = 0; i < cps.length; i++) {
            String ch = new String(Character.toChars(cps[i]));
            itos.put(i, ch);
            stoi.put(ch, i);
        }
        Map<Object, Object> meta = new LinkedHashMap<>();
        meta.put("vocab_size", cps.length);
        meta.put("itos", itos);
        meta.put("stoi", stoi);
        return dump(meta);
    }

    /**
     * Writes {@code meta.pkl} into a store folder when its tokens are characters in uint16 files, so that
     * nanoGPT's train.py and sample.py read the store as they read data/shakespeare_char. Other
     * vocabularies get none: without meta.pkl nanoGPT assumes GPT-2's tokens, and a uint32 file is not
     * what its {@code np.memmap(..., dtype=np.uint16)} reads. Returns whether it wrote one.
     */
    public static boolean writeNanogptMeta(Path dir, Tokenizer tok) {
        if (tok instanceof CharTokenizer c && TokenStore.dtypeFor(c.vocabSize()).equals("uint16")) {
            Files2.writeAtomic(dir.resolve(TokenStore.NANOGPT_META), nanogptMeta(c));
            return true;
        }
        return false;
    }

    // Opcodes the writer uses, by the names Python's pickle module gives them.
    private static final int PROTO = 0x80, EMPTY_DICT = '}', MARK_OP = '(', SETITEMS = 'u', STOP = '.',
            BININT1 = 'K', BININT2 = 'M', BININT = 'J', LONG1 = 0x8A, SHORT_BINUNICODE = 0x8C, BINUNICODE = 'X';
    private static final int BATCH = 1000; // items per MARK … SETITEMS, as CPython's pickler batches them

    /**
     * Pickles ints (Integer, Long), strings and dicts (in their iteration order, so a LinkedHashMap keeps its
     * order in Python's dict) with protocol 4 opcodes. No FRAME and no memo: both are optional for the
     * unpickler, and a repeated string is simply written again.
     */
    static byte[] dump(Object o) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(PROTO);
        out.write(4);
        save(out, o);
        out.write(STOP);
        return out.toByteArray();
    }

    private static void save(ByteArrayOutputStream out, Object o) {
        if (o instanceof Integer || o instanceof Long) {
            saveInt(out, ((Number) o).longValue());
        } else if (o instanceof String s) {
            byte[] b = utf8(s);
            if (b.length < 256) {
                out.write(SHORT_BINUNICODE);
                out.write(b.length);
            } else {
                out.write(BINUNICODE);
                le(out, b.length, 4);
            }
            out.write(b, 0, b.length);
        } else if (o instanceof Map<?, ?> m) {
            out.write(EMPTY_DICT);
            int k = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (k % BATCH == 0) out.write(MARK_OP);
                save(out, e.getKey());
                save(out, e.getValue());
                if (++k % BATCH == 0 || k == m.size()) out.write(SETITEMS);
            }
        } else {
            throw new IllegalArgumentException("cannot pickle " + (o == null ? "null" : o.getClass().getSimpleName()));
        }
    }

    /** The smallest of BININT1, BININT2, BININT, LONG1 that holds {@code v}, as CPython's pickler chooses. */
    private static void saveInt(ByteArrayOutputStream out, long v) {
        if (v >= 0 && v <= 0xFF) {
            out.write(BININT1);
            out.write((int) v);
        } else if (v >= 0 && v <= 0xFFFF) {
            out.write(BININT2);
            le(out, v, 2);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            out.write(BININT);
            le(out, v, 4);
        } else {
            // two's complement, little-endian, in the fewest bytes whose top bit is the sign
            int n = 8;
            while (n > 1 && (v >> (8 * (n - 1) - 1)) == (v >> 63)) n--;
            out.write(LONG1);
            out.write(n);
            le(out, v, n);
        }
    }

    private static void le(ByteArrayOutputStream out, long v, int bytes) {
        for (int i = 0; i < bytes; i++) out.write((int) (v >>> (8 * i)) & 0xFF);
    }

    /**
     * UTF-8 of every code point, an unpaired surrogate included (as three bytes): what CPython's pickler
     * writes for a str, with its 'surrogatepass' error handler.
     */
    private static byte[] utf8(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length() + 8);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp < 0x80) {
                b.write(cp);
            } else if (cp < 0x800) {
                b.write(0xC0 | cp >> 6);
                b.write(0x80 | cp & 0x3F);
            } else if (cp < 0x10000) {
                b.write(0xE0 | cp >> 12);
                b.write(0x80 | cp >> 6 & 0x3F);
                b.write(0x80 | cp & 0x3F);
            } else {
                b.write(0xF0 | cp >> 18);
                b.write(0x80 | cp >> 12 & 0x3F);
                b.write(0x80 | cp >> 6 & 0x3F);
                b.write(0x80 | cp & 0x3F);
            }
        }
        return b.toByteArray();
    }
}
