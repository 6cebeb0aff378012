package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.scalelab.datasets.Gpt2Tokenizer;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.Tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokenizer files that transformers' {@code GPT2Tokenizer} / {@code AutoTokenizer} load for the run's
 * tokenizer, where one exists: GPT-2's own ({@code vocab.json}, {@code merges.txt}) and the byte tokenizer
 * (the same byte-level BPE format with the 256 bytes as the vocabulary and no merges, so every byte is
 * its own token with id = byte value).
 *
 * <p>GPT-2's vocabulary comes from the token ranks jtokkit ships ({@code r50k_base.tiktoken}: base64
 * bytes and rank per line; rank = GPT-2's id). Byte-level BPE writes each byte as a printable character
 * (GPT-2's bytes-to-unicode table), and each merge is recovered from the ranks: running BPE on a token's
 * bytes with only the merges of lower rank ends in exactly the two parts that merge into it.
 */
final class HfTokenizerFiles {
    private HfTokenizerFiles() {}

    static boolean supports(Tokenizer tok) {
        return tok.kind().equals("gpt2") || tok.kind().equals("byte");
    }

    /** File name → content for {@code tok}; call only when {@link #supports} says so. */
    static Map<String, byte[]> files(Tokenizer tok, int maxLength) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        List<byte[]> tokens = tok.kind().equals("gpt2") ? gpt2Tokens() : byteTokens();
        ObjectNode vocab = Json.MAPPER.createObjectNode();
        for (int i = 0; i < tokens.size(); i++) vocab.put(printable(tokens.get(i)), i);
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("tokenizer_class", "GPT2Tokenizer");
        config.put("model_max_length", maxLength);
        config.put("add_prefix_space", false);
        ObjectNode special = Json.MAPPER.createObjectNode();
        if (tok.kind().equals("gpt2")) {
            vocab.put("<|endoftext|>", Gpt2Tokenizer.EOT);
            for (String k : new String[]{"bos_token", "eos_token", "unk_token"}) {
                config.put(k, "<|endoftext|>");
                special.put(k, "<|endoftext|>");
            }
        } else {
            // no special tokens: GPT2Tokenizer would otherwise add <|endoftext|> as id 256, outside the model's vocabulary
            for (String k : new String[]{"bos_token", "eos_token", "unk_token"}) config.putNull(k);
        }
        StringBuilder merges = new StringBuilder("#version: 0.2\n");
        for (String[] m : merges(tokens)) merges.append(m[0]).append(' ').append(m[1]).append('\n');
        out.put("vocab.json", json(vocab));
        out.put("merges.txt", merges.toString().getBytes(StandardCharsets.UTF_8));
        out.put("tokenizer_config.json", json(config));
        out.put("special_tokens_map.json", json(special));
        return out;
    }

    private static byte[] json(ObjectNode n) {
        try {
            return (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** GPT-2's tokens by id (rank), without the end-of-text token. */
    static List<byte[]> gpt2Tokens() {
        List<byte[]> out = new ArrayList<>();
        try (InputStream in = HfTokenizerFiles.class.getResourceAsStream("/com/knuddels/jtokkit/r50k_base.tiktoken")) {
            if (in == null) throw new IllegalStateException("jtokkit's r50k_base.tiktoken is not on the classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                int sp = line.indexOf(' ');
                int rank = Integer.parseInt(line.substring(sp + 1).trim());
                if (rank != out.size()) throw new IllegalStateException("r50k_base.tiktoken: rank " + rank + " out of order");
                out.add(Base64.getDecoder().decode(line.substring(0, sp)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static List<byte[]> byteTokens() {
        List<byte[]> out = new ArrayList<>();
        for (int b = 0; b < 256; b++) out.add(new byte[]{(byte) b});
        return out;
    }

    /** The merges, in rank order, as pairs of printable token strings. */
    static List<String[]> merges(List<byte[]> tokens) {
        Map<String, Integer> rank = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) rank.put(latin1(tokens.get(i)), i);
        List<String[]> out = new ArrayList<>();
        for (int r = 0; r < tokens.size(); r++) {
            byte[] t = tokens.get(r);
            if (t.length < 2) continue;
            List<String> parts = new ArrayList<>();
            for (byte b : t) parts.add(latin1(new byte[]{b}));
            while (parts.size() > 2) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer k = rank.get(parts.get(i) + parts.get(i + 1));
                    if (k != null && k < r && k < bestRank) {
                        bestRank = k;
                        best = i;
                    }
                }
                if (best < 0) break;
                parts.set(best, parts.get(best) + parts.remove(best + 1));
            }
            if (parts.size() != 2) throw new IllegalStateException("token " + r + " is not the merge of two lower-ranked tokens");
            out.add(new String[]{printable(parts.get(0).getBytes(StandardCharsets.ISO_8859_1)),
                    printable(parts.get(1).getBytes(StandardCharsets.ISO_8859_1))});
        }
        return out;
    }

    private static String latin1(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static final char[] BYTE_CHAR = byteChars();

    /** GPT-2's table: printable Latin-1 bytes stand for themselves, the other 68 for U+0100 onwards, in byte order. */
    private static char[] byteChars() {
        char[] c = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            c[b] = printable ? (char) b : (char) next++;
        }
        return c;
    }

    /** A token's bytes in byte-level BPE's printable form. */
    static String printable(byte[] bytes) {
        StringBuilder s = new StringBuilder(bytes.length);
        for (byte b : bytes) s.append(BYTE_CHAR[b & 0xFF]);
        return s.toString();
    }
}
