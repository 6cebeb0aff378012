package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the safetensors format (what Hugging Face's {@code safetensors} library reads): an unsigned 64-bit
 * little-endian header length n, n bytes of UTF-8 JSON mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}} (offsets into the data that
 * follows the header, end exclusive) plus an optional {@code "__metadata__"} map of strings, padded with
 * spaces to a multiple of 8 bytes, then the tensors' raw little-endian bytes, in header order, with no gaps.
 * float32 and int64 tensors are written.
 */
public final class Safetensors {
    /** A tensor in row-major order: float32 ({@code data}) or int64 ({@code ints}, e.g. token ids). */
    public record Tensor(long[] shape, float[] data, long[] ints) {
        public Tensor {
            long n = 1;
            for (long s : shape) n *= s;
            if ((data == null) == (ints == null)) throw new IllegalArgumentException("a tensor holds floats or ints");
            long have = data != null ? data.length : ints.length;
            if (n != have) throw new IllegalArgumentException("shape holds " + n + " values, data " + have);
        }

        public Tensor(long[] shape, float[] data) {
            this(shape, data, null);
        }

        public static Tensor ofInts(long[] shape, long[] ints) {
            return new Tensor(shape, null, ints);
        }

        String dtype() { return data != null ? "F32" : "I64"; }

        long bytes() { return data != null ? 4L * data.length : 8L * ints.length; }
    }

    private Safetensors() {}

    /** The header's JSON text, before padding. */
    static String header(Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode h = Json.MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = h.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long off = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is not a tensor name");
            ObjectNode t = h.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype());
            var shape = t.putArray("shape");
            for (long s : e.getValue().shape()) shape.add(s);
            long end = off + e.getValue().bytes();
            t.putArray("data_offsets").add(off).add(end);
            off = end;
        }
        try {
            return Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(h);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code tensors} (in iteration order) to {@code file} atomically. */
    public static void write(Path file, LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata) {
        byte[] json = header(tensors, metadata).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        Files2.writeAtomic(file, ch -> {
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            head.flip();
            while (head.hasRemaining()) ch.write(head);
            ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                if (t.data() != null) {
                    for (float x : t.data()) {
                        if (buf.remaining() < 4) drain(ch, buf);
                        buf.putFloat(x);
                    }
                } else {
                    for (long x : t.ints()) {
                        if (buf.remaining() < 8) drain(ch, buf);
                        buf.putLong(x);
                    }
                }
            }
            drain(ch, buf);
        });
    }

    private static void drain(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }
}
