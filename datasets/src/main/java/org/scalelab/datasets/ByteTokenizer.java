package org.scalelab.datasets;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer: the 256 byte values of the text's UTF-8 encoding are the ids (enwik8-style
 * bits per byte). Decoding a sequence that is not valid UTF-8 (a sample cut mid-character) gives U+FFFD.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final ByteTokenizer INSTANCE = new ByteTokenizer();

    private ByteTokenizer() {}

    @Override public String kind() { return "byte"; }

    @Override public int vocabSize() { return 256; }

    @Override
    public int[] encode(String text) {
        return encodeBytes(text.getBytes(StandardCharsets.UTF_8), 0, -1);
    }

    /** The ids of {@code bytes[off, off+len)} ({@code len < 0}: to the end). */
    public int[] encodeBytes(byte[] bytes, int off, int len) {
        if (len < 0) len = bytes.length - off;
        int[] out = new int[len];
        for (int i = 0; i < len; i++) out[i] = bytes[off + i] & 0xFF;
        return out;
    }

    @Override
    public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    @Override
    public byte[] decodeBytes(int[] ids) {
        byte[] b = new byte[ids.length];
        for (int i = 0; i < ids.length; i++) b[i] = (byte) ids[i];
        return b;
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kind", kind());
        n.put("vocabSize", 256);
        return n;
    }

    @Override public boolean equals(Object o) { return o instanceof ByteTokenizer; }

    @Override public int hashCode() { return 256; }
}
