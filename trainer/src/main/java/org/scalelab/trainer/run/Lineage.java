package org.scalelab.trainer.run;

import org.scalelab.trainer.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.scalelab.datasets.Dataset;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.Tokenizer;
import org.scalelab.datasets.Tokenizers;
import org.scalelab.datasets.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starting a run from another run's weights (fine-tuning, transfer). {@code train.init} names the parent:
 * <ul>
 *   <li>a run directory ({@code runs/L2-d32-h2-T64-…}, or its {@code checkpoint/} folder);</li>
 *   <li>{@code sweep:DIR#RUN}: run RUN (an id, or a prefix of exactly one id) of the sweep directory DIR;</li>
 *   <li>{@code sweep:DIR#best}: the finished run of DIR with the lowest best validation loss;</li>
 *   <li>{@code sweep:DIR#best@N=3e4}: of DIR's finished runs with the N (non-embedding parameters)
 *       closest to 3e4 in log scale, the one with the lowest best validation loss.</li>
 * </ul>
 * A sweep reference is resolved when the run starts. The child uses the parent's tokenizer for its own
 * corpus ({@link Dataset#open(org.scalelab.datasets.DataSpec, Tokenizer, String)}), so that every token id
 * means to the loaded weights what it meant in the parent. The parent must have the same model shape;
 * its latest checkpoint's weights are loaded, its optimizer state is not. What was loaded is recorded as
 * the child's lineage in spec.json.
 */
public final class Lineage {
    private Lineage() {}

    static final String SWEEP = "sweep:";

    /**
     * A resolved {@code train.init}: the parent's run directory, the reference as written, and for a
     * sweep reference the sweep directory and the selector ({@code best}, {@code best@N=…}, a run id).
     */
    public record Parent(Path runDir, String ref, Path sweep, String selector) {}

    /** Resolves a {@code train.init} reference to its run directory (which must exist). */
    public static Parent resolve(String init) {
        if (init.startsWith(SWEEP)) return resolveSweep(init);
        Path runDir = runDirOf(Path.of(init));
        if (runDir == null || !Files.isDirectory(runDir)) {
            throw new UserError("train.init: " + init + " is not a run directory; give a run directory (runs/<id>) or a sweep "
                    + "reference (sweep:DIR#RUN_ID, sweep:DIR#best, sweep:DIR#best@N=3e4)");
        }
        return new Parent(runDir, init, null, null);
    }

    private static Parent resolveSweep(String init) {
        String body = init.substring(SWEEP.length());
        int hash = body.lastIndexOf('#');
        if (hash <= 0 || hash == body.length() - 1) {
            throw new UserError("train.init '" + init + "': a sweep reference is sweep:DIR#RUN_ID, sweep:DIR#best or sweep:DIR#best@N=3e4");
        }
        Path sweep = Path.of(body.substring(0, hash));
        String sel = body.substring(hash + 1);
        Path runs = sweep.resolve("runs");
        if (!Files.isDirectory(runs)) {
            throw new UserError("train.init '" + init + "': " + sweep + " is not a sweep directory (no runs/ folder); give the directory "
                    + "that `sweep run` wrote into");
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.list(runs)) {
            dirs = s.filter(Specs::isRunDir).sorted().toList();
        } catch (IOException e) {
            throw new UserError("train.init '" + init + "': cannot list " + runs + " (" + e.getMessage() + ")");
        }
        if (sel.equals("best") || sel.startsWith("best@")) return new Parent(best(init, dirs, sel), init, sweep, sel);
        List<Path> match = dirs.stream().filter(d -> d.getFileName().toString().equals(sel)).toList();
        if (match.isEmpty()) match = dirs.stream().filter(d -> d.getFileName().toString().startsWith(sel)).toList();
        if (match.size() != 1) {
            throw new UserError("train.init '" + init + "': " + (match.isEmpty() ? "no run of " + runs + " has the id " + sel
                    : match.size() + " runs of " + runs + " start with " + sel + " (" + match.get(0).getFileName() + ", "
                    + match.get(1).getFileName() + (match.size() > 2 ? ", …" : "") + ")") + "; give a run id of `sweep status " + sweep
                    + "`, or best / best@N=VALUE");
        }
        return new Parent(match.get(0), init, sweep, sel);
    }

    /** The selected run: lowest best validation loss among finished runs with a checkpoint (at the N closest to the target). */
    private static Path best(String init, List<Path> dirs, String sel) {
        double target = Double.NaN;
        if (sel.startsWith("best@")) {
            String cond = sel.substring(5);
            if (!cond.startsWith("N=")) {
                throw new UserError("train.init '" + init + "': '" + cond + "' is not a selector; write best@N=VALUE, e.g. best@N=3e4");
            }
            try {
                target = Double.parseDouble(cond.substring(2));
            } catch (NumberFormatException e) {
                target = Double.NaN;
            }
            if (!(target > 0)) throw new UserError("train.init '" + init + "': N must be a number > 0, e.g. best@N=3e4");
        }
        List<double[]> cand = new ArrayList<>();   // {index, N, loss}
        for (int i = 0; i < dirs.size(); i++) {
            JsonNode r = Json.readOrNull(dirs.get(i).resolve("result.json"));
            if (r == null || !r.path("status").asText().equals("done") || !r.path("best_val_loss").isNumber()
                    || !Checkpoint.exists(dirs.get(i).resolve("checkpoint"))) continue;
            cand.add(new double[]{i, r.path("N").asDouble(), r.path("best_val_loss").asDouble()});
        }
        if (cand.isEmpty()) {
            throw new UserError("train.init '" + init + "': the sweep has no finished run with a checkpoint yet; run it first "
                    + "(scalelab sweep run), or name a run");
        }
        if (!Double.isNaN(target)) {
            double t = Math.log(target);
            double closest = cand.stream().mapToDouble(c -> Math.abs(Math.log(c[1]) - t)).min().orElseThrow();
            cand = cand.stream().filter(c -> Math.abs(Math.log(c[1]) - t) <= closest + 1e-9).toList();
        }
        double[] b = cand.stream().min((x, y) -> x[2] != y[2] ? Double.compare(x[2], y[2]) : Double.compare(x[0], y[0])).orElseThrow();
        return dirs.get((int) b[0]);
    }

    /** The parent's tokenizer (its tokenizer.json), which the child uses for its corpus. */
    public static Tokenizer tokenizer(Parent p) {
        Path f = p.runDir().resolve("tokenizer.json");
        if (!Files.isRegularFile(f)) {
            throw new UserError("train.init: " + p.runDir() + " has no tokenizer.json, so this run cannot use its tokenizer; "
                    + "train the parent run first (or initialise from a run that was trained)");
        }
        return Tokenizers.load(f);
    }

    /** How messages name the parent: "run runs/L2-… (train.init)". */
    static String label(Parent p) {
        return "run " + p.runDir() + " (train.init" + (p.sweep() == null ? "" : " " + p.ref()) + ")";
    }

    /**
     * The form of a {@code train.init} reference that run ids hash: a path relative to the run's output
     * folder {@code out} (so that moving a sweep directory, or spelling it another way, keeps the ids), and
     * for a sweep reference its directory relative to {@code out} and its selector.
     */
    public static String idKey(String init, String out) {
        if (init == null || init.isEmpty()) return "";
        if (init.startsWith(SWEEP)) {
            String body = init.substring(SWEEP.length());
            int hash = body.lastIndexOf('#');
            if (hash <= 0) return init;
            return SWEEP + relative(body.substring(0, hash), out) + body.substring(hash);
        }
        Path p = Path.of(init), runDir = runDirOf(p);
        return relative((runDir != null ? runDir : p).toString(), out);
    }

    /** The run directory a path names: itself, or the run of a {@code checkpoint/} folder (null when that has no parent). */
    private static Path runDirOf(Path p) {
        return p.getFileName() != null && p.getFileName().toString().equals("checkpoint") ? p.getParent() : p;
    }

    private static String relative(String path, String out) {
        Path a = Path.of(path).toAbsolutePath().normalize();
        Path base = Path.of(out == null || out.isEmpty() ? "." : out).toAbsolutePath().normalize();
        try {
            return base.relativize(a).toString().replace('\\', '/');
        } catch (IllegalArgumentException e) {   // another root (a Windows drive)
            return a.toString().replace('\\', '/');
        }
    }

    /** Loads the parent's weights into {@code params} and returns the lineage record. */
    public static ObjectNode initialise(Parent parent, Tokenizer tokenizer, ModelConfig model, Map<String, INDArray> params) {
        Path runDir = parent.runDir();
        RunConfig pc = Specs.readConfig(runDir.resolve("spec.json"));
        ModelConfig pm = pc.model();
        // Dropout does not change what the weights mean, so a parent trained with another rate is fine.
        if (!pm.architecture().equals(model.architecture())) {
            throw new UserError("train.init: " + runDir + " has model " + describe(pm) + " but this run has "
                    + describe(model) + "; initialise from a run of the same shape (and tokenizer vocabulary)");
        }
        Tokenizer theirs = tokenizer(parent);
        if (!theirs.equals(tokenizer)) {   // Trainer.prepare encodes the corpus with the parent's tokenizer; this guards other callers
            throw new UserError("train.init: " + runDir + " was trained with tokenizer " + Dataset.describeTokenizer(theirs)
                    + " but this run's corpus is encoded with " + Dataset.describeTokenizer(tokenizer)
                    + "; token ids would mean other symbols to the loaded weights. Open the corpus with the parent's tokenizer");
        }
        Path ck = runDir.resolve("checkpoint");
        if (!Checkpoint.exists(ck)) throw new UserError("train.init: " + ck + " has no checkpoint; train the parent run first");
        ObjectNode state = Checkpoint.load(ck, params, null);
        ObjectNode l = Json.MAPPER.createObjectNode();
        l.put("init", runDir.toAbsolutePath().normalize().toString());
        if (parent.sweep() != null) {
            l.put("init_ref", parent.ref());
            l.put("parent_sweep", parent.sweep().toAbsolutePath().normalize().toString());
            l.put("parent_selected_by", parent.selector());
            JsonNode r = Json.readOrNull(runDir.resolve("result.json"));
            if (r != null && r.path("best_val_loss").isNumber()) l.put("parent_best_val_loss", r.path("best_val_loss").asDouble());
            if (r != null && r.path("N").isNumber()) l.put("parent_N", r.path("N").asLong());
        }
        l.put("parent_run_id", readRunId(runDir));
        l.put("parent_step", state.path("step").asInt());
        l.put("parent_tokens", state.path("tokens").asLong());
        l.put("parent_corpus", pc.data().corpus());
        l.put("parent_tokenizer", Tokenizers.specOf(theirs));
        l.put("parent_vocab_size", theirs.vocabSize());
        l.put("parent_params_sha256", state.path("params_sha256").asText());
        return l;
    }

    private static String readRunId(Path runDir) {
        JsonNode s = Json.readOrNull(runDir.resolve("spec.json"));
        return s == null ? runDir.getFileName().toString() : s.path("run_id").asText(runDir.getFileName().toString());
    }

    private static String describe(ModelConfig m) {
        return String.format(Locale.ROOT, "nLayer=%d dModel=%d nHead=%d dFf=%d nCtx=%d nVocab=%d tied=%s bias=%s %s",
                m.nLayer(), m.dModel(), m.nHead(), m.ff(), m.nCtx(), m.nVocab(), m.tiedOutput(), m.bias(), m.variants());
    }
}
