package org.scalelab.datasets;

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
 * Just enough of Python's pickle format (protocols 2–5) to read nanoGPT's {@code meta.pkl}: a dict with
 * {@code vocab_size}, {@code itos} (id → character) and {@code stoi}. Anything else is refused.
 */
final class Pickles {
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
}
