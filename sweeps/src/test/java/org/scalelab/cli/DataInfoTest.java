package org.scalelab.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataInfoTest {
    @Test
    void reportsTheSyntheticFloor() throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.execute("data", "info", "synthetic:tokens=20000,val=5000,langs=4,vocab=16", "--json");
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code);
        var n = new ObjectMapper().readTree(buf.toString(StandardCharsets.UTF_8));
        assertEquals(16, n.get("vocab_size").asInt());
        assertEquals(20000, n.get("train_tokens").asLong());
        double floor = n.get("loss_floor_nats").asDouble();
        assertTrue(floor > 0 && floor < Math.log(16), "floor " + floor + " below the uniform loss");
    }
}
