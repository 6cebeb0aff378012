package org.scalelab.datasets;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads UTF-8 text as a sequence of chunks, strictly: a UTF-8 byte-order mark is dropped, CRLF becomes
 * LF, NUL characters are removed (and counted), a UTF-16 byte-order mark is an error, and invalid UTF-8
 * is an error naming the byte offset and line, or, with {@link OnInvalid#REPLACE}, becomes U+FFFD
 * (counted).
 */
final class TextReader {
    static final int CHUNK = 1 << 20;

    private final InputStream in;
    private final String name;
    private final OnInvalid mode;
    private final CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer buf;
    private long bufStart;          // absolute offset of buf's index 0
    private boolean eof, finished, atStart = true, heldCR;
    private long lines = 1;         // line of the next decoded character (1-based), for error messages
    long bytesRead, nulRemoved, replaced;

    TextReader(InputStream in, String name, OnInvalid mode) {
        this(in, name, mode, CHUNK);
    }

    TextReader(InputStream in, String name, OnInvalid mode, int chunkBytes) {
        this.in = in;
        this.name = name;
        this.mode = mode == OnInvalid.KEEP ? OnInvalid.ERROR : mode;
        this.buf = ByteBuffer.allocate(Math.max(8, chunkBytes));
        buf.flip();
    }

    /** The next chunk of normalised text (possibly empty), or null at the end. */
    String next() throws IOException {
        if (finished) return null;
        bufStart += buf.position();
        buf.compact();
        while (buf.hasRemaining() && !eof) {
            int n = in.read(buf.array(), buf.position(), buf.remaining());
            if (n < 0) eof = true;
            else {
                buf.position(buf.position() + n);
                bytesRead += n;
            }
        }
        buf.flip();
        if (atStart && (buf.remaining() >= 3 || eof)) {
            atStart = false;
            checkStart();
        }
        CharBuffer out = CharBuffer.allocate(buf.remaining() + 2);
        while (true) {
            CoderResult r = dec.decode(buf, out, eof);
            if (r.isUnderflow()) break;
            if (r.isOverflow()) {
                out = grow(out);
                continue;
            }
            long at = bufStart + buf.position();
            if (mode == OnInvalid.ERROR) {
                long line = lines + countNewlines(out);
                throw new UserError(String.format(Locale.ROOT, "%s: invalid UTF-8 at byte %d (line %d, byte 0x%02X); convert it to UTF-8 "
                        + "(e.g. iconv -f latin1 -t utf-8) or pass --on-invalid replace", name, at, line, buf.get(buf.position()) & 0xFF));
            }
            if (!out.hasRemaining()) out = grow(out);
            out.put('\uFFFD');
            replaced++;
            buf.position(buf.position() + r.length());
        }
        if (eof) {
            while (dec.flush(out).isOverflow()) out = grow(out);
            finished = true;
        }
        out.flip();
        return normalise(out);
    }

    private static CharBuffer grow(CharBuffer out) {
        CharBuffer bigger = CharBuffer.allocate(out.capacity() * 2 + 16);
        out.flip();
        bigger.put(out);
        return bigger;
    }

    private void checkStart() {
        int n = buf.remaining();
        int b0 = n > 0 ? buf.get(0) & 0xFF : -1, b1 = n > 1 ? buf.get(1) & 0xFF : -1, b2 = n > 2 ? buf.get(2) & 0xFF : -1;
        if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) {
            buf.position(3);
        } else if ((b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF)) {
            throw new UserError(name + ": starts with a UTF-16 byte-order mark; convert it to UTF-8 (e.g. iconv -f utf-16 -t utf-8)");
        }
    }

    private static long countNewlines(CharBuffer out) {
        long k = 0;
        for (int i = 0; i < out.position(); i++) if (out.get(i) == '\n') k++;
        return k;
    }

    /** CRLF → LF (a CR at the end of a chunk waits for the next one), NUL removed. */
    private String normalise(CharBuffer cb) {
        StringBuilder sb = new StringBuilder(cb.remaining() + 1);
        int n = cb.remaining();
        if (heldCR) {
            if (n == 0 || cb.get(0) != '\n') sb.append('\r');
            heldCR = false;
        }
        for (int i = 0; i < n; i++) {
            char c = cb.get(i);
            if (c == '\r') {
                if (i + 1 < n) {
                    if (cb.get(i + 1) != '\n') sb.append('\r');
                } else if (finished) {
                    sb.append('\r');
                } else {
                    heldCR = true;
                }
            } else if (c == 0) {
                nulRemoved++;
            } else {
                if (c == '\n') lines++;
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
