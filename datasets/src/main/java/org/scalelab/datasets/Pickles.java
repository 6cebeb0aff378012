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

    /** Limits of the reader: far above any meta.pkl (65,536 characters need about 1 MB), far below what exhausts memory or the stack. */
    static final long MAX_FILE_BYTES = 64L << 20;
    static final int MAX_DEPTH = 64;          // containers inside containers; meta.pkl has 2
    static final int MAX_ITEMS = 1 << 22;     // list elements and dict entries in all
    static final int MAX_STRING_BYTES = 1 << 20;

    /** A file the reader does not take, with what is wrong and where; the message is one line for a UserError. */
    static final class BadPickle extends IllegalArgumentException {
        BadPickle(String message) {
            super(message);
        }
    }

    /** The character tokenizer of a nanoGPT {@code meta.pkl}. */
    static CharTokenizer charTokenizer(Path pkl) {
        String fix = "; write a tokenizer.json beside it (scalelab data prepare) or remove meta.pkl to use GPT-2's tokenizer";
        Object o;
        try {
            long size = Files.size(pkl);
            if (size > MAX_FILE_BYTES) {
                throw new BadPickle(String.format(java.util.Locale.ROOT, "%,d bytes, more than the %,d MB a vocabulary file can need",
                        size, MAX_FILE_BYTES >> 20));
            }
            o = load(Files.readAllBytes(pkl));
        } catch (IOException e) {
            throw new UserError(pkl + ": cannot read nanoGPT's meta.pkl (" + Files2.reason(e) + ")" + fix);
        } catch (BadPickle e) {
            throw new UserError(pkl + ": cannot read nanoGPT's meta.pkl (" + e.getMessage() + ")" + fix);
        }
        if (!(o instanceof Map<?, ?> m) || !(m.get("itos") instanceof Map<?, ?> itos)) {
            throw new UserError(pkl + ": no 'itos' dict; not a nanoGPT character-level meta.pkl" + fix);
        }
        int[] cps = new int[itos.size()];
        for (int i = 0; i < cps.length; i++) {
            Object s = itos.get((long) i);
            if (!(s instanceof String str) || str.codePointCount(0, str.length()) != 1) {
                throw new UserError(pkl + ": itos[" + i + "] is not a single character; not a character-level vocabulary" + fix);
            }
            cps[i] = str.codePointAt(0);
        }
        return new CharTokenizer(cps);
    }

    /**
     * Unpickles ints, strings, None, booleans, lists, tuples and dicts (keys: ints, strings, booleans,
     * None). Anything else, a truncated file, a structure that contains itself or one nested deeper than
     * {@value #MAX_DEPTH} is a {@link BadPickle} naming the opcode and its byte offset.
     */
    static Object load(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        Deque<Object> stack = new ArrayDeque<>();
        Map<Long, Object> memo = new HashMap<>();
        long[] items = {0};
        while (b.hasRemaining()) {
            int at = b.position();
            int op = b.get() & 0xFF;
            try {
                switch (op) {
                    case 0x80 -> {                                                // PROTO
                        int v = b.get() & 0xFF;
                        if (v < 2 || v > 5) throw bad(op, at, "protocol " + v + "; this reader takes protocols 2 to 5");
                    }
                    case 0x95 -> b.getLong();                                     // FRAME
                    case '}' -> stack.push(new LinkedHashMap<Object, Object>());   // EMPTY_DICT
                    case ']' -> stack.push(new ArrayList<>());                     // EMPTY_LIST
                    case ')' -> stack.push(new ArrayList<>());                     // EMPTY_TUPLE
                    case '(' -> stack.push(MARK);
                    case 'N' -> stack.push(NONE);
                    case 0x88 -> stack.push(Boolean.TRUE);
                    case 0x89 -> stack.push(Boolean.FALSE);
                    case 'K' -> stack.push((long) (b.get() & 0xFF));               // BININT1
                    case 'M' -> stack.push((long) (b.getShort() & 0xFFFF));        // BININT2
                    case 'J' -> stack.push((long) b.getInt());                     // BININT
                    case 0x8A -> {                                                  // LONG1
                        int n = b.get() & 0xFF;
                        if (n > 8) throw bad(op, at, "an integer of " + n + " bytes, wider than 64 bits");
                        long v = 0;
                        for (int i = 0; i < n; i++) v |= (long) (b.get() & 0xFF) << (8 * i);
                        if (n > 0 && n < 8 && (v >> (8 * n - 1) & 1) == 1) v -= 1L << (8 * n);
                        stack.push(v);
                    }
                    case 0x8C -> stack.push(str(b, b.get() & 0xFF, op, at));       // SHORT_BINUNICODE
                    case 'X' -> stack.push(str(b, Integer.toUnsignedLong(b.getInt()), op, at)); // BINUNICODE
                    case 0x8D -> stack.push(str(b, b.getLong(), op, at));          // BINUNICODE8
                    case 0x94 -> memo.put((long) memo.size(), top(stack, op, at)); // MEMOIZE
                    case 'q' -> memo.put((long) (b.get() & 0xFF), top(stack, op, at)); // BINPUT
                    case 'r' -> memo.put(Integer.toUnsignedLong(b.getInt()), top(stack, op, at)); // LONG_BINPUT
                    case 'h' -> stack.push(memoGet(memo, b.get() & 0xFF, op, at));  // BINGET
                    case 'j' -> stack.push(memoGet(memo, Integer.toUnsignedLong(b.getInt()), op, at)); // LONG_BINGET
                    case 's' -> {                                                   // SETITEM
                        Object v = pop(stack, op, at), k = pop(stack, op, at);
                        put(dict(top(stack, op, at), op, at), k, v, op, at);
                        count(items, 1, op, at);
                    }
                    case 'u' -> {                                                   // SETITEMS
                        List<Object> kv = popMark(stack, op, at);
                        if (kv.size() % 2 != 0) throw bad(op, at, "an odd number of keys and values (" + kv.size() + ")");
                        Map<Object, Object> d = dict(top(stack, op, at), op, at);
                        count(items, kv.size() / 2, op, at);
                        for (int i = 0; i + 1 < kv.size(); i += 2) put(d, kv.get(i), kv.get(i + 1), op, at);
                    }
                    case 'a' -> {                                                   // APPEND
                        Object v = pop(stack, op, at);
                        if (v == MARK) throw bad(op, at, "a MARK as a list element");
                        list(top(stack, op, at), op, at).add(v);
                        count(items, 1, op, at);
                    }
                    case 'e' -> {                                                   // APPENDS
                        List<Object> vs = popMark(stack, op, at);
                        count(items, vs.size(), op, at);
                        list(top(stack, op, at), op, at).addAll(vs);
                    }
                    case 't' -> stack.push(popMark(stack, op, at));                 // TUPLE
                    case 0x85 -> {                                                  // TUPLE1
                        Object v = pop(stack, op, at);
                        if (v == MARK) throw bad(op, at, "a MARK as a tuple element");
                        stack.push(new ArrayList<>(List.of(v)));
                    }
                    case '.' -> {                                                   // STOP
                        Object result = pop(stack, op, at);
                        if (result == MARK) throw bad(op, at, "a MARK where the result should be");
                        checkShape(result, at);
                        return result;
                    }
                    default -> throw new BadPickle(String.format(java.util.Locale.ROOT,
                            "unknown or unsupported opcode 0x%02X at offset %d; this reader takes ints, strings, None, booleans, lists, "
                                    + "tuples and dicts only", op, at));
                }
            } catch (java.nio.BufferUnderflowException e) {
                throw new BadPickle(String.format(java.util.Locale.ROOT, "truncated file: it ends inside opcode 0x%02X at offset %d (%,d bytes)",
                        op, at, data.length));
            }
        }
        throw new BadPickle(String.format(java.util.Locale.ROOT, "truncated file: %,d bytes without the STOP opcode ('.') that ends a pickle",
                data.length));
    }

    private static final Object NONE = new Object();

    private static BadPickle bad(int op, int at, String what) {
        return new BadPickle(String.format(java.util.Locale.ROOT, "opcode 0x%02X at offset %d: %s", op, at, what));
    }

    private static String str(ByteBuffer b, long n, int op, int at) {
        if (n < 0 || n > b.remaining()) {
            throw new BadPickle(String.format(java.util.Locale.ROOT, "truncated file: the string of opcode 0x%02X at offset %d claims %,d bytes "
                    + "but %,d are left", op, at, n, b.remaining()));
        }
        if (n > MAX_STRING_BYTES) throw bad(op, at, String.format(java.util.Locale.ROOT, "a string of %,d bytes, more than the %,d a vocabulary holds", n, MAX_STRING_BYTES));
        byte[] s = new byte[(int) n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static Object pop(Deque<Object> stack, int op, int at) {
        if (stack.isEmpty()) throw bad(op, at, "the stack is empty; the file is damaged or not a pickle");
        return stack.pop();
    }

    private static Object top(Deque<Object> stack, int op, int at) {
        if (stack.isEmpty()) throw bad(op, at, "the stack is empty; the file is damaged or not a pickle");
        return stack.peek();
    }

    private static Object memoGet(Map<Long, Object> memo, long slot, int op, int at) {
        Object o = memo.get(slot);
        if (o == null) throw bad(op, at, "memo slot " + slot + " was never stored");
        return o;
    }

    private static void count(long[] items, long n, int op, int at) {
        items[0] += n;
        if (items[0] > MAX_ITEMS) throw bad(op, at, String.format(java.util.Locale.ROOT, "more than %,d list and dict items", MAX_ITEMS));
    }

    /** Keys are scalars: a container key would be hashed through its contents, which may contain the dict itself. */
    private static void put(Map<Object, Object> d, Object k, Object v, int op, int at) {
        if (!(k instanceof Long || k instanceof String || k instanceof Boolean || k == NONE)) {
            throw bad(op, at, "a dict key that is " + (k == MARK ? "a MARK" : "a list, tuple or dict") + "; keys here are ints and strings");
        }
        if (v == MARK) throw bad(op, at, "a MARK as a dict value");
        d.put(k, v);
    }

    private static List<Object> popMark(Deque<Object> stack, int op, int at) {
        List<Object> items = new ArrayList<>();
        while (!stack.isEmpty() && stack.peek() != MARK) items.add(stack.pop());
        if (stack.isEmpty()) throw bad(op, at, "no MARK ('(') before it");
        stack.pop();
        java.util.Collections.reverse(items);
        return items;
    }

    /**
     * Refuses a result that contains itself (memo references can build one, and printing or hashing it
     * would recurse without end) or that nests containers deeper than {@value #MAX_DEPTH}: a walk with an
     * explicit stack, visiting each container once.
     */
    private static void checkShape(Object root, int at) {
        if (!(root instanceof Map || root instanceof List)) return;
        java.util.IdentityHashMap<Object, Integer> depthOf = new java.util.IdentityHashMap<>(); // finished containers
        java.util.Set<Object> onPath = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Deque<Object[]> path = new ArrayDeque<>(); // {container, iterator over its values, deepest child so far}
        path.push(new Object[]{root, children(root), 0});
        onPath.add(root);
        while (!path.isEmpty()) {
            Object[] f = path.peek();
            @SuppressWarnings("unchecked") java.util.Iterator<Object> it = (java.util.Iterator<Object>) f[1];
            if (it.hasNext()) {
                Object c = it.next();
                if (!(c instanceof Map || c instanceof List)) continue;
                if (onPath.contains(c)) throw bad('.', at, "the result contains itself (a recursive structure); meta.pkl is a flat dict of dicts");
                Integer done = depthOf.get(c);
                if (done != null) {
                    if (path.size() + done > MAX_DEPTH) throw bad('.', at, "containers nested deeper than " + MAX_DEPTH);
                    f[2] = Math.max((Integer) f[2], done);
                    continue;
                }
                if (path.size() >= MAX_DEPTH) throw bad('.', at, "containers nested deeper than " + MAX_DEPTH);
                onPath.add(c);
                path.push(new Object[]{c, children(c), 0});
            } else {
                path.pop();
                onPath.remove(f[0]);
                int d = (Integer) f[2] + 1;
                depthOf.put(f[0], d);
                if (!path.isEmpty()) path.peek()[2] = Math.max((Integer) path.peek()[2], d);
            }
        }
    }

    private static java.util.Iterator<?> children(Object container) {
        return container instanceof Map<?, ?> m ? m.values().iterator() : ((List<?>) container).iterator();
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o, int op, int at) {
        if (!(o instanceof Map)) throw bad(op, at, "setting a dict item on something that is not a dict");
        return (Map<Object, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o, int op, int at) {
        if (!(o instanceof List)) throw bad(op, at, "appending to something that is not a list");
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
