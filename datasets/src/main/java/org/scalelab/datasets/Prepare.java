package org.scalelab.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.BitSet;
import java.util.Locale;

/**
 * Turns a corpus into tokens: fits the tokenizer (a first pass for char and bpe), encodes the documents
 * as a stream (a second pass) and splits them into training and validation tokens, either into memory
 * (a corpus a run opens directly) or into a token store on disk ({@code data prepare}). Memory use does
 * not grow with the corpus on the way to disk, so corpora larger than the heap work.
 */
public final class Prepare {
    /** How validation tokens are chosen. */
    public enum Split {
        /** tail for text files, folders and globs; docs for JSONL and corpora with document separators. */
        AUTO,
        /** The last valFraction of the token stream, a contiguous block (nanoGPT cuts the text instead: {@link #NANOGPT}). */
        TAIL,
        /** Whole documents, each to validation when a seeded hash of its index is below valFraction. */
        DOCS,
        /**
         * nanoGPT's data/shakespeare_char and data/shakespeare prepare.py: the text of one file is cut at
         * character int(n·(1−valFraction)) and each side is encoded on its own; one text file only.
         */
        NANOGPT;

        public static Split parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UserError("--split '" + s + "' is not known; use auto, tail, docs or nanogpt");
            }
        }

        @Override public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * Settings of a preparation.
     *
     * @param tokenizer      tokenizer spec ({@link Tokenizers#parse})
     * @param valFraction    fraction of tokens (tail), documents (docs) or characters (nanogpt) held out, in (0, 1)
     * @param split          how validation is chosen
     * @param seed           seed of the docs split
     * @param onInvalid      invalid UTF-8: error, replace, keep (byte tokenizer only)
     * @param bpeSampleChars characters of the corpus a bpe vocabulary is trained on (its beginning); 0 = all
     * @param quiet          no progress bars
     */
    public record Options(String tokenizer, double valFraction, Split split, long seed, OnInvalid onInvalid,
                          long bpeSampleChars, boolean quiet) {
        public static final long DEFAULT_BPE_SAMPLE = 256L << 20;

        public static Options of(String tokenizer, double valFraction, long seed) {
            return new Options(tokenizer, valFraction, Split.AUTO, seed, OnInvalid.ERROR, DEFAULT_BPE_SAMPLE, true);
        }

        public Options withQuiet(boolean q) {
            return new Options(tokenizer, valFraction, split, seed, onInvalid, bpeSampleChars, q);
        }

        void validate() {
            if (!(valFraction > 0 && valFraction < 1)) throw new UserError("val fraction must be in (0, 1), got " + valFraction);
            if (bpeSampleChars < 0) throw new UserError("--bpe-sample must be ≥ 0 (0 = the whole corpus), got " + bpeSampleChars);
            // before any pass over the text: a char or bpe fitting pass would otherwise stop at the first invalid byte
            if (onInvalid == OnInvalid.KEEP && !Tokenizers.parse(tokenizer).kind().equals("byte")) {
                throw new UserError("--on-invalid keep stores raw bytes and needs --tokenizer byte; use replace with " + tokenizer);
            }
        }
    }

    /** What a preparation produced and how fast (source MB/s over the whole run, both passes). */
    public record Report(Path out, String corpus, String tokenizer, int vocabSize, String dtype, long trainTokens, long valTokens,
                         long documents, long sourceBytes, double fitSeconds, double encodeSeconds, double seconds) {
        public double mbPerSecond() {
            return sourceBytes / 1e6 / Math.max(1e-9, seconds);
        }
    }

    /** Tokens in memory, split. */
    record InMemory(Tokenizer tokenizer, TokenSource train, TokenSource val, long trainBytes, long valBytes, String splitMethod) {}

    private Prepare() {}

    // ---- fitting the tokenizer -------------------------------------------------------------------------

    static Tokenizer fit(TextCorpus c, Tokenizers.Spec spec, Options o, Progress p) {
        if (!spec.fitted()) return Tokenizers.fixed(spec);
        if (spec.kind().equals("char")) {
            BitSet cps = new BitSet();
            long[] docs = {0};
            c.read(o.onInvalid(), new TextCorpus.DocSink() {
                boolean any;
                @Override public void begin() { any = false; }
                @Override public void text(String s) {
                    if (s.isEmpty()) return;
                    if (!any) docs[0]++;
                    any = true;
                    for (int i = 0; i < s.length(); ) {
                        int cp = s.codePointAt(i);
                        cps.set(cp);
                        i += Character.charCount(cp);
                    }
                }
                @Override public void end() {}
            }, p);
            if (docs[0] > 1) cps.set('\n'); // the document separator
            if (cps.isEmpty()) throw new UserError(c.name + ": the corpus is empty (no text); point data.corpus at a file with text to train on");
            return CharTokenizer.of(cps);
        }
        BpeTrainer t = new BpeTrainer();
        long limit = o.bpeSampleChars() == 0 ? Long.MAX_VALUE : o.bpeSampleChars();
        try {
            c.read(o.onInvalid(), new TextCorpus.DocSink() {
                final StringBuilder sb = new StringBuilder();
                @Override public void begin() { sb.setLength(0); }
                @Override public void text(String s) {
                    sb.append(s);
                    if (sb.length() >= StreamEncoder.pieceChars) flush(false);
                }
                @Override public void end() { flush(true); }
                private void flush(boolean all) {
                    int cut = sb.length();
                    if (!all) while (cut > 1 && !(sb.charAt(cut - 1) == ' ' || sb.charAt(cut - 1) == '\n')) cut--;
                    if (cut <= 1) cut = sb.length();
                    t.add(sb.substring(0, cut));
                    sb.delete(0, cut);
                    if (t.chars() >= limit) throw new SampleFull();
                }
            }, p);
        } catch (SampleFull done) {
            // the sample is complete; the rest of the corpus is not needed for training
        }
        if (t.chars() == 0) throw new UserError(c.name + ": the corpus is empty (no text); point data.corpus at a file with text to train on");
        return t.train(spec.vocab());
    }

    private static final class SampleFull extends RuntimeException {
        SampleFull() { super(null, null, false, false); }
    }

    // ---- encoding into memory ----------------------------------------------------------------------------

    /**
     * Encodes and splits a corpus in memory (what a run does with a text corpus it opens directly), with
     * {@code given} (e.g. a run's tokenizer) when not null, else with a tokenizer fitted as {@code o} says.
     */
    static InMemory inMemory(TextCorpus c, Options o, Tokenizer given) {
        o.validate();
        Tokenizers.Spec spec = Tokenizers.parse(o.tokenizer());
        if (spec.kind().equals("auto")) spec = new Tokenizers.Spec("char", 0);
        if (o.split() == Split.NANOGPT) checkNanogpt(c, o);
        boolean docs = docsSplit(o.split(), c.documentsByDesign());
        Tokenizer tok = given != null ? given : fit(c, spec, o, Progress.silent());
        TokenSink.Memory train = new TokenSink.Memory(), val = new TokenSink.Memory();
        if (o.split() == Split.NANOGPT) {
            long cut = nanogptCut(c, countChars(c, o, Progress.silent()), o.valFraction());
            StreamEncoder a = new StreamEncoder(tok, false, o.valFraction(), o.seed(), train, train);
            StreamEncoder b = new StreamEncoder(tok, false, o.valFraction(), o.seed(), val, val);
            c.read(o.onInvalid(), new CharCut(cut, a, b), Progress.silent());
            return new InMemory(tok, TokenSource.of(train.array(), 0, (int) train.size()), TokenSource.of(val.array(), 0, (int) val.size()),
                    a.trainBytes, b.trainBytes, "nanogpt");
        }
        StreamEncoder enc = new StreamEncoder(tok, docs, o.valFraction(), o.seed(), train, val);
        encode(c, tok, o, enc, Progress.silent(), null);
        int[] a = train.array();
        int n = (int) train.size();
        if (docs) {
            checkDocsSplit(c, enc, o);
            return new InMemory(tok, TokenSource.of(a, 0, n), TokenSource.of(val.array(), 0, (int) val.size()),
                    enc.trainBytes, enc.valBytes, "docs");
        }
        int nVal = tailSize(c, n, o.valFraction());
        long vb = 0;
        int[] bpi = enc.bytesPerId();
        for (int i = n - nVal; i < n; i++) vb += bpi[a[i]];
        return new InMemory(tok, TokenSource.of(a, 0, n - nVal), TokenSource.of(a, n - nVal, n), enc.trainBytes - vb, vb, "tail");
    }

    static boolean docsSplit(Split s, boolean jsonlLike) {
        return s == Split.DOCS || (s == Split.AUTO && jsonlLike);
    }

    /**
     * Validation tokens of the tail split: max(1, round(n·f)), as earlier ScaleLab versions. nanoGPT cuts
     * the text instead ({@link Split#NANOGPT}), which on tiny Shakespeare puts one more token in validation.
     */
    static int tailSize(TextCorpus c, long n, double f) {
        if (n < 2) throw new UserError(c.name + ": the corpus has " + n + " token" + (n == 1 ? "" : "s") + "; it needs at least 2 to split into training and validation");
        return (int) Math.min(n - 1, Math.max(1, Math.round(n * f)));
    }

    // ---- nanoGPT's split: the text cut at a character -------------------------------------------------------

    /** The checks of {@link #checkNanogpt(TextCorpus, Options)} that need no text, before anything is written or downloaded. */
    private static void checkNanogpt(CorpusRef ref, Options o) {
        if (ref.kind() == CorpusRef.Kind.SYNTHETIC) {
            throw new UserError(ref.text() + ": --split nanogpt cuts a text file, but the synthetic corpus generates its validation "
                    + "tokens separately (synthetic:val=N); leave --split out");
        }
        if (ref.kind() == CorpusRef.Kind.CATALOG) {
            CatalogEntry e = ref.entry();
            Path file = Path.of(e.member() == null ? e.fileName() : e.member()).getFileName();
            checkNanogpt(new TextCorpus(e.name(), java.util.List.of(TextCorpus.part(file, null, e.docSeparator()))), o);
        }
    }

    /**
     * The nanogpt split reproduces a script that reads one text file: a corpus of several files or
     * documents, or bytes that are not text, has no such cut, and is refused rather than given one
     * nanoGPT never made.
     */
    static void checkNanogpt(TextCorpus c, Options o) {
        String fix = "; --split nanogpt cuts the characters of one plain text file as nanoGPT's prepare.py does";
        if (c.parts.size() > 1) {
            throw new UserError(c.name + ": " + c.parts.size() + " files" + fix + "; concatenate them into one file, or use --split tail");
        }
        TextCorpus.Part p = c.parts.get(0);
        if (p.format() == TextCorpus.Format.JSONL) {
            throw new UserError(p.display() + ": JSON lines, one document per line" + fix + "; use --split docs (or tail)");
        }
        if (p.docSeparator() != null) {
            throw new UserError(c.name + ": documents separated by '" + p.docSeparator() + "' lines" + fix + "; use --split docs (or tail)");
        }
        if (o.onInvalid() == OnInvalid.KEEP) {
            throw new UserError("--on-invalid keep stores raw bytes, which have no characters to count" + fix
                    + "; use --on-invalid replace, or --split tail");
        }
    }

    /**
     * The fraction of the characters that stays in training, 1 − f computed in decimal and then rounded
     * to the nearest double: for f = 0.1 that is the double of the literal 0.9, the very number in
     * nanoGPT's {@code int(n*0.9)} (1 − 0.1 in binary happens to round to it too; 1 − f need not for other
     * f). BigDecimal.valueOf(f) is the shortest decimal that reads back as f, i.e. the fraction as written.
     */
    static double nanogptTrainFraction(double f) {
        return java.math.BigDecimal.ONE.subtract(java.math.BigDecimal.valueOf(f)).doubleValue();
    }

    /**
     * The character index where validation starts: Python's {@code int(n*0.9)}. n (a long below 2^53, so
     * exactly a double) times the fraction is one IEEE-754 double multiplication in both languages, and
     * {@code (long)} truncates towards zero as {@code int()} does, so the cut is the same for every n.
     */
    static long nanogptCut(TextCorpus c, long n, double f) {
        long cut = (long) (n * nanogptTrainFraction(f));
        if (cut < 1 || cut >= n) {
            throw new UserError(String.format(Locale.ROOT, "%s: --split nanogpt cuts its %,d character%s at int(%d × %s) = %d, which leaves %s; "
                    + "use %s", c.name, n, n == 1 ? "" : "s", n, nanogptTrainFraction(f), cut,
                    cut < 1 ? "no text to train on" : "no text to validate on",
                    n < 2 ? "a corpus of at least 2 characters" : cut < 1 ? "a smaller --val-fraction" : "a larger --val-fraction"));
        }
        return cut;
    }

    /** The number of characters (code points, Python's {@code len(str)}) of the corpus' text. */
    static long countChars(TextCorpus c, Options o, Progress p) {
        long[] n = {0};
        c.read(o.onInvalid(), new TextCorpus.DocSink() {
            @Override public void begin() {}
            @Override public void text(String s) { n[0] += s.codePointCount(0, s.length()); }
            @Override public void end() {}
        }, p);
        return n[0];
    }

    /**
     * Sends the first {@code cut} characters of a one-document corpus to {@code train} and the rest to
     * {@code val}, each as a document of its own, so every tokenizer encodes the two texts separately as
     * nanoGPT does ({@code enc.encode_ordinary(train_data)}, then {@code val_data}). Characters are code
     * points; TextReader's chunks never split a surrogate pair (its decoder writes both halves at once).
     */
    static final class CharCut implements TextCorpus.DocSink {
        private final long cut;
        private final TextCorpus.DocSink train, val;
        private long seen;
        private boolean inVal, begun;

        CharCut(long cut, TextCorpus.DocSink train, TextCorpus.DocSink val) {
            this.cut = cut;
            this.train = train;
            this.val = val;
        }

        @Override public void begin() {
            if (begun) throw new IllegalStateException("the nanogpt split takes one document");
            begun = true;
            train.begin();
        }

        @Override public void text(String s) {
            if (inVal) {
                val.text(s);
                return;
            }
            long k = s.codePointCount(0, s.length());
            if (seen + k < cut) {
                train.text(s);
                seen += k;
                return;
            }
            int at = s.offsetByCodePoints(0, (int) (cut - seen));
            train.text(s.substring(0, at));
            toVal();
            val.text(s.substring(at));
            seen = cut;
        }

        @Override public void end() {
            if (!inVal) toVal();
            val.end();
        }

        private void toVal() {
            train.end();
            val.begin();
            inVal = true;
        }
    }

    private static void checkDocsSplit(TextCorpus c, StreamEncoder enc, Options o) {
        long total = enc.trainDocs + enc.valDocs;
        if (enc.valDocs == 0 || enc.trainDocs == 0) {
            throw new UserError(String.format(Locale.ROOT, "%s: the docs split put %d of %d documents into %s; %s",
                    c.name, enc.valDocs == 0 ? 0 : total, total, enc.valDocs == 0 ? "validation" : "validation (none left to train on)",
                    "use a larger --val-fraction / data.valFraction, more documents, or --split tail"));
        }
    }

    /** The encoding pass: every document of the corpus through the encoder. */
    private static void encode(TextCorpus c, Tokenizer tok, Options o, StreamEncoder enc, Progress p, java.security.MessageDigest md) {
        if (o.onInvalid() == OnInvalid.KEEP) {
            if (!(tok instanceof ByteTokenizer)) {
                throw new UserError("--on-invalid keep stores raw bytes and needs --tokenizer byte; use replace with " + tok.kind());
            }
            encodeRaw(c, enc, p, md);
            return;
        }
        c.read(o.onInvalid(), enc, p, md);
    }

    private static void encodeRaw(TextCorpus c, StreamEncoder enc, Progress p, java.security.MessageDigest md) {
        byte[] buf = new byte[1 << 20];
        for (TextCorpus.Part part : c.parts) {
            if (part.format() != TextCorpus.Format.TEXT || part.docSeparator() != null) {
                throw new UserError(part.file() + ": --on-invalid keep reads plain text files only (not JSONL or separated documents)");
            }
            try (InputStream in = TextCorpus.open(part.file())) {
                enc.rawBegin();
                for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                    enc.rawChunk(buf, n);
                    if (md != null) md.update(buf, 0, n);
                    p.advance(n);
                }
                enc.rawEnd();
            } catch (IOException e) {
                throw new UserError(part.file() + ": cannot read (" + e.getMessage() + ")");
            }
            c.documents++;
        }
    }

    // ---- token stores on disk ------------------------------------------------------------------------------

    /** Prepares {@code corpus} into a token store folder {@code out} (replaced when {@code force}). */
    public static Report toStore(String corpus, Options o, Path out, boolean force) {
        o.validate();
        long t0 = System.nanoTime();
        out = out.toAbsolutePath().normalize();
        CorpusRef ref = CorpusRef.parse(corpus);
        if (o.split() == Split.NANOGPT) checkNanogpt(ref, o);
        checkOut(out, force);
        Path tmp = tempDir(out);
        try {
            Report r;
            if (ref.kind() == CorpusRef.Kind.SYNTHETIC) {
                r = SyntheticCorpus.toStore(ref.text(), o, tmp, out, t0);
            } else if (ref.kind() == CorpusRef.Kind.STORE) {
                throw new UserError(corpus + ": is already a token store; open it directly (data info " + corpus + ")");
            } else {
                TextCorpus c = ref.textCorpus(o.quiet());
                r = textToStore(c, corpus, o, tmp, out, t0, null);
            }
            install(tmp, out);
            return r;
        } finally {
            Files2.deleteTree(tmp);
        }
    }

    /**
     * A text corpus too large to tokenize on every open, prepared once into
     * {@code CACHE/stores/NAME-KEY}: the key hashes the files (path, size, modification time) and the
     * settings, so a changed file or setting prepares again. Concurrent runs wait for one another. Encoded
     * with {@code given} when not null (its file is then part of the key), else with a tokenizer fitted as
     * {@code o} says.
     */
    static Path cached(TextCorpus c, String corpus, Options o, Tokenizer given) {
        String tokKey = given == null ? Tokenizers.parse(o.tokenizer()).toString() : "given:" + Files2.sha256(Tokenizers.fileBytes(given));
        String key = Files2.sha256((c.fingerprint() + "|" + tokKey + "|" + o.valFraction() + "|" + o.split()
                + "|" + o.seed() + "|" + o.onInvalid() + "|" + o.bpeSampleChars() + "|" + TokenStore.VERSION)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 16);
        Path stores = Catalog.cacheDir().resolve("stores");
        Path dir = stores.resolve(c.name.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + key);
        if (Files.isRegularFile(dir.resolve("train.meta.json"))) return dir;
        try {
            Files.createDirectories(stores);
        } catch (IOException e) {
            throw new UserError(stores + ": cannot create the cache folder (" + e.getMessage() + "); set SCALELAB_CACHE to a writable folder");
        }
        try (FileChannel lock = FileChannel.open(stores.resolve(dir.getFileName() + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var ignored = lock.lock()) {
            if (Files.isRegularFile(dir.resolve("train.meta.json"))) return dir;
            System.err.printf(Locale.ROOT, "%s: %s of text; tokenizing it once into %s%n", corpus, Progress.bytes(c.totalBytes()), dir);
            Path tmp = tempDir(dir);
            try {
                textToStore(c, corpus, o.withQuiet(false), tmp, dir, System.nanoTime(), given);
                install(tmp, dir);
            } finally {
                Files2.deleteTree(tmp);
            }
            return dir;
        } catch (IOException e) {
            throw new UserError(stores + ": cannot lock or write the cache (" + e.getMessage() + ")");
        }
    }

    static void checkOut(Path out, boolean force) {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw new UserError(out + ": exists and is not a folder; choose another --out");
        try (var s = Files.list(out)) {
            if (s.findAny().isPresent() && !force) {
                throw new UserError(out + ": already exists; pass --force to replace it, or choose another --out");
            }
        } catch (IOException e) {
            throw new UserError(out + ": cannot list the folder (" + Files2.reason(e) + "); choose another --out, or make it readable");
        }
    }

    /**
     * The folder a store is written into before it is renamed to {@code out}: beside it (a rename within
     * one file system) and with the umask's permissions, since it becomes the store itself.
     */
    static Path tempDir(Path out) {
        Path parent = out.getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            Path existing = parent;
            while (existing != null && !Files.exists(existing)) existing = existing.getParent();
            String why = existing != null && !Files.isDirectory(existing) ? existing + " is a file, not a folder"
                    : failedPath(e, parent) + ": " + Files2.reason(e);
            throw new UserError(String.format("--out %s: cannot create the folder %s (%s); choose an --out in a folder you can write",
                    out, parent, why));
        }
        try {
            return Files2.createUniqueDirectory(parent, "." + out.getFileName() + ".tmp-");
        } catch (IOException e) {
            throw new UserError(parent + ": cannot write the store there (" + Files2.reason(e) + "); choose an --out in a folder you can write, "
                    + "or make " + parent + " writable");
        }
    }

    private static Object failedPath(IOException e, Path fallback) {
        return e instanceof java.nio.file.FileSystemException f && f.getFile() != null ? f.getFile() : fallback;
    }

    /** Moves the finished temporary folder to {@code out}, replacing an old store only once the new one is complete. */
    static void install(Path tmp, Path out) {
        try {
            if (Files.exists(out)) {
                // a free name for the old store, reserved and released at once: the rename takes it over
                Path old = Files2.createUniqueDirectory(out.getParent(), "." + out.getFileName() + ".old-");
                Files.delete(old);
                Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
                Files2.deleteTree(old);
            } else {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            }
            Files2.syncDir(out.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the prepared store into " + out, e);
        }
    }

    private static Report textToStore(TextCorpus c, String corpus, Options o, Path dir, Path out, long t0, Tokenizer given) {
        Tokenizers.Spec spec = Tokenizers.parse(o.tokenizer());
        if (spec.kind().equals("auto")) spec = new Tokenizers.Spec("char", 0);
        boolean nanogpt = o.split() == Split.NANOGPT;
        if (nanogpt) checkNanogpt(c, o);
        long sourceBytes = c.totalBytes();
        long f0 = System.nanoTime();
        Tokenizer tok = given != null ? given
                : spec.fitted() ? fit(c, spec, o, bar(o, "fit " + spec + " vocabulary", sourceBytes)) : Tokenizers.fixed(spec);
        double fitS = (System.nanoTime() - f0) / 1e9;
        String dtype = TokenStore.dtypeFor(tok.vocabSize());
        int w = TokenStore.width(dtype);
        boolean docs = docsSplit(o.split(), c.documentsByDesign());
        Path trainBin = dir.resolve("train.bin"), valBin = dir.resolve("val.bin");
        // nanogpt: a pass that counts the characters, for the cut (a third pass for char and bpe)
        long cut = nanogpt ? nanogptCut(c, countChars(c, o, bar(o, "count characters", sourceBytes)), o.valFraction()) : -1;
        long e0 = System.nanoTime();
        var md = Files2.sha256();
        StreamEncoder enc, encVal = null;
        Progress p = bar(o, "encode " + c.name, sourceBytes);
        try (TokenSink.File train = new TokenSink.File(trainBin, w); TokenSink.File val = new TokenSink.File(valBin, w)) {
            if (nanogpt) {
                enc = new StreamEncoder(tok, false, o.valFraction(), o.seed(), train, train);
                encVal = new StreamEncoder(tok, false, o.valFraction(), o.seed(), val, val);
                c.read(o.onInvalid(), new CharCut(cut, enc, encVal), p, md);
            } else {
                enc = new StreamEncoder(tok, docs, o.valFraction(), o.seed(), train, val);
                encode(c, tok, o, enc, p, md);
            }
        }
        p.finish();
        double encS = (System.nanoTime() - e0) / 1e9;
        long trainN, valN, trainBytes, valBytes, trainDocs, valDocs;
        if (docs) {
            checkDocsSplit(c, enc, o);
            trainN = size(trainBin) / w;
            valN = size(valBin) / w;
            trainBytes = enc.trainBytes;
            valBytes = enc.valBytes;
            trainDocs = enc.trainDocs;
            valDocs = enc.valDocs;
        } else if (nanogpt) {
            trainN = size(trainBin) / w;
            valN = size(valBin) / w;
            trainBytes = enc.trainBytes;
            valBytes = encVal.trainBytes;
            trainDocs = enc.trainDocs;
            valDocs = 0; // validation continues the training text's document, as with the tail split
        } else {
            long n = size(trainBin) / w;
            valN = tailSize(c, n, o.valFraction());
            trainN = n - valN;
            moveTail(trainBin, valBin, trainN * w, valN * w);
            valBytes = textBytes(valBin, w, valN, enc.bytesPerId());
            trainBytes = enc.trainBytes - valBytes;
            valDocs = enc.docsFrom(trainN);
            trainDocs = enc.trainDocs;
        }
        tok.save(dir.resolve(TokenStore.TOKENIZER_FILE));
        Pickles.writeNanogptMeta(dir, tok);
        String tokSha = Files2.sha256(Tokenizers.fileBytes(tok));
        String created = Instant.now().toString();
        String srcSha = Files2.hex(md.digest());
        for (String split : new String[]{"train", "val"}) {
            boolean t = split.equals("train");
            Path bin = t ? trainBin : valBin;
            StoreMeta m = new StoreMeta(TokenStore.FORMAT, TokenStore.VERSION, split, split + ".bin", dtype, "little",
                    t ? trainN : valN, (t ? trainN : valN) * w, sha(bin), tok.vocabSize(), Tokenizers.specOf(tok), TokenStore.TOKENIZER_FILE,
                    tokSha, tok.eot().isPresent() ? tok.eot().getAsInt() : null, t ? trainDocs : valDocs, t ? trainBytes : valBytes,
                    corpus, c.parts.size(), sourceBytes, srcSha, nanogpt ? "nanogpt" : docs ? "docs" : "tail", o.valFraction(), o.seed(), o.onInvalid().toString(),
                    c.replaced, c.nulRemoved, null, null, created);
            Files2.writeAtomic(dir.resolve(split + ".meta.json"), Json.pretty(m));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        return new Report(out, corpus, Tokenizers.specOf(tok), tok.vocabSize(), dtype, trainN, valN, c.documents, sourceBytes, fitS, encS, s);
    }

    static Progress bar(Options o, String label, long total) {
        return o.quiet() ? Progress.silent() : Progress.bar(label, total);
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha(Path f) {
        try {
            return Files2.sha256(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Moves bytes [keep, keep+len) of {@code from} into a new file {@code to} and truncates {@code from} to {@code keep}. */
    static void moveTail(Path from, Path to, long keep, long len) {
        try (FileChannel src = FileChannel.open(from, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileChannel dst = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            long done = 0;
            while (done < len) done += src.transferTo(keep + done, len - done, dst);
            dst.force(true);
            src.truncate(keep);
            src.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot split " + from, e);
        }
    }

    private static long textBytes(Path bin, int w, long n, int[] bytesPerId) {
        TokenSource s = TokenStore.mapFile(bin, w, n);
        int[] buf = new int[1 << 16];
        long b = 0;
        for (long i = 0; i < n; i += buf.length) {
            int len = (int) Math.min(buf.length, n - i);
            s.read(i, buf, 0, len);
            for (int j = 0; j < len; j++) b += bytesPerId[buf[j]];
        }
        return b;
    }
}
