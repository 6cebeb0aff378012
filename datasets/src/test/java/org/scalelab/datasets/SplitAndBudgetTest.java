package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplitAndBudgetTest {

    static int[] all(TokenSource s) {
        return TokenStoreTest.all(s);
    }

    /** 300 JSONL documents "doc i: …", each a different length. */
    static Path jsonl(Path tmp) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) sb.append("{\"text\": \"doc ").append(i).append(": ").append("la ".repeat(i % 17 + 1)).append("\"}\n");
        return Files.writeString(tmp.resolve("docs.jsonl"), sb.toString());
    }

    @Test
    void theDocumentSplitIsDeterministicAndFollowsTheSeed(@TempDir Path tmp) throws IOException {
        Path j = jsonl(tmp);
        Dataset a = Dataset.open(new DataSpec(j.toString(), "char", 0.2, 0, 7));
        Dataset b = Dataset.open(new DataSpec(j.toString(), "char", 0.2, 0, 7));
        Dataset c = Dataset.open(new DataSpec(j.toString(), "char", 0.2, 0, 8));
        assertEquals("docs", a.describe().split());
        assertArrayEquals(all(a.val()), all(b.val()));
        assertArrayEquals(all(a.train()), all(b.train()));
        assertFalse(Arrays.equals(all(a.val()), all(c.val())), "another seed, another split");
        Set<String> valDocs = new HashSet<>(Arrays.asList(a.tokenizer().decode(all(a.val())).split("\n")));
        Set<String> trainDocs = new HashSet<>(Arrays.asList(a.tokenizer().decode(all(a.train())).split("\n")));
        assertEquals(300, valDocs.size() + trainDocs.size(), "every document in exactly one split");
        valDocs.retainAll(trainDocs);
        assertTrue(valDocs.isEmpty());
        double f = a.tokenizer().decode(all(a.val())).split("\n").length / 300.0;
        assertEquals(0.2, f, 0.07, "about valFraction of the documents (binomial, n = 300)");
        // the same split whether prepared in memory or into a store
        Path out = tmp.resolve("s");
        Prepare.toStore(j.toString(), Prepare.Options.of("char", 0.2, 7), out, false);
        Dataset s = Dataset.open(new DataSpec(out.toString(), "auto", 0.2, 0, 7));
        assertArrayEquals(all(a.val()), all(s.val()));
        assertArrayEquals(all(a.train()), all(s.train()));
    }

    @Test
    void theTailSplitIsTheOneEarlierVersionsMade(@TempDir Path tmp) throws IOException {
        String text = Fixtures.shakespeare();
        Path f = Files.writeString(tmp.resolve("in.txt"), text);
        Dataset d = Dataset.open(new DataSpec(f.toString(), "char", 0.1, 0, 1));
        CharTokenizer tok = CharTokenizer.fit(text);
        int[] ids = tok.encode(text);
        int nVal = (int) Math.max(1, Math.round(ids.length * 0.1));
        assertEquals(tok, d.tokenizer());
        assertArrayEquals(Arrays.copyOfRange(ids, 0, ids.length - nVal), all(d.train()));
        assertArrayEquals(Arrays.copyOfRange(ids, ids.length - nVal, ids.length), all(d.val()));
        assertEquals("in.txt", d.name());
    }

    @Test
    void budgetsAreNestedPrefixesOfOneBlockShuffle() {
        int[] ids = new int[50_000];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        Dataset d = new Dataset("t", "t", CharTokenizer.fit("ab"), TokenSource.of(ids), TokenSource.of(new int[]{0}), Double.NaN,
                "tail", 99, null, null, null, null);
        TokenSource small = d.train(10_000), big = d.train(30_000), whole = d.train(50_000);
        assertEquals(10_000, small.size());
        int[] s = all(small), b = all(big), w = all(whole);
        assertArrayEquals(s, Arrays.copyOf(b, s.length), "D = 1e4 is the start of D = 3e4");
        assertArrayEquals(b, Arrays.copyOf(w, b.length));
        int[] sorted = w.clone();
        Arrays.sort(sorted);
        assertArrayEquals(ids, sorted, "the full budget is a permutation of the training tokens");
        assertFalse(Arrays.equals(Arrays.copyOf(ids, 10_000), s), "not simply the first tokens");
        for (int i = 1; i < Dataset.BUDGET_BLOCK; i++) assertEquals(s[0] + i, s[i], "blocks stay contiguous");
        // get() agrees with read(), also across block borders
        for (long i : new long[]{0, 4095, 4096, 9999}) assertEquals(s[(int) i], small.get(i));
        int[] part = new int[5000];
        big.read(3000, part, 0, 5000);
        assertArrayEquals(Arrays.copyOfRange(b, 3000, 8000), part);
        assertSame(d.train(), d.train(0));
        Dataset other = new Dataset("t", "t", CharTokenizer.fit("ab"), TokenSource.of(ids), TokenSource.of(new int[]{0}), Double.NaN,
                "tail", 100, null, null, null, null);
        assertFalse(Arrays.equals(s, all(other.train(10_000))), "the seed orders the blocks");
        UserError e = assertThrows(UserError.class, () -> d.train(50_001));
        assertEquals("data.tokens = 50,001 is more than the 50,000 training tokens of t; use a larger corpus or a smaller data.tokens (0 = all)",
                e.getMessage());
        assertEquals(10_000, d.describe(10_000).uniqueTokens());
        assertEquals(50_000, d.describe().uniqueTokens());
    }

    @Test
    void badSplitSettingsAreNamed(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), "abc");
        assertEquals("data.valFraction must be in (0, 1), got 1.0",
                assertThrows(UserError.class, () -> Dataset.open(new DataSpec(f.toString(), "char", 1.0, 0, 1))).getMessage());
        assertEquals("data.tokens must be ≥ 0 (0 = all training tokens), got -5",
                assertThrows(UserError.class, () -> Dataset.open(new DataSpec(f.toString(), "char", 0.1, -5, 1))).getMessage());
        Path one = Files.writeString(tmp.resolve("one.txt"), "a");
        assertEquals("one.txt: the corpus has 1 token; it needs at least 2 to split into training and validation",
                assertThrows(UserError.class, () -> Dataset.open(new DataSpec(one.toString(), "char", 0.1, 0, 1))).getMessage());
        Path two = Files.writeString(tmp.resolve("two.jsonl"), "{\"text\": \"a\"}\n{\"text\": \"b\"}\n");
        UserError e = assertThrows(UserError.class, () -> Dataset.open(new DataSpec(two.toString(), "char", 0.1, 0, 1)));
        assertTrue(e.getMessage().contains("the docs split put 0 of 2 documents into validation"), e.getMessage());
        assertTrue(e.getMessage().contains("--split tail"), e.getMessage());
    }
}
