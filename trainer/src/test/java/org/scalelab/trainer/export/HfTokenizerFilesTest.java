package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.scalelab.datasets.ByteTokenizer;
import org.scalelab.datasets.Gpt2Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The exported vocab.json and merges.txt tokenize as the run's tokenizer does: a byte-level BPE written
 * here from GPT-2's published algorithm (pre-tokenizing regex, bytes to printable characters, then merging
 * the lowest-ranked adjacent pair until none is left) encodes text to the same ids as jtokkit.
 */
class HfTokenizerFilesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TEXT = "Hello world! It's 2026: the café's naïve coördinator—said \"don't\"\n\n  spaced   out\ttabs 12345 ✓ 🙂 Ünïcödé.";
    static final Pattern GPT2_SPLIT = Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    /** GPT-2's encoder from its two files. */
    static final class Bpe {
        final Map<String, Integer> vocab = new HashMap<>();
        final Map<String, Integer> rank = new HashMap<>();
        final String[] byteChar = new String[256];

        Bpe(byte[] vocabJson, byte[] mergesTxt) throws IOException {
            JSON.readTree(vocabJson).fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
            String[] lines = new String(mergesTxt, StandardCharsets.UTF_8).split("\n");
            assertTrue(lines[0].startsWith("#version"), "merges.txt starts with its version line");
            for (int i = 1; i < lines.length; i++) if (!lines[i].isEmpty()) rank.put(lines[i], i - 1);
            // GPT-2's bytes-to-unicode table
            List<Integer> bs = new ArrayList<>();
            for (int b = '!'; b <= '~'; b++) bs.add(b);
            for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
            for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
            int n = 0;
            for (int b = 0; b < 256; b++) byteChar[b] = bs.contains(b) ? String.valueOf((char) b) : String.valueOf((char) (256 + n++));
        }

        List<Integer> encode(String text) {
            List<Integer> ids = new ArrayList<>();
            Matcher m = GPT2_SPLIT.matcher(text);
            while (m.find()) {
                List<String> parts = new ArrayList<>();
                for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) parts.add(byteChar[b & 0xFF]);
                while (parts.size() > 1) {
                    int best = -1, bestRank = Integer.MAX_VALUE;
                    for (int i = 0; i + 1 < parts.size(); i++) {
                        Integer r = rank.get(parts.get(i) + " " + parts.get(i + 1));
                        if (r != null && r < bestRank) {
                            bestRank = r;
                            best = i;
                        }
                    }
                    if (best < 0) break;
                    parts.set(best, parts.get(best) + parts.remove(best + 1));
                }
                for (String p : parts) ids.add(vocab.get(p));
            }
            return ids;
        }
    }

    @Test
    void gpt2FilesEncodeAsJtokkit() throws IOException {
        Map<String, byte[]> f = HfTokenizerFiles.files(Gpt2Tokenizer.INSTANCE, 1024);
        Bpe bpe = new Bpe(f.get("vocab.json"), f.get("merges.txt"));
        assertEquals(50257, bpe.vocab.size());
        assertEquals(50000, bpe.rank.size(), "GPT-2 has 50,000 merges");
        assertEquals(50256, bpe.vocab.get("<|endoftext|>"));
        int[] want = Gpt2Tokenizer.INSTANCE.encode(TEXT);
        assertEquals(java.util.Arrays.stream(want).boxed().toList(), bpe.encode(TEXT));
        JsonNode conf = JSON.readTree(f.get("tokenizer_config.json"));
        assertEquals("GPT2Tokenizer", conf.path("tokenizer_class").asText());
        assertEquals("<|endoftext|>", conf.path("eos_token").asText());
    }

    @Test
    void byteFilesMapEveryByteToItself() throws IOException {
        Map<String, byte[]> f = HfTokenizerFiles.files(ByteTokenizer.INSTANCE, 64);
        Bpe bpe = new Bpe(f.get("vocab.json"), f.get("merges.txt"));
        assertEquals(256, bpe.vocab.size());
        assertTrue(bpe.rank.isEmpty(), "no merges");
        int[] want = ByteTokenizer.INSTANCE.encode(TEXT);
        assertEquals(java.util.Arrays.stream(want).boxed().toList(), bpe.encode(TEXT));
        assertTrue(JSON.readTree(f.get("tokenizer_config.json")).path("eos_token").isNull(), "no special token outside the 256 ids");
    }
}
