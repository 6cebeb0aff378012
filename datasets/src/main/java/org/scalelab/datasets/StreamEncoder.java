package org.scalelab.datasets;

import java.util.Arrays;

/**
 * Encodes a stream of documents into token sinks, a bounded piece at a time, so a corpus of any size
 * passes through a fixed amount of memory. Pieces are cut where a letter or digit meets a space or a
 * newline: GPT-2's pre-tokenizer always splits there, so encoding piece by piece gives exactly the
 * tokens of encoding the whole document at once. Documents are separated by the tokenizer's
 * end-of-text token (or a newline for char/byte vocabularies), between documents of the same split.
 * With the {@code docs} split each document goes to validation when a seeded hash of its index falls
 * below the validation fraction; with {@code tail} everything goes to the training sink and the caller
 * cuts off the last tokens.
 */
final class StreamEncoder implements TextCorpus.DocSink {
    static int pieceChars = 1 << 20;   // a test makes it small to check that cutting changes nothing

    private final Tokenizer tok;
    private int[] sep; // computed when a second document arrives: a one-document char vocabulary may lack '\n'
    private final int[] bytesPerId;
    private final boolean docsSplit;
    private final double valFraction;
    private final long seed;
    private final TokenSink train, val;
    private final boolean cutAnywhere;
    private final StringBuilder pending = new StringBuilder();
    private TokenSink cur;
    private boolean started, trainHasDoc, valHasDoc;
    private long docIndex;
    long trainDocs, valDocs, trainBytes, valBytes;
    long[] docStarts = new long[256]; // tail split: token offset of each document's start
    int nDocStarts;

    StreamEncoder(Tokenizer tok, boolean docsSplit, double valFraction, long seed, TokenSink train, TokenSink val) {
        this.tok = tok;
        this.bytesPerId = Tokenizers.tokenBytes(tok);
        this.docsSplit = docsSplit;
        this.valFraction = valFraction;
        this.seed = seed;
        this.train = train;
        this.val = val;
        this.cutAnywhere = tok instanceof CharTokenizer || tok instanceof ByteTokenizer;
    }

    /** A uniform number in [0, 1) from the seed and a document's index (the docs split). */
    static double docHash(long seed, long index) {
        long z = seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    @Override
    public void begin() {
        started = false;
    }

    @Override
    public void text(String chunk) {
        if (chunk.isEmpty()) return;
        if (!started) startDoc();
        pending.append(chunk);
        while (pending.length() >= pieceChars) {
            int cut = cutPoint();
            if (cut <= 0) break;
            emit(cut);
        }
    }

    @Override
    public void end() {
        if (!started) return; // an empty document: no tokens, no separator
        if (pending.length() > 0) emit(pending.length());
        docIndex++;
    }

    private void startDoc() {
        started = true;
        boolean toVal = docsSplit && docHash(seed, docIndex) < valFraction;
        cur = toVal ? val : train;
        boolean had = toVal ? valHasDoc : trainHasDoc;
        if (had) {
            if (sep == null) sep = Tokenizers.separator(tok);
            write(sep, sep.length);
        }
        if (toVal) {
            valHasDoc = true;
            valDocs++;
        } else {
            trainHasDoc = true;
            trainDocs++;
        }
        if (!docsSplit) {
            if (nDocStarts == docStarts.length) docStarts = Arrays.copyOf(docStarts, nDocStarts * 2);
            docStarts[nDocStarts++] = train.size();
        }
    }

    /** Where to cut the pending text: after the last letter or digit that a space or newline follows. */
    private int cutPoint() {
        int n = pending.length();
        if (!cutAnywhere) {
            for (int i = n - 1; i > 0; i--) {
                char c = pending.charAt(i);
                if ((c == ' ' || c == '\n') && Character.isLetterOrDigit(pending.charAt(i - 1))) return i;
            }
        }
        return Character.isHighSurrogate(pending.charAt(n - 1)) ? n - 1 : n;
    }

    private void emit(int cut) {
        String piece = pending.substring(0, cut);
        pending.delete(0, cut);
        int[] ids = tok.encode(piece);
        write(ids, ids.length);
    }

    private void write(int[] ids, int len) {
        cur.write(ids, 0, len);
        long b = 0;
        for (int i = 0; i < len; i++) b += bytesPerId[ids[i]];
        if (cur == val && docsSplit) valBytes += b;
        else trainBytes += b;
    }

    /** Starts a document of raw bytes (byte tokenizer, --on-invalid keep). */
    void rawBegin() {
        begin();
        startDoc();
    }

    /** Bytes of the current raw document, stored as they are. */
    void rawChunk(byte[] data, int len) {
        int[] ids = new int[len];
        for (int i = 0; i < len; i++) ids[i] = data[i] & 0xFF;
        write(ids, len);
    }

    void rawEnd() {
        docIndex++;
    }

    /** Documents starting at or after token {@code cut} (the tail split's validation documents). */
    long docsFrom(long cut) {
        long k = 0;
        for (int i = 0; i < nDocStarts; i++) if (docStarts[i] >= cut) k++;
        return k;
    }

    int[] bytesPerId() {
        return bytesPerId;
    }
}
