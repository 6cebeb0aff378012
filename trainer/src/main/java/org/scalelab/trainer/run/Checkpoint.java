package org.scalelab.trainer.run;

import org.scalelab.trainer.optim.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A checkpoint: model weights, AdamW moments and the loop's state (step, tokens, RNG states, best val
 * loss …), enough to continue bit for bit.
 *
 * <p>Layout: {@code checkpoint/step-NNNNNNNN/{params.bin, adam.bin, state.json}} and
 * {@code checkpoint/LATEST} naming the newest complete one. A new checkpoint is written into a
 * temporary directory, fsynced and renamed; only then is LATEST replaced (atomically) and older steps
 * deleted, so a crash at any moment leaves a complete checkpoint to resume from. The .bin files are
 * raw little-endian float32 in the order of the model's
 * {@link org.scalelab.trainer.model.ParamLayout}; state.json holds their SHA-256.
 */
public final class Checkpoint {
    public static final int FORMAT = 1;

    private Checkpoint() {}

    /** Writes a checkpoint of {@code state} under {@code dir} (the run's checkpoint/ folder). */
    public static void save(Path dir, Map<String, INDArray> params, AdamW adam, ObjectNode state) {
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            String name = String.format("step-%08d", state.get("step").asInt());
            tmp = Files2.createUniqueDirectory(dir, ".tmp-" + name + "-");   // the umask's permissions, unlike createTempDirectory
            String pSha = writeFloats(tmp.resolve("params.bin"), params.values().stream().map(org.scalelab.trainer.model.Weights::values).toList());
            List<float[]> moments = new java.util.ArrayList<>(List.of(adam.m));
            moments.addAll(List.of(adam.v));
            String aSha = writeFloats(tmp.resolve("adam.bin"), moments);
            ObjectNode s = state.deepCopy();
            s.put("format", FORMAT);
            var shapes = s.putObject("params");
            params.forEach((k, v) -> {
                var arr = shapes.putArray(k);
                for (long d : v.shape()) arr.add(d);
            });
            s.put("params_sha256", pSha);
            s.put("adam_sha256", aSha);
            Files2.writeAtomic(tmp.resolve("state.json"), Json.pretty(s));
            Path finalDir = dir.resolve(name);
            if (Files.exists(finalDir)) deleteTree(finalDir);
            Files.move(tmp, finalDir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            Files2.writeAtomic(dir.resolve("LATEST"), name + "\n");
            try (Stream<Path> old = Files.list(dir)) {
                for (Path p : old.toList()) {
                    String f = p.getFileName().toString();
                    if ((f.startsWith("step-") && !f.equals(name)) || f.startsWith(".tmp-")) deleteTree(p);
                }
            }
        } catch (IOException e) {
            // a full disk or a read-only folder: leave no half-written temporary behind, keep the last checkpoint
            try {
                if (tmp != null) deleteTree(tmp);
            } catch (IOException ignored) {
                // the message below is what matters; a later save or start removes what is left
            }
            throw new UserError(dir + ": cannot write the checkpoint (" + e + "); the previous checkpoint is intact: "
                    + "free disk space (or make the folder writable) and run again with --resume");
        }
    }

    /** Removes temporaries a crashed or failed save left in {@code dir} (the run's checkpoint/ folder). */
    public static void removeTemporaries(Path dir) {
        if (!Files.isDirectory(dir)) return;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) deleteTree(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + dir, e);
        }
    }

    /** True when {@code dir} holds a checkpoint to resume from. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve("LATEST"));
    }

    /**
     * Loads the latest checkpoint into {@code params} and {@code adam} (null: weights only) and returns its state.
     * A checksum or shape mismatch is a {@link UserError} naming the file.
     */
    public static ObjectNode load(Path dir, Map<String, INDArray> params, AdamW adam) {
        Path ck;
        try {
            ck = dir.resolve(Files.readString(dir.resolve("LATEST")).trim());
        } catch (IOException e) {
            throw new UserError(dir.resolve("LATEST") + ": cannot read (" + e.getMessage() + ")");
        }
        ObjectNode s;
        try {
            s = (ObjectNode) Json.MAPPER.readTree(ck.resolve("state.json").toFile());
        } catch (IOException | ClassCastException e) {
            throw new UserError(ck.resolve("state.json") + ": unreadable checkpoint state; delete " + dir
                    + " to start the run from scratch");
        }
        JsonNode shapes = s.get("params");
        if (shapes == null || shapes.size() != params.size()) {
            throw new UserError(ck + ": checkpoint has " + (shapes == null ? 0 : shapes.size()) + " tensors, the model "
                    + params.size() + "; the run's config changed since it was written");
        }
        for (var e : params.entrySet()) {
            JsonNode shp = shapes.get(e.getKey());
            long[] want = e.getValue().shape();
            boolean ok = shp != null && shp.size() == want.length;
            for (int i = 0; ok && i < want.length; i++) ok = shp.get(i).asLong() == want[i];
            if (!ok) throw new UserError(ck + ": tensor " + e.getKey() + " has shape " + shp + " in the checkpoint, "
                    + java.util.Arrays.toString(want) + " in the model; the run's config changed since it was written");
        }
        ByteBuffer pb = readVerified(ck.resolve("params.bin"), s.path("params_sha256").asText());
        for (INDArray a : params.values()) {
            var fb = a.data().asNioFloat();
            for (int k = 0; k < a.length(); k++) fb.put(k, pb.getFloat());
            org.scalelab.trainer.model.Weights.wroteOnHost(a);
        }
        if (adam == null) return s;
        ByteBuffer ab = readVerified(ck.resolve("adam.bin"), s.path("adam_sha256").asText());
        for (float[] m : adam.m) for (int k = 0; k < m.length; k++) m[k] = ab.getFloat();
        for (float[] v : adam.v) for (int k = 0; k < v.length; k++) v[k] = ab.getFloat();
        return s;
    }

    private static ByteBuffer readVerified(Path f, String sha) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UserError(f + ": missing or unreadable checkpoint file; delete the checkpoint folder to restart");
        }
        if (!Files2.sha256(bytes).equals(sha)) {
            throw new UserError(f + ": checksum mismatch (the checkpoint is corrupt); delete "
                    + f.getParent().getParent() + " to restart the run from scratch");
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String writeFloats(Path f, List<float[]> arrays) throws IOException {
        long n = 0;
        for (float[] a : arrays) n += a.length;
        ByteBuffer buf = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] a : arrays) for (float x : a) buf.putFloat(x);
        byte[] bytes = buf.array();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer w = ByteBuffer.wrap(bytes);
            while (w.hasRemaining()) ch.write(w);
            ch.force(true);
        }
        return Files2.sha256(bytes);
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
