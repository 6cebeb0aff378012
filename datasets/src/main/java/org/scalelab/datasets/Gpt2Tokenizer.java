package org.scalelab.datasets;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/**
 * GPT-2's byte-level BPE (tiktoken's {@code r50k_base}, 50,257 ids, end-of-text 50256) through jtokkit:
 * the tokenizer of nanoGPT's openwebtext/shakespeare data and of Kaplan et al.'s models. Text is encoded
 * as ordinary text, so a literal {@code <|endoftext|>} in a document is not the separator token.
 */
public final class Gpt2Tokenizer implements Tokenizer {
    public static final int EOT = 50256;
    public static final Gpt2Tokenizer INSTANCE = new Gpt2Tokenizer();

    private static final class Holder { // jtokkit parses its 0.8 MB vocabulary file on first use
        static final Encoding ENC = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    }

    private Gpt2Tokenizer() {}

    @Override public String kind() { return "gpt2"; }

    @Override public int vocabSize() { return 50257; }

    @Override public OptionalInt eot() { return OptionalInt.of(EOT); }

    @Override
    public int[] encode(String text) {
        return Holder.ENC.encodeOrdinary(text).toArray();
    }

    @Override
    public String decode(int[] ids) {
        return new String(decodeWithEot(ids), StandardCharsets.UTF_8);
    }

    /** The bytes of the tokens; the end-of-text token stands for no bytes. */
    @Override
    public byte[] decodeBytes(int[] ids) {
        IntArrayList l = new IntArrayList(ids.length);
        for (int id : ids) if (id != EOT) l.add(id);
        return Holder.ENC.decodeBytes(l);
    }

    /** As {@link #decodeBytes}, but the end-of-text token reads {@code <|endoftext|>} (tiktoken's decode). */
    private byte[] decodeWithEot(int[] ids) {
        IntArrayList l = new IntArrayList(ids.length);
        for (int id : ids) l.add(id);
        return Holder.ENC.decodeBytes(l);
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kind", kind());
        n.put("encoding", "r50k_base");
        n.put("vocabSize", vocabSize());
        n.put("eot", EOT);
        return n;
    }

    @Override public boolean equals(Object o) { return o instanceof Gpt2Tokenizer; }

    @Override public int hashCode() { return 50257; }
}
