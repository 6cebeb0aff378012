package org.scalelab.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Character-level tokenizer: one id per distinct Unicode code point of the training text, sorted,
 * so the same text always yields the same vocabulary (nanoGPT's shakespeare_char convention).
 */
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;          // id → code point, ascending for fitted vocabularies
    private final Map<Integer, Integer> ids; // code point → id
    private final int[] ascii;               // code point < 128 → id, or -1: the common case without boxing

    public CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints.clone();
        this.ids = new HashMap<>();
        this.ascii = new int[128];
        Arrays.fill(ascii, -1);
        for (int i = 0; i < this.codePoints.length; i++) {
            int cp = this.codePoints[i];
            if (cp < 0 || cp > Character.MAX_CODE_POINT) throw new IllegalArgumentException("not a code point: " + cp);
            if (ids.put(cp, i) != null) throw new IllegalArgumentException("code point listed twice: " + cp);
            if (cp < 128) ascii[cp] = i;
        }
    }

    /** The vocabulary of every code point that occurs in {@code text}. */
    public static CharTokenizer fit(String text) {
        BitSet set = new BitSet();
        text.codePoints().forEach(set::set);
        return of(set);
    }

    /** The vocabulary of the code points set in {@code set}, ascending. */
    static CharTokenizer of(BitSet set) {
        return new CharTokenizer(set.stream().toArray());
    }

    @Override public String kind() { return "char"; }

    @Override public int vocabSize() { return codePoints.length; }

    @Override
    public int[] encode(String text) {
        int[] out = new int[text.length()];
        int n = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int id = cp < 128 ? ascii[cp] : ids.getOrDefault(cp, -1);
            if (id < 0) {
                throw new UnknownCharacter("character " + describe(cp) + " is not in the character vocabulary of "
                        + codePoints.length + " symbols; use only characters that occur in the training corpus");
            }
            out[n++] = id;
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder(tokens.length);
        for (int t : tokens) sb.appendCodePoint(codePoints[t]);
        return sb.toString();
    }

    /** The code points, id order. */
    public int[] codePoints() { return codePoints.clone(); }

    @Override
    public ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kind", kind());
        n.put("vocabSize", vocabSize());
        var arr = n.putArray("codePoints");
        for (int cp : codePoints) arr.add(cp);
        return n;
    }

    static CharTokenizer fromJson(JsonNode n, String where) {
        JsonNode arr = n.get("codePoints");
        if (arr == null || !arr.isArray()) throw new UserError(where + ": char tokenizer without a 'codePoints' array; re-run data prepare");
        int[] cps = new int[arr.size()];
        for (int i = 0; i < cps.length; i++) cps[i] = arr.get(i).asInt();
        try {
            return new CharTokenizer(cps);
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": bad 'codePoints' (" + e.getMessage() + "); re-run data prepare");
        }
    }

    int tokenBytes(int id) {
        return new String(Character.toChars(codePoints[id])).getBytes(StandardCharsets.UTF_8).length;
    }

    private static String describe(int cp) {
        return "'" + new String(Character.toChars(cp)) + "' (U+" + String.format("%04X", cp) + ")";
    }

    /** Text with a character outside the vocabulary. */
    static final class UnknownCharacter extends UserError {
        UnknownCharacter(String message) {
            super(message);
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof CharTokenizer c && Arrays.equals(c.codePoints, codePoints);
    }

    @Override public int hashCode() { return Arrays.hashCode(codePoints); }

    /** Reads a tokenizer file written by {@link Tokenizer#save}, of any kind (same as {@link Tokenizers#load}). */
    public static Tokenizer load(Path file) {
        return Tokenizers.load(file);
    }
}
