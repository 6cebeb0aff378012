package org.scalelab.datasets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The one JSON mapper of the project's file formats: pretty, stable key order for records. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private Json() {}

    public static String pretty(Object o) {
        try {
            return MAPPER.writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line of JSON, for .jsonl files. */
    public static String line(Object o) {
        try {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A run file such as result.json, or null when it is missing or unreadable (a crash mid-write). */
    public static JsonNode readOrNull(Path f) {
        if (!Files.isRegularFile(f)) return null;
        try {
            return MAPPER.readTree(f.toFile());
        } catch (IOException e) {
            return null;
        }
    }
}
