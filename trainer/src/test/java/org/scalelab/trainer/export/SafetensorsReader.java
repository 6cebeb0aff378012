package org.scalelab.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A reader of safetensors files written from the format's description alone (no code shared with
 * {@link Safetensors}), strict about what the format requires: the 8-byte little-endian header size, a
 * JSON object, F32 or I64 tensors whose data_offsets tile the data section in order with no gap or overlap, and
 * nothing after the last tensor.
 */
final class SafetensorsReader {
    record Tensor(long[] shape, float[] data, long[] ints) {}

    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    final Map<String, String> metadata = new LinkedHashMap<>();
    final long headerSize;

    SafetensorsReader(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        headerSize = b.getLong();
        if (headerSize <= 0 || 8 + headerSize > all.length) throw new IllegalStateException("header size " + headerSize);
        String json = new String(all, 8, (int) headerSize, StandardCharsets.UTF_8);
        if (!json.startsWith("{")) throw new IllegalStateException("header does not start with '{'");
        JsonNode h = new ObjectMapper().readTree(json);
        long dataStart = 8 + headerSize, expect = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) throw new IllegalStateException("metadata value not a string: " + m.getKey());
                    metadata.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            JsonNode t = e.getValue();
            String dtype = t.path("dtype").asText();
            int width = switch (dtype) {
                case "F32" -> 4;
                case "I64" -> 8;
                default -> throw new IllegalStateException(e.getKey() + ": dtype " + dtype);
            };
            long[] shape = new long[t.path("shape").size()];
            long n = 1;
            for (int i = 0; i < shape.length; i++) n *= shape[i] = t.path("shape").get(i).asLong();
            long begin = t.path("data_offsets").get(0).asLong(), end = t.path("data_offsets").get(1).asLong();
            if (begin != expect) throw new IllegalStateException(e.getKey() + ": begins at " + begin + ", previous tensor ended at " + expect);
            if (end - begin != width * n) throw new IllegalStateException(e.getKey() + ": " + (end - begin) + " bytes for " + n + " " + dtype);
            ByteBuffer fb = ByteBuffer.wrap(all, (int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            float[] data = width == 4 ? new float[(int) n] : null;
            long[] ints = width == 8 ? new long[(int) n] : null;
            for (int i = 0; i < n; i++) {
                if (data != null) data[i] = fb.getFloat();
                else ints[i] = fb.getLong();
            }
            tensors.put(e.getKey(), new Tensor(shape, data, ints));
            expect = end;
        }
        if (dataStart + expect != all.length) throw new IllegalStateException("file has " + all.length + " bytes, tensors end at " + (dataStart + expect));
    }

    float[] get(String name) {
        Tensor t = tensors.get(name);
        if (t == null || t.data() == null) throw new IllegalStateException("no F32 tensor " + name + " in " + tensors.keySet());
        return t.data();
    }

    long[] ints(String name) {
        Tensor t = tensors.get(name);
        if (t == null || t.ints() == null) throw new IllegalStateException("no I64 tensor " + name + " in " + tensors.keySet());
        return t.ints();
    }
}
