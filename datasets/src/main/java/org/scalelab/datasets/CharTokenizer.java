package org.scalelab.datasets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * Character-level tokenizer: one id per distinct Unicode code point of the training text, sorted,
 * so the same text always yields the same vocabulary (nanoGPT's shakespeare_char convention).
 */
public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;          // id → code point, ascending
    private final Map<Integer, Integer> ids; // code point → id

    public CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints.clone();
        this.ids = new HashMap<>();
        for (int i = 0; i < this.codePoints.length; i++) ids.put(this.codePoints[i], i);
    }

    /** The vocabulary of every code point that occurs in {@code text}. */
    public static CharTokenizer fit(String text) {
        TreeSet<Integer> set = new TreeSet<>();
        text.codePoints().forEach(set::add);
        return new CharTokenizer(set.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override public String kind() { return "char"; }

    @Override public int vocabSize() { return codePoints.length; }

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> {
            Integer id = ids.get(cp);
            if (id == null) {
                throw new UserError("character " + describe(cp) + " is not in the character vocabulary of "
                        + codePoints.length + " symbols; use only characters that occur in the training corpus");
            }
            return id;
        }).toArray();
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
    public void save(Path file) {
        ObjectMapper om = Json.MAPPER;
        ObjectNode n = om.createObjectNode();
        n.put("kind", kind());
        n.put("vocabSize", vocabSize());
        var arr = n.putArray("codePoints");
        for (int cp : codePoints) arr.add(cp);
        Files2.writeAtomic(file, Json.pretty(n));
    }

    static CharTokenizer fromJson(ObjectNode n) {
        var arr = n.get("codePoints");
        int[] cps = new int[arr.size()];
        for (int i = 0; i < cps.length; i++) cps[i] = arr.get(i).asInt();
        return new CharTokenizer(cps);
    }

    private static String describe(int cp) {
        return "'" + new String(Character.toChars(cp)) + "' (U+" + String.format("%04X", cp) + ")";
    }

    @Override public boolean equals(Object o) {
        return o instanceof CharTokenizer c && Arrays.equals(c.codePoints, codePoints);
    }

    @Override public int hashCode() { return Arrays.hashCode(codePoints); }

    /** Reads a tokenizer file written by {@link Tokenizer#save}. */
    public static Tokenizer load(Path file) {
        try {
            ObjectNode n = (ObjectNode) Json.MAPPER.readTree(file.toFile());
            String kind = n.path("kind").asText();
            if (kind.equals("char")) return fromJson(n);
            throw new UserError(file + ": unknown tokenizer kind '" + kind + "'");
        } catch (IOException e) {
            throw new UserError(file + ": cannot read tokenizer (" + e.getMessage() + ")", e);
        }
    }
}
