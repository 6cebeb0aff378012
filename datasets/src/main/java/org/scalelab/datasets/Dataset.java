package org.scalelab.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.IntToDoubleFunction;

/**
 * A tokenized corpus split into training and validation tokens: what the trainer reads. Open one with
 * {@link #open(DataSpec)}; see {@link CorpusRef} for what a corpus string may name.
 *
 * <p>Splits: a text file, folder or glob is split at the end (the last valFraction of the tokens, a
 * contiguous block, so validation never overlaps training windows); JSONL and other corpora of many
 * documents are split by document; a token store keeps the split it was prepared with; the synthetic
 * corpus generates its validation stream separately.
 *
 * <p>Budgets: {@link #train(long)} with D &gt; 0 gives the first D tokens of a fixed, seeded shuffle of
 * {@value #BUDGET_BLOCK}-token blocks of the training split ({@link BlockShuffle}), so budgets are nested.
 */
public final class Dataset {
    /**
     * Block size of the budget shuffle, in tokens: long enough that few windows straddle two blocks
     * (about nCtx/4096 of them cross a seam into an unrelated block; see {@link BlockShuffle}).
     */
    public static final int BUDGET_BLOCK = 4096;

    /** Text corpora up to this many bytes are tokenized in memory on open; larger ones once into the cache. */
    static long memoryLimitBytes = 64L << 20;

    private final String name;
    private final Tokenizer tokenizer;
    private final TokenSource train;
    private final TokenSource val;
    private final double lossFloor;
    private final String corpus;
    private final String split;
    private final long seed;
    private final Long trainBytes, valBytes;
    private final Path store;
    private final IntToDoubleFunction contextFloor;
    private final Map<Integer, Double> contextFloors = new HashMap<>();
    private final String generator;

    public Dataset(String name, Tokenizer tokenizer, TokenSource train, TokenSource val) {
        this(name, tokenizer, train, val, Double.NaN);
    }

    /** A dataset whose validation split has a known Bayes-optimal loss {@code lossFloor} (nats/token). */
    public Dataset(String name, Tokenizer tokenizer, TokenSource train, TokenSource val, double lossFloor) {
        this(name, name, tokenizer, train, val, lossFloor, null, DataSpec.DEFAULT.seed(), null, null, null, null);
    }

    Dataset(String name, String corpus, Tokenizer tokenizer, TokenSource train, TokenSource val, double lossFloor, String split,
            long seed, Long trainBytes, Long valBytes, Path store, IntToDoubleFunction contextFloor) {
        this(name, corpus, tokenizer, train, val, lossFloor, split, seed, trainBytes, valBytes, store, contextFloor, null);
    }

    /** As above; {@code generator} is the full settings of the synthetic corpus the tokens come from, or null. */
    Dataset(String name, String corpus, Tokenizer tokenizer, TokenSource train, TokenSource val, double lossFloor, String split,
            long seed, Long trainBytes, Long valBytes, Path store, IntToDoubleFunction contextFloor, String generator) {
        this.name = name;
        this.corpus = corpus;
        this.tokenizer = tokenizer;
        this.train = train;
        this.val = val;
        this.lossFloor = lossFloor;
        this.split = split;
        this.seed = seed;
        this.trainBytes = trainBytes;
        this.valBytes = valBytes;
        this.store = store;
        this.contextFloor = contextFloor;
        this.generator = generator;
    }

    /** The full settings of the synthetic corpus these tokens come from (generated or a store of it), else null. */
    String generator() { return generator; }

    public String name() { return name; }

    public Tokenizer tokenizer() { return tokenizer; }

    /**
     * The exact Bayes-optimal validation loss in nats per token when the corpus' generator is known
     * (the synthetic corpus): the loss of predicting each token from its whole document so far.
     */
    public OptionalDouble lossFloorNats() {
        return Double.isNaN(lossFloor) ? OptionalDouble.empty() : OptionalDouble.of(lossFloor);
    }

    /**
     * The exact Bayes-optimal validation loss of a model with context {@code nCtx}, evaluated as a run
     * does (each position of a window predicted from the window's earlier tokens only). It lies above
     * {@link #lossFloorNats()} because a window often starts mid-document; it is the irreducible loss E
     * a scaling fit at this context length should find. Empty when the generator is unknown.
     */
    public OptionalDouble lossFloorNats(int nCtx) {
        if (contextFloor == null) return OptionalDouble.empty();
        synchronized (contextFloors) {
            return OptionalDouble.of(contextFloors.computeIfAbsent(nCtx, contextFloor::applyAsDouble));
        }
    }

    /** All training tokens, in corpus order. */
    public TokenSource train() { return train; }

    /** Validation tokens. */
    public TokenSource val() { return val; }

    /**
     * The training tokens a run with budget D sees: all of them when D ≤ 0, else the first D tokens of
     * the seeded block shuffle ({@link BlockShuffle}), so that a smaller budget's tokens are contained
     * in every larger one's. An unbounded generated split ({@link TokenSource#unbounded()}, synthetic:v2)
     * gives its first D tokens instead: its chunks are independent draws, so the start is as good a sample
     * as a shuffle, and budgets are nested all the same.
     */
    public TokenSource train(long budget) {
        if (budget <= 0) return train;
        if (train.unbounded() && budget <= train.size()) return slice(train, 0, budget);
        if (budget > train.size()) {
            throw new UserError(String.format(java.util.Locale.ROOT, "data.tokens = %,d is more than the %,d training tokens of %s; "
                    + "use a larger corpus or a smaller data.tokens (0 = all)", budget, train.size(), corpus));
        }
        return new BlockShuffle(train, budget, seed, BUDGET_BLOCK);
    }

    /** Sizes, tokenizer and loss floor of the whole training split. */
    public DatasetInfo describe() {
        return describe(0);
    }

    /** As {@link #describe()}, with {@code uniqueTokens} under the budget D (≤ 0: none). */
    public DatasetInfo describe(long budget) {
        long unique = budget > 0 ? Math.min(budget, train.size()) : train.size();
        Double bpt = valBytes == null || val.size() == 0 ? null : valBytes / (double) val.size();
        return new DatasetInfo(name, corpus, Tokenizers.specOf(tokenizer), tokenizer.vocabSize(), train.size(), val.size(), unique,
                budget > 0 ? budget : null, split, seed, trainBytes, valBytes, bpt, Math.log(tokenizer.vocabSize()),
                lossFloorNats().isPresent() ? lossFloor : null, store == null ? null : store.toString(),
                budget <= 0 && train.unbounded() ? Boolean.TRUE : null);
    }

    /** A corpus string that names no file, folder, token store, glob, catalogue entry or synthetic corpus. */
    public static final class UnknownCorpus extends UserError {
        UnknownCorpus(String message) {
            super(message);
        }
    }

    /**
     * Checks what a corpus string names without reading or downloading anything ({@link CorpusRef}):
     * {@link UnknownCorpus} when it names nothing, another {@link UserError} when it is malformed.
     */
    public static void checkCorpus(String corpus) {
        CorpusRef.parse(corpus);
    }

    /**
     * Whether a corpus string names a text file, folder, .jsonl file or token store on this disk (not the
     * synthetic corpus, a glob or a catalogue name, which are resolved when a run opens them); false when
     * it names nothing, a {@link UserError} when it is malformed.
     */
    public static boolean onDisk(String corpus) {
        try {
            CorpusRef.Kind k = CorpusRef.parse(corpus).kind();
            return k == CorpusRef.Kind.STORE || k == CorpusRef.Kind.TEXT || k == CorpusRef.Kind.FOLDER;
        } catch (UnknownCorpus e) {
            return false;
        }
    }

    /** Opens the corpus a spec names, tokenizes it (or maps its token store) and splits it. */
    public static Dataset open(DataSpec spec) {
        return open(spec, null);
    }

    /**
     * Opens a corpus in a vocabulary fixed beforehand, such as a trained run's (its {@code tokenizer.json}):
     * anything {@link #open(DataSpec)} accepts, with text encoded by {@code tokenizer} (spec.tokenizer()
     * is then ignored) and a token store or the synthetic corpus accepted only when its own tokenizer
     * equals {@code tokenizer}; otherwise a {@link UserError} names both.
     */
    public static Dataset open(DataSpec spec, Tokenizer tokenizer) {
        if (tokenizer != null) spec = new DataSpec(spec.corpus(), "auto", spec.valFraction(), spec.tokens(), spec.seed());
        checkSplitAndBudget(spec);
        Tokenizers.Spec tok = tokenizerSpec(spec);
        CorpusRef ref = CorpusRef.parse(spec.corpus());
        switch (ref.kind()) {
            case SYNTHETIC -> {
                if (!tok.kind().equals("char") && !tok.kind().equals("auto")) {
                    throw new UserError("data.tokenizer '" + spec.tokenizer() + "': the synthetic corpus has its own vocabulary; "
                            + "leave data.tokenizer at char (or auto)");
                }
                Dataset d = SyntheticCorpus.dataset(ref.text(), spec.seed());
                if (tokenizer != null && !d.tokenizer().equals(tokenizer)) throw vocabularyMismatch(ref.text(), d.tokenizer(), tokenizer);
                return d;
            }
            case STORE -> {
                TokenStore.Opened o = TokenStore.open(ref.path());
                if (tokenizer != null && !o.tokenizer().equals(tokenizer)) throw vocabularyMismatch(ref.text(), o.tokenizer(), tokenizer);
                return fromStore(ref.text(), o, tok, spec);
            }
            case STDIN -> throw new UserError("data.corpus '-' (standard input) works with data prepare only; prepare it into a store first");
            default -> {
                TextCorpus c = ref.textCorpus(false);
                Prepare.Options o = tokenizer != null ? textOptions(ref, spec, Tokenizers.specOf(tokenizer), tokenizer.kind())
                        : textOptions(ref, spec, tok.toString(), tok.kind());
                try {
                    return fromText(ref, c, o, tokenizer, spec);
                } catch (CharTokenizer.UnknownCharacter e) {
                    if (tokenizer == null) throw e;
                    throw new UserError(ref.text() + ": " + e.getMessage().replace("the training corpus", "the run's training corpus")
                            + " (the run's tokenizer is " + describe(tokenizer) + ")");
                }
            }
        }
    }

    /** A store opened beforehand (for {@code data info --verify}, which opens it without the id check), as {@link #open(DataSpec)} reads it. */
    static Dataset ofStore(DataSpec spec, TokenStore.Opened store) {
        checkSplitAndBudget(spec);
        Tokenizers.Spec tok = tokenizerSpec(spec);
        return fromStore(spec.corpus(), store, tok, spec);
    }

    /** spec.tokenizer() parsed; a bad value is a UserError naming data.tokenizer. */
    private static Tokenizers.Spec tokenizerSpec(DataSpec spec) {
        try {
            return Tokenizers.parse(spec.tokenizer());
        } catch (UserError e) {
            throw new UserError("data." + e.getMessage());
        }
    }

    private static void checkSplitAndBudget(DataSpec spec) {
        if (!(spec.valFraction() > 0 && spec.valFraction() < 1)) {
            throw new UserError("data.valFraction must be in (0, 1), got " + spec.valFraction());
        }
        if (spec.tokens() < 0) throw new UserError("data.tokens must be ≥ 0 (0 = all training tokens), got " + spec.tokens());
    }

    /** How a text corpus is prepared when a run opens it: catalogue text is repaired (bytes kept for byte tokens), files must be valid UTF-8. */
    private static Prepare.Options textOptions(CorpusRef ref, DataSpec spec, String tokenizer, String kind) {
        OnInvalid onInvalid = ref.kind() == CorpusRef.Kind.CATALOG ? (kind.equals("byte") ? OnInvalid.KEEP : OnInvalid.REPLACE) : OnInvalid.ERROR;
        return new Prepare.Options(tokenizer, spec.valFraction(), Prepare.Split.AUTO, spec.seed(), onInvalid,
                Prepare.Options.DEFAULT_BPE_SAMPLE, true);
    }

    /** A text corpus encoded in memory, or once into the store cache when it is large; with {@code given} when not null. */
    private static Dataset fromText(CorpusRef ref, TextCorpus c, Prepare.Options o, Tokenizer given, DataSpec spec) {
        if (c.totalBytes() > memoryLimitBytes) {
            Path dir = Prepare.cached(c, ref.text(), o, given);
            return fromStore(ref.text(), TokenStore.open(dir), Tokenizers.parse("auto"), spec);
        }
        Prepare.InMemory m = Prepare.inMemory(c, o, given);
        return new Dataset(c.name, ref.text(), m.tokenizer(), m.train(), m.val(), Double.NaN, m.splitMethod(), spec.seed(),
                m.trainBytes(), m.valBytes(), null, null);
    }

    /** A corpus whose own vocabulary is not the one it must be read in: one line naming both. */
    private static UserError vocabularyMismatch(String corpus, Tokenizer own, Tokenizer wanted) {
        String a = describe(own), b = describe(wanted);
        String what = a.equals(b) ? "its vocabulary, " + a + ", has other symbols or merges than the run's"
                : "its tokenizer is " + a + " but the run's is " + b;
        return new UserError(corpus + ": " + what + "; a store or the synthetic corpus is read in its own vocabulary, "
                + "so evaluate on text (encoded with the run's tokenizer) or on a corpus with the run's vocabulary");
    }

    private static String describe(Tokenizer t) {
        return Tokenizers.specOf(t) + " (" + t.vocabSize() + " ids)";
    }

    /**
     * Opens a corpus for a run that inherits a tokenizer (a run started from another run's weights): its
     * tokens are ids of {@code inherited}, so that an id means the same symbol to the weights as it did in
     * the parent. A text corpus is encoded with {@code inherited} itself; a synthetic corpus or a token
     * store keeps its tokens when its tokenizer equals {@code inherited}, and a character vocabulary is
     * mapped onto the inherited one character by character when that one has them all. Anything else is
     * refused with a line naming both tokenizers and the fix. {@code from} names where the tokenizer comes
     * from, e.g. "run runs/L2-… (train.init)". {@code inherited == null}: as {@link #open(DataSpec)}.
     */
    public static Dataset open(DataSpec spec, Tokenizer inherited, String from) {
        if (inherited == null) return open(spec);
        String have = describeTokenizer(inherited);
        Tokenizers.Spec want = Tokenizers.parse(spec.tokenizer());
        if (!want.kind().equals("auto") && !want.kind().equals("char") && !want.toString().equals(Tokenizers.specOf(inherited))) {
            throw new UserError("data.tokenizer '" + spec.tokenizer() + "': this run uses the tokenizer of " + from + ", " + have
                    + "; leave data.tokenizer out (or set it to auto or " + Tokenizers.specOf(inherited) + ")");
        }
        CorpusRef ref = CorpusRef.parse(spec.corpus());
        if (ref.kind() == CorpusRef.Kind.SYNTHETIC || ref.kind() == CorpusRef.Kind.STORE || ref.kind() == CorpusRef.Kind.STDIN) {
            Dataset d = open(new DataSpec(spec.corpus(), "auto", spec.valFraction(), spec.tokens(), spec.seed()));
            return d.inherit(inherited, from, ref.kind() == CorpusRef.Kind.STORE);
        }
        checkSplitAndBudget(spec);
        TextCorpus c = ref.textCorpus(false);
        Prepare.Options o = textOptions(ref, spec, Tokenizers.specOf(inherited), inherited.kind());
        try {
            return fromText(ref, c, o, inherited, spec);
        } catch (CharTokenizer.UnknownCharacter e) {
            if (!(inherited instanceof CharTokenizer ct)) throw e;
            CharTokenizer own = (CharTokenizer) Prepare.fit(c, new Tokenizers.Spec("char", 0), o, Progress.silent());
            throw new UserError(spec.corpus() + ": cannot be encoded with the tokenizer of " + from + ", " + have + ": its own "
                    + "vocabulary (char, " + own.vocabSize() + " symbols) has " + missing(own, ct) + " that the parent's lacks. Pre-train the parent with a "
                    + "tokenizer that encodes any text (data.tokenizer=byte or bpe:VOCAB), or fine-tune on a corpus written in the "
                    + "parent's characters");
        }
    }

    /** This dataset with its ids those of {@code t}: the same tokenizer, or a char vocabulary mapped onto a larger one. */
    private Dataset inherit(Tokenizer t, String from, boolean isStore) {
        if (tokenizer.equals(t)) return this;
        String what = isStore ? "the store " + store : corpus.startsWith("synthetic") ? "the synthetic corpus" : corpus;
        if (tokenizer instanceof CharTokenizer mine && t instanceof CharTokenizer theirs) {
            int[] cps = mine.codePoints(), map = new int[cps.length];
            java.util.Map<Integer, Integer> ids = new HashMap<>();
            int[] tc = theirs.codePoints();
            for (int i = 0; i < tc.length; i++) ids.put(tc[i], i);
            boolean all = true;
            for (int i = 0; i < cps.length; i++) {
                Integer id = ids.get(cps[i]);
                map[i] = id == null ? -1 : id;
                all &= id != null;
            }
            if (all) {
                return new Dataset(name, corpus, t, mapped(train, map), mapped(val, map), lossFloor, split, seed, trainBytes, valBytes,
                        store, contextFloor, generator);
            }
            throw new UserError(corpus + ": " + what + " has tokenizer " + describeTokenizer(tokenizer) + ", with " + missing(mine, theirs)
                    + " that the tokenizer of " + from + ", " + describeTokenizer(t) + ", lacks. Pre-train the parent on a corpus with all "
                    + "of these characters (for the synthetic corpus: a vocab at least as large), or fine-tune on one the parent's "
                    + "vocabulary covers");
        }
        String fix = isStore
                ? (t.kind().equals("byte") || t.kind().equals("gpt2")
                        ? "prepare the corpus again with --tokenizer " + Tokenizers.specOf(t) + ", or give the text itself as data.corpus (it is encoded with the parent's tokenizer)"
                        : "give the text itself as data.corpus (it is encoded with the parent's tokenizer)")
                : "pre-train the parent on the synthetic corpus too, or fine-tune on text (it is encoded with the parent's tokenizer)";
        throw new UserError(corpus + ": " + what + " has tokenizer " + describeTokenizer(tokenizer) + ", not the tokenizer of " + from
                + ", " + describeTokenizer(t) + ", which this run inherits; " + fix);
    }

    /** "3 characters ('é', 'ü', 'ß')": the code points of {@code a} that {@code b} lacks (at most 5 shown). */
    private static String missing(CharTokenizer a, CharTokenizer b) {
        java.util.Set<Integer> known = new java.util.HashSet<>();
        for (int cp : b.codePoints()) known.add(cp);
        List<String> out = new java.util.ArrayList<>();
        int n = 0;
        for (int cp : a.codePoints()) {
            if (known.contains(cp)) continue;
            if (n++ < 5) out.add(cp == '\n' ? "newline" : cp < 32 ? String.format("U+%04X", cp) : "'" + new String(Character.toChars(cp)) + "'");
        }
        return n + " character" + (n == 1 ? "" : "s") + " (" + String.join(", ", out) + (n > 5 ? ", …" : "") + ")";
    }

    /** "char, 65 symbols", "bpe:1024", "byte", "gpt2". */
    public static String describeTokenizer(Tokenizer t) {
        return t.kind().equals("char") ? "char, " + t.vocabSize() + " symbols" : Tokenizers.specOf(t);
    }

    /** The tokens of {@code s} through {@code map}, without copying. */
    static TokenSource mapped(TokenSource s, int[] map) {
        return new TokenSource() {
            @Override public long size() { return s.size(); }
            @Override public boolean unbounded() { return s.unbounded(); }
            @Override public int get(long i) { return map[s.get(i)]; }
            @Override public void read(long start, int[] dst, int off, int len) {
                s.read(start, dst, off, len);
                for (int k = off; k < off + len; k++) dst[k] = map[dst[k]];
            }
        };
    }

    private static Dataset fromStore(String corpus, TokenStore.Opened o, Tokenizers.Spec want, DataSpec spec) {
        // data.tokenizer must name the store's tokenizer (or be auto): a store cannot be re-encoded.
        String have = Tokenizers.specOf(o.tokenizer());
        if (!want.kind().equals("auto") && !have.equals(want.toString())) {
            throw new UserError("data.tokenizer '" + spec.tokenizer() + "' but the store " + o.dir() + " was prepared with " + have
                    + "; set data.tokenizer=" + have + " (or auto, the store's own) or prepare the corpus again with --tokenizer "
                    + spec.tokenizer());
        }
        TokenSource train = o.trainTokens(), val = o.valTokens();
        Long trainBytes = o.train().textBytes(), valBytes = o.val() == null ? null : o.val().textBytes();
        String split = o.train().splitMethod();
        if (val == null) { // a single token file: split off its tail
            long n = train.size();
            if (n < 2) throw new UserError(o.dir() + ": the store has " + n + " tokens; it needs at least 2 to split");
            long nVal = Math.min(n - 1, Math.max(1, Math.round(n * spec.valFraction())));
            val = slice(train, n - nVal, n);
            train = slice(train, 0, n - nVal);
            trainBytes = valBytes = null;
            split = "tail";
        }
        double floor = Double.NaN;
        IntToDoubleFunction ctx = null;
        String generator = null;
        if (o.val() != null && o.val().lossFloorNats() != null) floor = o.val().lossFloorNats();
        if (o.val() != null && o.val().synthetic() != null) {
            generator = o.val().synthetic();
            ctx = SyntheticCorpus.contextFloor(generator, val);
        }
        String name = o.dir().getFileName().toString();
        return new Dataset(name, corpus, o.tokenizer(), train, val, floor, split, spec.seed(), trainBytes, valBytes, o.dir(), ctx, generator);
    }

    static int[] toArray(TokenSource s) {
        if (s.size() > Integer.MAX_VALUE - 8) throw new UserError("the validation split has more than 2^31 tokens; use a smaller one");
        int[] a = new int[(int) s.size()];
        s.read(0, a, 0, a.length);
        return a;
    }

    /** Tokens [from, to) of a source, without copying. */
    static TokenSource slice(TokenSource s, long from, long to) {
        return new TokenSource() {
            @Override public long size() { return to - from; }
            @Override public int get(long i) { return s.get(from + i); }
            @Override public void read(long start, int[] dst, int off, int len) { s.read(from + start, dst, off, len); }
        };
    }

    /** Reads a whole UTF-8 text file strictly; a BOM is dropped, CRLF becomes LF and NUL characters are removed. */
    public static String readUtf8(Path file) {
        if (!Files.exists(file)) throw new UserError(file + ": no such file; check data.corpus");
        if (Files.isDirectory(file)) throw new UserError(file + ": is a directory; data.corpus must name a text file");
        StringBuilder sb = new StringBuilder();
        try (InputStream in = TextCorpus.open(file)) {
            TextReader r = new TextReader(in, file.toString(), OnInvalid.ERROR);
            for (String s; (s = r.next()) != null; ) sb.append(s);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (sb.isEmpty()) throw new UserError(file + ": file is empty; data.corpus needs text to train on");
        return sb.toString();
    }
}
