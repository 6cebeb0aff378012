package org.scalelab.datasets;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Tokenizer kinds by name, and reloading a saved tokenizer. A tokenizer spec (the {@code data.tokenizer}
 * field, {@code --tokenizer}) is one of:
 * <ul>
 *   <li>{@code char}: one id per distinct character of the corpus (the default);</li>
 *   <li>{@code byte}: the 256 byte values;</li>
 *   <li>{@code bpe:VOCAB}: byte-level BPE trained on the corpus with VOCAB ids, e.g. {@code bpe:2048}
 *       ({@code bpe} alone: {@value #DEFAULT_BPE_VOCAB});</li>
 *   <li>{@code gpt2} (also {@code r50k}): GPT-2's BPE, 50,257 ids;</li>
 *   <li>{@code auto}: a token store's or the synthetic corpus' own tokenizer (for text: {@code char}).</li>
 * </ul>
 */
public final class Tokenizers {
    public static final int DEFAULT_BPE_VOCAB = 1024;
    static final String KINDS = "char, byte, bpe:VOCAB (e.g. bpe:2048), gpt2";

    private Tokenizers() {}

    /** A parsed tokenizer spec: the kind and, for bpe, the vocabulary size. */
    public record Spec(String kind, int vocab) {
        /** {@code true} for kinds whose vocabulary is learned from the corpus (char, bpe). */
        public boolean fitted() {
            return kind.equals("char") || kind.equals("bpe");
        }

        @Override public String toString() {
            return kind.equals("bpe") ? "bpe:" + vocab : kind;
        }
    }

    /** Parses a tokenizer spec; {@code null} or blank means {@code char}. */
    public static Spec parse(String spec) {
        String s = spec == null || spec.isBlank() ? "char" : spec.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "char", "chars", "character": return new Spec("char", 0);
            case "byte", "bytes": return new Spec("byte", 256);
            case "gpt2", "gpt-2", "r50k", "r50k_base": return new Spec("gpt2", 50257);
            case "auto", "synthetic": return new Spec("auto", 0);
            case "bpe": return new Spec("bpe", DEFAULT_BPE_VOCAB);
            default:
        }
        if (s.startsWith("bpe:") || s.startsWith("bpe-")) {
            String v = s.substring(4).replace("_", "");
            int mult = 1;
            if (v.endsWith("k")) {
                mult = 1024;
                v = v.substring(0, v.length() - 1);
            }
            try {
                int n = Integer.parseInt(v) * mult;
                if (n < 258 || n > 1 << 20) throw new UserError("tokenizer '" + spec + "': the bpe vocabulary must be in [258, 1048576], e.g. bpe:2048");
                return new Spec("bpe", n);
            } catch (NumberFormatException e) {
                throw new UserError("tokenizer '" + spec + "': '" + s.substring(4) + "' is not a vocabulary size; write e.g. bpe:2048");
            }
        }
        throw new UserError("tokenizer '" + spec + "' is not known; use one of " + KINDS);
    }

    /** The tokenizer of a kind that needs no training (byte, gpt2). */
    static Tokenizer fixed(Spec s) {
        return switch (s.kind()) {
            case "byte" -> ByteTokenizer.INSTANCE;
            case "gpt2" -> Gpt2Tokenizer.INSTANCE;
            default -> throw new IllegalArgumentException(s + " is trained on a corpus");
        };
    }

    /** Reads a tokenizer file written by {@link Tokenizer#save}, of any kind. */
    public static Tokenizer load(Path file) {
        if (!Files.isRegularFile(file)) throw new UserError(file + ": no tokenizer file; re-run data prepare (or train) to write it");
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read tokenizer (" + e.getMessage().split("\n")[0] + "); re-run data prepare");
        }
        if (n == null || !n.isObject()) throw new UserError(file + ": not a tokenizer file (expected a JSON object with 'kind')");
        return fromJson(n, file.toString());
    }

    static Tokenizer fromJson(JsonNode n, String where) {
        String kind = n.path("kind").asText();
        return switch (kind) {
            case "char" -> CharTokenizer.fromJson(n, where);
            case "byte" -> ByteTokenizer.INSTANCE;
            case "bpe" -> BpeTokenizer.fromJson(n, where);
            case "gpt2" -> {
                String enc = n.path("encoding").asText("r50k_base");
                if (!enc.equals("r50k_base")) throw new UserError(where + ": gpt2 tokenizer with encoding '" + enc + "'; only r50k_base is known");
                yield Gpt2Tokenizer.INSTANCE;
            }
            default -> throw new UserError(where + ": unknown tokenizer kind '" + kind + "'; expected one of char, byte, bpe, gpt2");
        };
    }

    /** The spec that recreates a tokenizer's kind: char, byte, bpe:VOCAB, gpt2. */
    public static String specOf(Tokenizer t) {
        return t.kind().equals("bpe") ? "bpe:" + t.vocabSize() : t.kind();
    }

    /** The bytes of the file {@link Tokenizer#save} writes, for checksums. */
    static byte[] fileBytes(Tokenizer t) {
        return Json.pretty(t.toJson()).getBytes(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes each id stands for (end-of-text: 0), for bits-per-byte accounting. */
    static int[] tokenBytes(Tokenizer t) {
        int[] out = new int[t.vocabSize()];
        if (t instanceof CharTokenizer c) {
            for (int i = 0; i < out.length; i++) out[i] = c.tokenBytes(i);
        } else if (t instanceof BpeTokenizer b) {
            for (int i = 0; i < out.length; i++) out[i] = b.tokenBytes(i);
        } else if (t instanceof ByteTokenizer) {
            java.util.Arrays.fill(out, 1);
        } else {
            int[] one = new int[1];
            for (int i = 0; i < out.length; i++) {
                one[0] = i;
                out[i] = t.decodeBytes(one).length;
            }
        }
        t.eot().ifPresent(e -> out[e] = 0);
        return out;
    }

    /** The ids that separate two documents: the end-of-text token, or a newline for char/byte vocabularies. */
    static int[] separator(Tokenizer t) {
        if (t.eot().isPresent()) return new int[]{t.eot().getAsInt()};
        return t.encode("\n");
    }
}
