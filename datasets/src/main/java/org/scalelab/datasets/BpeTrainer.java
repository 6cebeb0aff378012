package org.scalelab.datasets;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;

/**
 * Trains a byte-level BPE vocabulary. Text is split into pre-tokens ({@link BpeTokenizer#SPLIT}) and
 * counted, so training works on the distinct pieces with their counts, not on the text. Each merge
 * takes the most frequent adjacent pair (ties: the smallest pair of ids, so training is deterministic),
 * rewrites only the pieces that contain it, and updates the pair counts of those pieces
 * incrementally; a priority queue with lazy deletion finds the next best pair. Training stops early
 * when no pair occurs twice.
 */
public final class BpeTrainer {
    private final HashMap<String, long[]> counts = new HashMap<>();
    private long textChars;

    /** Counts the pre-tokens of {@code text}; call once per chunk of the corpus. */
    public void add(String text) {
        textChars += text.length();
        Matcher m = BpeTokenizer.SPLIT.matcher(text);
        while (m.find()) counts.computeIfAbsent(m.group(), k -> new long[1])[0]++;
    }

    /** Characters seen so far. */
    public long chars() { return textChars; }

    /** Distinct pre-tokens seen so far. */
    public int pieces() { return counts.size(); }

    private static final class Pair {
        final long key;
        long count;
        long queued = -1;         // the count of the newest queue entry for this pair
        int[] words = new int[4]; // pieces that contain (or once contained) the pair
        int nWords, lastWord = -1;
        int touchedAt = -1;       // the merge that last changed this pair's count

        Pair(long key) { this.key = key; }

        void addWord(int w) {
            if (lastWord == w) return;
            lastWord = w;
            if (nWords == words.length) words = Arrays.copyOf(words, nWords * 2);
            words[nWords++] = w;
        }
    }

    private record Entry(long count, long key) {}

    /** The tokenizer with {@code vocabSize} ids (256 bytes, the merges, the end-of-text token). */
    public BpeTokenizer train(int vocabSize) {
        if (vocabSize < 258) throw new UserError("bpe vocabulary size must be ≥ 258 (256 bytes, one merge, end of text), got " + vocabSize);
        int nMerges = vocabSize - 257;
        // The pieces in a fixed order (sorted), so ids of words never depend on hash iteration order.
        String[] keys = counts.keySet().toArray(new String[0]);
        Arrays.sort(keys);
        int W = keys.length;
        int[][] sym = new int[W][];
        int[] len = new int[W];
        long[] cnt = new long[W];
        for (int w = 0; w < W; w++) {
            byte[] b = keys[w].getBytes(StandardCharsets.UTF_8);
            sym[w] = new int[b.length];
            for (int i = 0; i < b.length; i++) sym[w][i] = b[i] & 0xFF;
            len[w] = b.length;
            cnt[w] = counts.get(keys[w])[0];
        }
        HashMap<Long, Pair> pairs = new HashMap<>();
        for (int w = 0; w < W; w++) {
            for (int j = 0; j + 1 < len[w]; j++) {
                Pair p = pairs.computeIfAbsent(BpeTokenizer.key(sym[w][j], sym[w][j + 1]), Pair::new);
                p.count += cnt[w];
                p.addWord(w);
            }
        }
        PriorityQueue<Entry> pq = new PriorityQueue<>((x, y) -> x.count != y.count ? Long.compare(y.count, x.count) : Long.compare(x.key, y.key));
        for (Pair p : pairs.values()) {
            pq.add(new Entry(p.count, p.key));
            p.queued = p.count;
        }
        int[] merges = new int[2 * nMerges];
        int[] stamp = new int[W];
        Arrays.fill(stamp, -1);
        List<Pair> touched = new ArrayList<>();
        int m = 0;
        for (; m < nMerges; m++) {
            Pair best = null;
            while (!pq.isEmpty()) {
                Entry e = pq.poll();
                Pair p = pairs.get(e.key);
                if (p != null && p.count == e.count && p.queued == e.count) {
                    best = p;
                    break;
                }
            }
            if (best == null || best.count < 2) break;
            int a = (int) (best.key >>> 32), b = (int) best.key, z = 256 + m;
            merges[2 * m] = a;
            merges[2 * m + 1] = b;
            touched.clear();
            int[] ws = best.words;
            int nws = best.nWords;
            for (int i = 0; i < nws; i++) {
                int w = ws[i];
                if (stamp[w] == m) continue;
                stamp[w] = m;
                int[] s = sym[w];
                int L = len[w];
                if (!contains(s, L, a, b)) continue;
                for (int j = 0; j + 1 < L; j++) adjust(pairs, touched, m, s[j], s[j + 1], -cnt[w], -1);
                L = mergeInPlace(s, L, a, b, z);
                len[w] = L;
                // pairs without z were already in this piece, so only the new ones need it in their word list
                for (int j = 0; j + 1 < L; j++) adjust(pairs, touched, m, s[j], s[j + 1], cnt[w], (s[j] == z || s[j + 1] == z) ? w : -1);
            }
            pairs.remove(best.key);
            for (Pair p : touched) {
                if (p.count <= 0) {
                    pairs.remove(p.key);
                } else if (p.count != p.queued) {
                    pq.add(new Entry(p.count, p.key));
                    p.queued = p.count;
                }
            }
        }
        return new BpeTokenizer(Arrays.copyOf(merges, 2 * m));
    }

    private static void adjust(Map<Long, Pair> pairs, List<Pair> touched, int merge, int x, int y, long delta, int word) {
        long k = BpeTokenizer.key(x, y);
        Pair p = pairs.get(k);
        if (p == null) {
            p = new Pair(k);
            pairs.put(k, p);
        }
        if (p.touchedAt != merge) {
            p.touchedAt = merge;
            touched.add(p);
        }
        p.count += delta;
        if (word >= 0) p.addWord(word);
    }

    private static boolean contains(int[] s, int len, int a, int b) {
        for (int j = 0; j + 1 < len; j++) if (s[j] == a && s[j + 1] == b) return true;
        return false;
    }

    /** Replaces every occurrence of (a, b), left to right without overlap, by z; returns the new length. */
    static int mergeInPlace(int[] s, int len, int a, int b, int z) {
        int o = 0;
        for (int j = 0; j < len; ) {
            if (j + 1 < len && s[j] == a && s[j + 1] == b) {
                s[o++] = z;
                j += 2;
            } else {
                s[o++] = s[j++];
            }
        }
        return o;
    }
}
