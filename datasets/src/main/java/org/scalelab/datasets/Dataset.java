package org.scalelab.datasets;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A tokenized corpus split into training and validation tokens: what the trainer reads.
 * Validation is the last {@code valFraction} of the token stream (a contiguous block), so it never
 * overlaps the training windows.
 */
public final class Dataset {
    private final String name;
    private final Tokenizer tokenizer;
    private final TokenSource train;
    private final TokenSource val;
    private final double lossFloor;

    public Dataset(String name, Tokenizer tokenizer, TokenSource train, TokenSource val) {
        this(name, tokenizer, train, val, Double.NaN);
    }

    /** A dataset whose validation split has a known Bayes-optimal loss {@code lossFloor} (nats/token). */
    public Dataset(String name, Tokenizer tokenizer, TokenSource train, TokenSource val, double lossFloor) {
        this.name = name;
        this.tokenizer = tokenizer;
        this.train = train;
        this.val = val;
        this.lossFloor = lossFloor;
    }

    public String name() { return name; }

    public Tokenizer tokenizer() { return tokenizer; }

    /** The exact Bayes-optimal validation loss in nats per token, when the corpus' generator is known. */
    public java.util.OptionalDouble lossFloorNats() {
        return Double.isNaN(lossFloor) ? java.util.OptionalDouble.empty() : java.util.OptionalDouble.of(lossFloor);
    }

    /** All training tokens. */
    public TokenSource train() { return train; }

    /** Validation tokens. */
    public TokenSource val() { return val; }

    /** The training tokens a run with budget D sees (all of them when D ≤ 0). */
    public TokenSource train(long budget) {
        if (budget <= 0 || budget >= train.size()) return train;
        TokenSource all = train;
        return new TokenSource() {
            @Override public long size() { return budget; }
            @Override public int get(long i) { return all.get(i); }
            @Override public void read(long from, int[] dst, int off, int len) { all.read(from, dst, off, len); }
        };
    }

    /** Opens the corpus a spec names, tokenizes it and splits it. */
    public static Dataset open(DataSpec spec) {
        if (spec.corpus() == null || spec.corpus().isBlank()) {
            throw new UserError("data.corpus is not set; give a text file or 'synthetic', e.g. --set data.corpus=input.txt");
        }
        if (!(spec.valFraction() > 0 && spec.valFraction() < 1)) {
            throw new UserError("data.valFraction must be in (0, 1), got " + spec.valFraction());
        }
        if (spec.corpus().equals("synthetic") || spec.corpus().startsWith("synthetic:")) {
            return SyntheticCorpus.dataset(spec.corpus());
        }
        if (!spec.tokenizer().equals("char")) {
            throw new UserError("data.tokenizer '" + spec.tokenizer() + "' is not known; use char");
        }
        Path file = Path.of(spec.corpus());
        String text = readUtf8(file);
        CharTokenizer tok = CharTokenizer.fit(text);
        int[] ids = tok.encode(text);
        int nVal = (int) Math.max(1, Math.round(ids.length * spec.valFraction()));
        return new Dataset(file.getFileName().toString(), tok,
                TokenSource.of(ids, 0, ids.length - nVal), TokenSource.of(ids, ids.length - nVal, ids.length));
    }

    /** Reads a whole UTF-8 text file strictly; a BOM is dropped and CRLF becomes LF. */
    public static String readUtf8(Path file) {
        if (!Files.exists(file)) throw new UserError(file + ": no such file; check data.corpus");
        if (Files.isDirectory(file)) throw new UserError(file + ": is a directory; data.corpus must name a text file");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (bytes.length == 0) throw new UserError(file + ": file is empty; data.corpus needs text to train on");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (MalformedInputException e) {
            throw new UserError(file + ": not valid UTF-8 near byte " + firstInvalidByte(bytes)
                    + "; convert it to UTF-8 (e.g. iconv -f latin1 -t utf-8)", e);
        } catch (CharacterCodingException e) {
            throw new UserError(file + ": not valid UTF-8 (" + e.getMessage() + ")", e);
        }
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        return text.replace("\r\n", "\n");
    }

    private static long firstInvalidByte(byte[] bytes) {
        var dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        var out = java.nio.CharBuffer.allocate(bytes.length + 1);
        var res = dec.decode(in, out, true);
        return res.isError() ? in.position() : -1;
    }
}
