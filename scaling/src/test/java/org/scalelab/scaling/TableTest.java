package org.scalelab.scaling;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading results.csv and learning curves: what is kept, what is counted, and the messages for bad files. */
class TableTest {

    @Test
    void onlyDoneRowsWithTheirCurves(@TempDir Path tmp) throws IOException {
        Synthetic.sweep(tmp, List.of(
                new Synthetic.Run("a", "done", 1e6, 512, new double[][]{{0, 0, 9}, {10, 5120, 5}, {20, 10240, 4}}),
                new Synthetic.Run("b", "failed", 2e6, 512, new double[][]{{0, 0, 9}}),
                new Synthetic.Run("c", "done", 4e6, 512, new double[][]{{0, 0, 9}, {10, 5120, 4.5}})));
        Table t = Table.sweep(tmp);
        assertEquals(2, t.size());
        assertEquals(java.util.Map.of("failed", 1), t.otherStatuses());
        assertEquals("line 4 (run c)", t.label(1));
        assertArrayEquals(new double[]{1e6, 4e6}, t.numbers("N"), 0);
        assertEquals(3, t.runs().get(0).curve().size(), "val_loss lines only");
        assertEquals(new Table.Point(10, 5120, 5), t.runs().get(0).curve().get(1));
        assertTrue(t.hasCurves());
    }

    /** The candidates of a learning-rate search (phase lr-search) tune the sweep's runs and are not fitted. */
    @Test
    void learningRateSearchCandidatesAreLeftOut(@TempDir Path tmp) throws IOException {
        Path csv = Files.writeString(tmp.resolve("r.csv"), "run_id,status,phase,lr_search,N,best_val_loss\n"
                + "s1,done,lr-search,,1e4,3.3\ns2,done,lr-search,,1e4,3.1\nm1,done,,0.004,1e4,3.1\nm2,done,,0.004,1e5,2.9\n");
        Table t = Table.csv(csv);
        assertEquals(List.of("m1", "m2"), t.runs().stream().map(Table.Run::id).toList());
        assertEquals(java.util.Map.of("lr-search candidates", 2), t.otherStatuses());
    }

    /** A metrics line cut short by a crash is skipped; a non-positive val_loss is an error naming file and line. */
    @Test
    void tornAndBadMetricsLines(@TempDir Path tmp) throws IOException {
        Synthetic.sweep(tmp, List.of(new Synthetic.Run("a", "done", 1e6, 512, new double[][]{{0, 0, 9}, {10, 5120, 5}})));
        Path m = tmp.resolve("runs/a/metrics.jsonl");
        Files.writeString(m, Files.readString(m) + "{\"step\":30,\"tokens\":15360,\"val_lo");
        assertEquals(2, Table.sweep(tmp).runs().get(0).curve().size());
        Files.writeString(m, "{\"step\":0,\"tokens\":0,\"val_loss\":-1.0}\n");
        ScalingError e = assertThrows(ScalingError.class, () -> Table.sweep(tmp));
        assertEquals(m + ", line 1: val_loss is -1.0; losses must be positive (fix or delete the line)", e.getMessage());
    }

    @Test
    void messagesForBadFiles(@TempDir Path tmp) throws IOException {
        assertEquals(tmp.resolve("nope") + ": no such sweep directory",
                assertThrows(ScalingError.class, () -> Table.sweep(tmp.resolve("nope"))).getMessage());
        assertTrue(assertThrows(ScalingError.class, () -> Table.sweep(tmp)).getMessage().contains("results.csv: not found"));
        Path empty = Files.writeString(tmp.resolve("e.csv"), "");
        String em = assertThrows(ScalingError.class, () -> Table.csv(empty)).getMessage();
        assertTrue(em.contains("empty file"), em);
        Path text = Files.writeString(tmp.resolve("t.csv"), "N,loss\n100,3\nabc,2\n");
        ScalingError e = assertThrows(ScalingError.class, () -> Table.csv(text).numbers("N"));
        assertEquals(text + ", line 3: column 'N' holds 'abc', not a number", e.getMessage());
        Path headerOnly = Files.writeString(tmp.resolve("h.csv"), "N,loss\n");
        assertEquals(List.of("N", "loss"), Table.csv(headerOnly).columns());
    }
}
