package org.scalelab.datasets;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE trained on the corpus ({@link BpeTrainer}). Ids 0–255 are the bytes, 256 + i is
 * merge i, and the last id is the end-of-text token that separates documents. Text is first split
 * with GPT-2's pre-tokenizer pattern (contractions, letter runs with one leading space, digit runs,
 * punctuation runs, whitespace), so merges never cross a word boundary; each piece is then merged
 * by applying the learned merges in the order they were learned, exactly as training did.
 */
public final class BpeTokenizer implements Tokenizer {
    /** GPT-2's pre-tokenizer; Java's \s is ASCII whitespace, which is what {@link #PATTERN_NAME} records. */
    static final Pattern SPLIT = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    static final String PATTERN_NAME = "gpt2-ascii-whitespace";
    static final byte[] EOT_TEXT = "<|endoftext|>".getBytes(StandardCharsets.UTF_8);
    private static final int CACHE_MAX = 200_000;

    private final int[] merges;          // [2i], [2i+1]: the pair merged into id 256 + i
    private final byte[][] bytesOf;      // id → the bytes it stands for (the end-of-text token: none)
    private final HashMap<Long, Integer> rank = new HashMap<>(); // pair → merge index
    private final HashMap<String, int[]> cache = new HashMap<>();

    BpeTokenizer(int[] merges) {
        if (merges.length % 2 != 0) throw new IllegalArgumentException("odd merge list");
        this.merges = merges.clone();
        int n = merges.length / 2;
        bytesOf = new byte[256 + n + 1][];
        for (int b = 0; b < 256; b++) bytesOf[b] = new byte[]{(byte) b};
        for (int i = 0; i < n; i++) {
            int a = merges[2 * i], b = merges[2 * i + 1];
            if (a < 0 || b < 0 || a >= 256 + i || b >= 256 + i) {
                throw new IllegalArgumentException("merge " + i + " refers to id " + Math.max(a, b) + " not yet defined");
            }
            byte[] x = bytesOf[a], y = bytesOf[b];
            byte[] z = Arrays.copyOf(x, x.length + y.length);
            System.arraycopy(y, 0, z, x.length, y.length);
            bytesOf[256 + i] = z;
            if (rank.putIfAbsent(key(a, b), i) != null) throw new IllegalArgumentException("pair merged twice at " + i);
        }
        bytesOf[256 + n] = new byte[0];
    }

    static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    /** Trains a tokenizer of {@code vocabSize} ids on {@code text} (see {@link BpeTrainer} for corpora). */
    public static BpeTokenizer train(String text, int vocabSize) {
        BpeTrainer t = new BpeTrainer();
        t.add(text);
        return t.train(vocabSize);
    }

    @Override public String kind() { return "bpe"; }

    @Override public int vocabSize() { return bytesOf.length; }

    /** Number of merges learned (vocabSize − 257). */
    public int mergeCount() { return merges.length / 2; }

    @Override public OptionalInt eot() { return OptionalInt.of(bytesOf.length - 1); }

    @Override
    public int[] encode(String text) {
        int[] out = new int[Math.max(16, text.length() / 2)];
        int n = 0;
        Matcher m = SPLIT.matcher(text);
        while (m.find()) {
            String piece = m.group();
            int[] ids = encodePiece(piece);
            if (n + ids.length > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    private int[] encodePiece(String piece) {
        int[] hit = cache.get(piece);
        if (hit != null) return hit;
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        int[] s = new int[b.length];
        for (int i = 0; i < b.length; i++) s[i] = b[i] & 0xFF;
        int len = s.length;
        while (len >= 2) {
            int best = Integer.MAX_VALUE;
            for (int j = 0; j + 1 < len; j++) {
                Integer r = rank.get(key(s[j], s[j + 1]));
                if (r != null && r < best) best = r;
            }
            if (best == Integer.MAX_VALUE) break;
            len = BpeTrainer.mergeInPlace(s, len, merges[2 * best], merges[2 * best + 1], 256 + best);
        }
        int[] ids = Arrays.copyOf(s, len);
        if (cache.size() >= CACHE_MAX) cache.clear();
        cache.put(piece, ids);
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 3);
        int eot = bytesOf.length - 1;
        for (int id : ids) out.writeBytes(id == eot ? EOT_TEXT : bytesOf[id]);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 3);
        for (int id : ids) out.writeBytes(bytesOf[id]);
        return out.toByteArray();
    }

    int tokenBytes(int id) {
        return bytesOf[id].length;
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kind", kind());
        n.put("vocabSize", vocabSize());
        n.put("pattern", PATTERN_NAME);
        n.put("eot", vocabSize() - 1);
        var arr = n.putArray("merges"); // flat pairs: [a0, b0, a1, b1, …]; merge i makes id 256 + i
        for (int x : merges) arr.add(x);
        return n;
    }

    static BpeTokenizer fromJson(JsonNode n, String where) {
        if (!PATTERN_NAME.equals(n.path("pattern").asText())) {
            throw new UserError(where + ": bpe tokenizer with pre-tokenizer '" + n.path("pattern").asText()
                    + "', this version knows '" + PATTERN_NAME + "'; re-run data prepare");
        }
        JsonNode arr = n.get("merges");
        if (arr == null || !arr.isArray()) throw new UserError(where + ": bpe tokenizer without a 'merges' array; re-run data prepare");
        int[] m = new int[arr.size()];
        for (int i = 0; i < m.length; i++) m[i] = arr.get(i).asInt();
        try {
            BpeTokenizer t = new BpeTokenizer(m);
            if (n.has("vocabSize") && n.get("vocabSize").asInt() != t.vocabSize()) {
                throw new UserError(where + ": vocabSize " + n.get("vocabSize").asInt() + " but " + t.mergeCount()
                        + " merges (vocabulary " + t.vocabSize() + "); the file is corrupt, re-run data prepare");
            }
            return t;
        } catch (IllegalArgumentException e) {
            throw new UserError(where + ": bad 'merges' (" + e.getMessage() + "); re-run data prepare");
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof BpeTokenizer b && Arrays.equals(b.merges, merges);
    }

    @Override public int hashCode() { return Arrays.hashCode(merges); }

    /** The merges as learned, for inspection: pair i is (merges()[2i], merges()[2i+1]). */
    public int[] merges() { return merges.clone(); }

    /** The vocabulary entry of {@code id} as text (for inspection; may be part of a character). */
    public String piece(int id) {
        return id == vocabSize() - 1 ? "<|endoftext|>" : new String(bytesOf[id], StandardCharsets.UTF_8);
    }
}
