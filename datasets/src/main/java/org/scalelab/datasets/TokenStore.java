package org.scalelab.datasets;


import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Token stores on disk: {@code NAME.bin} (little-endian uint16 or uint32 token ids, nothing else) and
 * {@code NAME.meta.json} ({@link StoreMeta}). A prepared store is a folder holding {@code train.bin},
 * {@code val.bin}, their meta files, {@code tokenizer.json} and, for character vocabularies, nanoGPT's
 * {@code meta.pkl} (never read back while tokenizer.json is there). uint16 files are byte for byte what
 * nanoGPT's {@code np.memmap(…, dtype=np.uint16)} reads, and a nanoGPT data folder (train.bin, val.bin,
 * optional meta.pkl) opens as a store. Token files are memory-mapped, so a store larger than the heap
 * costs no heap.
 */
public final class TokenStore {
    public static final String FORMAT = "scalelab-token-store";
    public static final int VERSION = 1;
    static final String TOKENIZER_FILE = "tokenizer.json";
    /** nanoGPT's vocabulary file, written beside char stores for nanoGPT; ScaleLab reads tokenizer.json first. */
    static final String NANOGPT_META = "meta.pkl";

    /** Bytes per mapped segment (a multiple of 4); tests make it small to cross segment borders. */
    static int segmentBytes = 1 << 30;

    private TokenStore() {}

    /** A store opened for reading: validated metadata, mapped tokens and the tokenizer. */
    public record Opened(Path dir, StoreMeta train, StoreMeta val, TokenSource trainTokens, TokenSource valTokens,
                         Tokenizer tokenizer, boolean nanogpt) {}

    static int width(String dtype) {
        return switch (dtype) {
            case "uint16" -> 2;
            case "uint32" -> 4;
            default -> throw new UserError("dtype '" + dtype + "' is not known; token files are uint16 or uint32");
        };
    }

    /** uint16 when every id fits (nanoGPT's format), else uint32. */
    static String dtypeFor(int vocabSize) {
        return vocabSize <= 65536 ? "uint16" : "uint32";
    }

    /** {@code true} when {@code p} is a store folder, a {@code .meta.json} file or a {@code .bin} file. */
    static boolean isStore(Path p) {
        if (Files.isDirectory(p)) {
            return Files.isRegularFile(p.resolve("train.meta.json")) || Files.isRegularFile(p.resolve("train.bin"));
        }
        String n = p.getFileName() == null ? "" : p.getFileName().toString();
        return Files.isRegularFile(p) && (n.endsWith(".meta.json") || n.endsWith(".bin"));
    }

    /**
     * Opens a store: a folder, its {@code train.meta.json} / {@code val.meta.json}, or a single
     * {@code NAME.meta.json} / {@code NAME.bin} (then {@code val} is null and the caller splits). Every id
     * in the token files is checked to be below the vocabulary size ({@link #checkIds}); a store that
     * holds a larger one is refused.
     */
    public static Opened open(Path p) {
        return open(p, true);
    }

    /** As {@link #open(Path)}; {@code checkIds} false skips the id check (for {@code data info --verify}, which reports every problem). */
    static Opened open(Path p, boolean checkIds) {
        if (Files.isDirectory(p)) return openDir(p, checkIds);
        String n = p.getFileName().toString();
        Path dir = p.toAbsolutePath().getParent();
        if (n.equals("train.meta.json") || n.equals("val.meta.json") || n.equals("train.bin") || n.equals("val.bin")) return openDir(dir, checkIds);
        if (n.endsWith(".meta.json")) {
            StoreMeta m = readMeta(p);
            Tokenizer tok = loadTokenizer(dir, m, p);
            return new Opened(dir, m, null, map(dir.resolve(m.file()), m, p, checkIds), null, tok, false);
        }
        if (n.endsWith(".bin")) {
            Path meta = dir.resolve(n.substring(0, n.length() - 4) + ".meta.json");
            if (Files.isRegularFile(meta)) return open(meta, checkIds);
            Tokenizer tok = nanogptTokenizer(dir);
            StoreMeta m = nanogptMeta(p, tok, "train");
            return new Opened(dir, m, null, map(p, m, p, checkIds), null, tok, true);
        }
        throw new UserError(p + ": not a token store; give a folder written by data prepare, a NAME.meta.json or a NAME.bin");
    }

    private static Opened openDir(Path dir, boolean checkIds) {
        Path tm = dir.resolve("train.meta.json"), vm = dir.resolve("val.meta.json");
        if (!Files.isRegularFile(tm)) {
            if (Files.isRegularFile(dir.resolve("train.bin")) && !Files.isRegularFile(vm)) return openNanogpt(dir, checkIds);
            throw new UserError(dir + ": no train.meta.json; the store is incomplete (an interrupted data prepare?); run data prepare again");
        }
        StoreMeta train = readMeta(tm);
        StoreMeta val = Files.isRegularFile(vm) ? readMeta(vm) : null;
        if (!"train".equals(train.split())) throw new UserError(tm + ": split is '" + train.split() + "', expected 'train'");
        if (val != null) {
            if (!"val".equals(val.split())) throw new UserError(vm + ": split is '" + val.split() + "', expected 'val'");
            if (!eq(val.tokenizerSha256(), train.tokenizerSha256()) || val.vocabSize() != train.vocabSize() || !val.dtype().equals(train.dtype())) {
                throw new UserError(vm + ": tokenizer, vocabulary or dtype differs from train.meta.json; the two splits come from "
                        + "different preparations; run data prepare again");
            }
        }
        Tokenizer tok = loadTokenizer(dir, train, tm);
        TokenSource t = map(dir.resolve(train.file()), train, tm, checkIds);
        TokenSource v = val == null ? null : map(dir.resolve(val.file()), val, vm, checkIds);
        return new Opened(dir, train, val, t, v, tok, false);
    }

    private static boolean eq(String a, String b) {
        return a == null ? b == null : a.equals(b);
    }

    static StoreMeta readMeta(Path metaFile) {
        StoreMeta m;
        try {
            m = Json.MAPPER.readValue(metaFile.toFile(), StoreMeta.class);
        } catch (IOException e) {
            throw new UserError(metaFile + ": unreadable token-store metadata (" + e.getMessage().split("\n")[0] + "); run data prepare again");
        }
        if (m == null || !FORMAT.equals(m.format())) {
            throw new UserError(metaFile + ": 'format' is " + (m == null ? "missing" : "'" + m.format() + "'") + ", expected '" + FORMAT
                    + "'; this is not a ScaleLab token store");
        }
        if (m.version() > VERSION) {
            throw new UserError(metaFile + ": format version " + m.version() + " is newer than this ScaleLab reads (" + VERSION + "); update ScaleLab");
        }
        if (m.file() == null || m.dtype() == null) throw new UserError(metaFile + ": 'file' or 'dtype' is missing; run data prepare again");
        width(m.dtype());
        if (!"little".equals(m.byteOrder())) throw new UserError(metaFile + ": byte_order '" + m.byteOrder() + "'; only little-endian stores are read");
        if (m.tokens() < 0 || m.vocabSize() <= 0) throw new UserError(metaFile + ": negative 'tokens' or missing 'vocab_size'; run data prepare again");
        if (m.vocabSize() > (m.width() == 2 ? 65536 : Integer.MAX_VALUE)) {
            throw new UserError(metaFile + ": vocab_size " + m.vocabSize() + " does not fit dtype " + m.dtype());
        }
        return m;
    }

    private static Tokenizer loadTokenizer(Path dir, StoreMeta m, Path metaFile) {
        Path tf = dir.resolve(m.tokenizerFile() == null ? TOKENIZER_FILE : m.tokenizerFile());
        if (!Files.isRegularFile(tf)) throw new UserError(tf + ": missing; the store " + dir + " cannot be decoded without it; run data prepare again");
        if (m.tokenizerSha256() != null) {
            String sha;
            try {
                sha = Files2.sha256(tf);
            } catch (IOException e) {
                throw new UserError(tf + ": cannot read (" + e.getMessage() + ")");
            }
            if (!sha.equals(m.tokenizerSha256())) {
                throw new UserError(tf + ": SHA-256 " + sha.substring(0, 12) + "… differs from " + metaFile.getFileName() + "'s tokenizer_sha256 "
                        + m.tokenizerSha256().substring(0, Math.min(12, m.tokenizerSha256().length()))
                        + "…; the tokenizer was replaced; restore it or run data prepare again");
            }
        }
        Tokenizer t = Tokenizers.load(tf);
        if (t.vocabSize() != m.vocabSize()) {
            throw new UserError(metaFile + ": vocab_size " + m.vocabSize() + " but " + tf.getFileName() + " has " + t.vocabSize()
                    + " ids; the store and its tokenizer do not belong together; run data prepare again");
        }
        return t;
    }

    /** Maps a token file after checking its size against the metadata and, when {@code checkIds}, its ids against the vocabulary. */
    static TokenSource map(Path bin, StoreMeta m, Path metaFile, boolean checkIds) {
        long size;
        try {
            size = Files.size(bin);
        } catch (IOException e) {
            throw new UserError(bin + ": missing or unreadable token file (" + e.getMessage() + "); run data prepare again");
        }
        long want = m.tokens() * m.width();
        if (size != want) {
            String what = size < want ? "truncated" : "longer than its metadata says";
            throw new UserError(String.format(Locale.ROOT, "%s: %s: %,d bytes, but %s says %,d %s tokens = %,d bytes; run data prepare again",
                    bin, what, size, metaFile.getFileName(), m.tokens(), m.dtype(), want));
        }
        Mapped tokens = mapFile(bin, m.width(), m.tokens());
        if (checkIds) checkIds(bin, m, tokens, metaFile);
        return tokens;
    }

    static Mapped mapFile(Path bin, int width, long tokens) {
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ)) {
            long bytes = tokens * width;
            int seg = segmentBytes;
            List<MappedByteBuffer> segs = new ArrayList<>();
            for (long pos = 0; pos < bytes; pos += seg) {
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, pos, Math.min(seg, bytes - pos));
                b.order(ByteOrder.LITTLE_ENDIAN);
                segs.add(b);
            }
            return new Mapped(segs.toArray(new MappedByteBuffer[0]), width, tokens, seg / width);
        } catch (IOException e) {
            throw new UserError(bin + ": cannot map the token file (" + e.getMessage() + ")");
        }
    }

    /** Tokens read straight from mapped file segments. */
    static final class Mapped implements TokenSource {
        private final MappedByteBuffer[] segs;
        private final int width;
        private final long n;
        private final long segTokens;

        Mapped(MappedByteBuffer[] segs, int width, long n, long segTokens) {
            this.segs = segs;
            this.width = width;
            this.n = n;
            this.segTokens = segTokens;
        }

        @Override public long size() { return n; }

        @Override
        public int get(long i) {
            if (i < 0 || i >= n) throw new IndexOutOfBoundsException(i + " of " + n);
            ByteBuffer b = segs[(int) (i / segTokens)];
            int off = (int) ((i % segTokens) * width);
            return width == 2 ? b.getShort(off) & 0xFFFF : b.getInt(off);
        }

        @Override
        public void read(long from, int[] dst, int off, int len) {
            if (from < 0 || len < 0 || from + len > n) throw new IndexOutOfBoundsException(from + "+" + len + " of " + n);
            while (len > 0) {
                int s = (int) (from / segTokens);
                int k = (int) (from % segTokens);
                int m = (int) Math.min(len, segTokens - k);
                ByteBuffer b = segs[s];
                if (width == 2) {
                    for (int j = 0, p = k * 2; j < m; j++, p += 2) dst[off + j] = b.getShort(p) & 0xFFFF;
                } else {
                    for (int j = 0, p = k * 4; j < m; j++, p += 4) dst[off + j] = b.getInt(p);
                }
                from += m;
                off += m;
                len -= m;
            }
        }

        /**
         * The largest id in the file (uint32 ids read unsigned) and the first position that holds it,
         * {@code {-1, -1}} when the file is empty: one pass over the mapped segments.
         */
        long[] maxId() {
            long max = -1, at = -1;
            short[] s16 = width == 2 ? new short[1 << 15] : null;
            int[] s32 = width == 4 ? new int[1 << 14] : null;
            for (int seg = 0; seg < segs.length; seg++) {
                ByteBuffer b = segs[seg].duplicate().order(ByteOrder.LITTLE_ENDIAN);
                long base = seg * segTokens;
                if (width == 2) {
                    var view = b.asShortBuffer();
                    for (long done = 0; view.hasRemaining(); ) {
                        int len = Math.min(s16.length, view.remaining());
                        view.get(s16, 0, len);
                        int m = 0;
                        for (int j = 0; j < len; j++) m = Math.max(m, s16[j] & 0xFFFF);
                        if (m > max) {
                            for (int j = 0; ; j++) {
                                if ((s16[j] & 0xFFFF) == m) {
                                    at = base + done + j;
                                    break;
                                }
                            }
                            max = m;
                        }
                        done += len;
                    }
                } else {
                    var view = b.asIntBuffer();
                    for (long done = 0; view.hasRemaining(); ) {
                        int len = Math.min(s32.length, view.remaining());
                        view.get(s32, 0, len);
                        long m = 0;
                        for (int j = 0; j < len; j++) m = Math.max(m, Integer.toUnsignedLong(s32[j]));
                        if (m > max) {
                            for (int j = 0; ; j++) {
                                if (Integer.toUnsignedLong(s32[j]) == m) {
                                    at = base + done + j;
                                    break;
                                }
                            }
                            max = m;
                        }
                        done += len;
                    }
                }
            }
            return new long[]{max, at};
        }
    }

    // ---- the id check when a store is opened -------------------------------------------------------------

    /**
     * What the id check found in one token file, kept beside it as {@code .NAME.bin.ids.json} so that a
     * store is scanned once, not on every open. It describes the file only while the file is the one that
     * was scanned: same size, modification time and file key (inode), and the same SHA-256 in its metadata
     * (a new preparation writes a new one). Hashing the file to key the record would cost more than the
     * scan it saves, so the record is keyed by those cheap facts and the recorded hash.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record IdScan(@com.fasterxml.jackson.annotation.JsonProperty("file") String file,
                  @com.fasterxml.jackson.annotation.JsonProperty("bytes") long bytes,
                  @com.fasterxml.jackson.annotation.JsonProperty("modified") String modified,
                  @com.fasterxml.jackson.annotation.JsonProperty("file_key") String fileKey,
                  @com.fasterxml.jackson.annotation.JsonProperty("sha256") String sha256,
                  @com.fasterxml.jackson.annotation.JsonProperty("max_id") long maxId,
                  @com.fasterxml.jackson.annotation.JsonProperty("max_at") long maxAt) {}

    static Path idScanFile(Path bin) {
        return bin.toAbsolutePath().resolveSibling("." + bin.getFileName() + ".ids.json");
    }

    /**
     * Refuses a token file that holds an id ≥ the vocabulary size: such an id would index past the
     * embedding table (an exception deep in training, or silently a wrong row). The largest id comes from
     * the file's {@link IdScan} record when it still describes the file, else from a scan, whose result is
     * recorded once the file is a few seconds old ({@link #settled}; best effort: a store in a folder this
     * user cannot write is scanned on every open).
     */
    static void checkIds(Path bin, StoreMeta m, Mapped tokens, Path metaFile) {
        if (tokens.size() == 0) return;
        IdScan now = stat(bin, m);
        IdScan scan = now == null ? null : readScan(bin, now);
        if (scan == null) {
            long[] found = tokens.maxId();
            scan = now == null ? new IdScan(null, 0, null, null, null, found[0], found[1])
                    : new IdScan(now.file(), now.bytes(), now.modified(), now.fileKey(), now.sha256(), found[0], found[1]);
            if (now != null && settled(now)) {
                try {
                    Files2.writeAtomic(idScanFile(bin), Json.pretty(scan));
                } catch (java.io.UncheckedIOException ignored) {
                    // a read-only store: scanned again next time
                }
            }
        }
        if (scan.maxId() >= m.vocabSize()) {
            Path dir = bin.toAbsolutePath().getParent();
            throw new UserError(String.format(Locale.ROOT, "%s: token %,d is id %d, but the vocabulary (%s) has %,d ids, 0 to %d; the file is "
                    + "damaged or belongs to another vocabulary: run scalelab data info %s --verify to see what changed, or prepare the store again",
                    bin, scan.maxAt(), scan.maxId(), vocabularyFrom(dir, bin, metaFile), m.vocabSize(), m.vocabSize() - 1, dir));
        }
    }

    /** Where a store's vocabulary size comes from, for messages. */
    private static String vocabularyFrom(Path dir, Path bin, Path metaFile) {
        if (!metaFile.equals(bin)) return "vocab_size in " + metaFile.getFileName();
        if (Files.isRegularFile(dir.resolve(TOKENIZER_FILE))) return TOKENIZER_FILE;
        if (Files.isRegularFile(dir.resolve(NANOGPT_META))) return NANOGPT_META;
        return "GPT-2's, as no meta.pkl is there";
    }

    /**
     * Whether the file was last modified long enough ago for its modification time to tell a later change
     * apart: file systems stamp times from a coarse clock (milliseconds apart), so a file written again
     * just after a scan could keep the time the record holds. A younger file is scanned but not recorded.
     */
    private static boolean settled(IdScan now) {
        return java.time.Instant.parse(now.modified()).isBefore(java.time.Instant.now().minusSeconds(2));
    }

    /** The facts that identify the file now, or null when they cannot be read. */
    private static IdScan stat(Path bin, StoreMeta m) {
        try {
            var a = Files.readAttributes(bin, java.nio.file.attribute.BasicFileAttributes.class);
            Object key = a.fileKey();
            return new IdScan(bin.getFileName().toString(), a.size(), a.lastModifiedTime().toInstant().toString(),
                    key == null ? null : key.toString(), m.sha256(), -1, -1);
        } catch (IOException e) {
            return null;
        }
    }

    /** The recorded scan when it describes the file as it is now, else null. */
    private static IdScan readScan(Path bin, IdScan now) {
        Path f = idScanFile(bin);
        if (!Files.isRegularFile(f)) return null;
        IdScan r;
        try {
            r = Json.MAPPER.readValue(f.toFile(), IdScan.class);
        } catch (IOException e) {
            return null; // damaged: scanned again and rewritten
        }
        boolean same = r != null && now.file().equals(r.file()) && now.bytes() == r.bytes() && now.modified().equals(r.modified())
                && eq(now.fileKey(), r.fileKey()) && eq(now.sha256(), r.sha256());
        return same ? r : null;
    }

    // ---- nanoGPT folders: train.bin / val.bin as np.uint16, an optional meta.pkl -------------------------

    private static Opened openNanogpt(Path dir, boolean checkIds) {
        Tokenizer tok = nanogptTokenizer(dir);
        Path tb = dir.resolve("train.bin"), vb = dir.resolve("val.bin");
        StoreMeta tm = nanogptMeta(tb, tok, "train");
        StoreMeta vm = Files.isRegularFile(vb) ? nanogptMeta(vb, tok, "val") : null;
        return new Opened(dir, tm, vm, map(tb, tm, tb, checkIds), vm == null ? null : map(vb, vm, vb, checkIds), tok, true);
    }

    /** tokenizer.json if present; else meta.pkl's character vocabulary (shakespeare_char); else GPT-2's BPE. */
    static Tokenizer nanogptTokenizer(Path dir) {
        if (Files.isRegularFile(dir.resolve(TOKENIZER_FILE))) return Tokenizers.load(dir.resolve(TOKENIZER_FILE));
        Path pkl = dir.resolve(NANOGPT_META);
        if (Files.isRegularFile(pkl)) return Pickles.charTokenizer(pkl);
        return Gpt2Tokenizer.INSTANCE;
    }

    private static StoreMeta nanogptMeta(Path bin, Tokenizer tok, String split) {
        long size;
        try {
            size = Files.size(bin);
        } catch (IOException e) {
            throw new UserError(bin + ": cannot read (" + e.getMessage() + ")");
        }
        if (size % 2 != 0) {
            throw new UserError(bin + ": " + size + " bytes is odd; a nanoGPT token file is uint16 (2 bytes per token), so it is truncated");
        }
        if (tok.vocabSize() > 65536) throw new UserError(bin + ": the tokenizer has " + tok.vocabSize() + " ids, more than uint16 holds");
        return new StoreMeta(FORMAT, VERSION, split, bin.getFileName().toString(), "uint16", "little", size / 2, size, null,
                tok.vocabSize(), Tokenizers.specOf(tok), null, null, tok.eot().isPresent() ? tok.eot().getAsInt() : null,
                null, null, bin.getParent().toString(), null, null, null, null, null, null, null, null, null, null, null, null);
    }

    // ---- checks on demand ---------------------------------------------------------------------------------

    /** Recomputes a token file's SHA-256 and checks every id against the vocabulary; returns problems found. */
    static List<String> verify(Path dir, StoreMeta m, TokenSource tokens) {
        List<String> problems = new ArrayList<>();
        Path bin = dir.resolve(m.file());
        if (m.sha256() != null) {
            try {
                String sha = Files2.sha256(bin);
                if (!sha.equals(m.sha256())) problems.add(bin + ": SHA-256 " + sha + " differs from the metadata's " + m.sha256() + " (the file changed)");
            } catch (IOException e) {
                problems.add(bin + ": cannot read (" + e.getMessage() + ")");
            }
        }
        int[] buf = new int[1 << 16];
        for (long i = 0; i < tokens.size(); i += buf.length) {
            int len = (int) Math.min(buf.length, tokens.size() - i);
            tokens.read(i, buf, 0, len);
            for (int j = 0; j < len; j++) {
                if (buf[j] < 0 || buf[j] >= m.vocabSize()) {
                    problems.add(String.format(Locale.ROOT, "%s: token %,d is id %d, outside the vocabulary of %d", bin, i + j, buf[j], m.vocabSize()));
                    return problems;
                }
            }
        }
        return problems;
    }
}
