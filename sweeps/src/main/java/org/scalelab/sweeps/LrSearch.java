package org.scalelab.sweeps;

import com.fasterxml.jackson.databind.JsonNode;
import org.scalelab.datasets.Files2;
import org.scalelab.datasets.Json;
import org.scalelab.datasets.UserError;
import org.scalelab.trainer.ModelConfig;
import org.scalelab.trainer.ModelConfig.Parameterization;
import org.scalelab.trainer.RunConfig;
import org.scalelab.trainer.run.RunIds;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A learning-rate search whose winner the runs of a sweep train with:
 * {@code lr: {search: [1.0e-3, 2.0e-3, 4.0e-3], at: base, steps: 200}}.
 *
 * <p>Under μP the best learning rate does not move with width, under CompleteP nor with depth
 * (docs/parameterization.md), so the candidates train once, on the base shape: base's config with
 * model.dModel = model.baseWidth (and model.nLayer = model.baseDepth under CompleteP) and base's nHead.
 * Under SP each distinct shape of the sweep (the model keys its axes set) is searched on its own, the
 * honest baseline. A candidate is an ordinary run of the sweep (coordinate {@code phase: lr-search}) with
 * base's config, the candidate's train.lr and {@code steps:} steps (default base's train.steps); the winner
 * is the candidate with the lowest best validation loss ({@link #choose}).
 *
 * <p>A run's id hashes its config, learning rate included, so a run of the sweep exists only once its
 * search has a winner: {@link Expansion#expandAll} returns the candidates and the runs whose search is
 * done, and lists the others as waiting; {@link #run} trains, expands again and goes on until no new run
 * appears, the way fine-tuning runs come after their pre-training run. A run of the sweep whose config is a
 * candidate's (the base shape itself, trained as long) is that candidate's run, trained once.
 * {@code lr-search.json} in the sweep directory records every search.
 */
final class LrSearch {
    static final List<String> KEYS = List.of("search", "at", "steps");
    /** The phase coordinate of a candidate's run (results.csv's phase column). */
    static final String PHASE = "lr-search";
    /** Best validation losses this close are a tie, won by the lower learning rate. */
    static final double TIE = 1e-9;
    static final String FILE = "lr-search.json";

    private LrSearch() {}

    /**
     * {@code lr:} as written.
     *
     * @param texts the candidate learning rates as the spec writes them
     * @param lrs   the same as numbers
     * @param steps train.steps of each candidate; 0 keeps base's
     */
    record Settings(List<String> texts, double[] lrs, int steps) {}

    /**
     * One candidate of a search.
     *
     * @param status      done, diverged, failed, or open (pending, interrupted or running)
     * @param bestValLoss the best validation loss of a done run, else NaN
     */
    record Candidate(String text, double lr, Expansion.Point point, String status, double bestValLoss) {}

    /**
     * One search.
     *
     * @param onBase  on the base shape (mup, completep), else on one shape of the sweep (sp)
     * @param winner  index of the winning candidate; -1 until every candidate has ended, or when none is done
     * @param runs    how many runs of the sweep train with its winner (expanded, or waiting for it)
     * @param shared  one of those runs is a candidate's run (equal configs once it has the winner's lr)
     */
    record Search(boolean onBase, Parameterization parameterization, List<Candidate> candidates, int winner, int runs, boolean shared) {
        ModelConfig shape() {
            return candidates.get(0).point().config().model();
        }

        int steps() {
            return candidates.get(0).point().config().train().steps();
        }

        /** Every candidate is done or diverged. */
        boolean ended() {
            return candidates.stream().allMatch(c -> c.status().equals("done") || c.status().equals("diverged"));
        }

        /** "at the base shape (mup; nLayer 2, dModel 32, nHead 2)" or "at nLayer 2, dModel 64, nHead 2 (sp)". */
        String describe() {
            ModelConfig m = shape();
            String s = String.format(Locale.ROOT, "nLayer %d, dModel %d, nHead %d", m.nLayer(), m.dModel(), m.nHead());
            return onBase ? "at the base shape (" + parameterization.id() + "; " + s + ")" : "at " + s + " (" + parameterization.id() + ")";
        }

        /**
         * A note when the winner is the smallest or the largest candidate (the best learning rate may lie
         * beyond the ones tried), else "".
         */
        String edge() {
            if (winner < 0) return "";
            double w = candidates.get(winner).lr();
            boolean low = candidates.stream().allMatch(c -> c.lr() >= w), high = candidates.stream().allMatch(c -> c.lr() <= w);
            if (!low && !high) return "";
            return "; it is the " + (high ? "largest" : "smallest") + " candidate: the best learning rate may be " + (high ? "larger" : "smaller")
                    + " still (add " + (high ? "larger" : "smaller") + " values to lr: search)";
        }

        /** Why a search without a winner is stuck, or null while its candidates can still end. */
        String stuck() {
            for (Candidate c : candidates) {
                if (c.status().equals("failed")) {
                    return "candidate " + c.point().runId() + " (lr " + c.text() + ") failed; retry it with --retry-failed";
                }
            }
            if (ended() && winner < 0) return "every candidate diverged; add smaller learning rates to lr: search";
            return null;
        }
    }

    /** Reads and checks {@code lr: {search: …}}; every mistake is one line naming its line of the spec. */
    static Settings settings(SweepSpec spec) {
        JsonNode lr = spec.root.get("lr");
        lr.fieldNames().forEachRemaining(k -> {
            if (!KEYS.contains(k)) {
                throw spec.error("lr/" + k, "lr: unknown key '" + k + "'; a search has search: [learning rates], at: base and optionally steps: N");
            }
        });
        JsonNode s = lr.get("search");
        if (s == null || !s.isArray()) {
            throw spec.error(s == null ? "lr" : "lr/search",
                    "lr: search: must be a list of learning rates, e.g. lr: {search: [1.0e-3, 2.0e-3, 4.0e-3], at: base}");
        }
        if (s.size() < 2) {
            throw spec.error("lr/search", "lr: search: has " + s.size() + " learning rate(s); a search needs 2 or more to choose from");
        }
        List<String> texts = new ArrayList<>();
        double[] lrs = new double[s.size()];
        for (int i = 0; i < s.size(); i++) {
            JsonNode v = s.get(i);
            double x;
            try {
                x = v.isNumber() ? v.asDouble() : v.isTextual() ? Double.parseDouble(v.asText().trim()) : Double.NaN;
            } catch (NumberFormatException e) {
                x = Double.NaN;
            }
            if (!(x > 0) || Double.isInfinite(x)) {
                throw spec.error("lr/search/" + i, "lr: search: '" + v.asText() + "' is not a learning rate > 0; write e.g. 4.0e-3");
            }
            for (int j = 0; j < i; j++) {
                if (lrs[j] == x) throw spec.error("lr/search/" + i, "lr: search: " + v.asText() + " is listed twice; list each learning rate once");
            }
            lrs[i] = x;
            texts.add(v.isNumber() ? v.asText() : v.asText().trim());
        }
        JsonNode at = lr.get("at");
        if (at != null && !(at.isTextual() && at.asText().equals("base"))) {
            throw spec.error("lr/at", "lr: at: '" + at.asText() + "' is not known; use at: base (the base shape under mup and completep, "
                    + "each shape of the sweep under sp)");
        }
        int steps = 0;
        JsonNode st = lr.get("steps");
        if (st != null) {
            double x = st.isNumber() ? st.asDouble() : Double.NaN;
            if (!(x >= 1) || x != Math.rint(x) || x > Integer.MAX_VALUE) {
                throw spec.error("lr/steps", "lr: steps: must be a whole number ≥ 1 (each candidate's train.steps), got '" + st.asText() + "'");
            }
            steps = (int) x;
        }
        if (spec.root.has("converge")) {
            throw spec.error("lr", "lr: a search cannot be combined with converge: yet (its candidates would need a length of their own); "
                    + "search on a budgets: or fixed-steps sweep and set train.lr per size");
        }
        if (spec.root.has("transfer")) {
            throw spec.error("lr", "lr: a search cannot be combined with transfer: (it would tune pre-training and fine-tuning alike); "
                    + "set train.lr in transfer: pretrain: and finetune: instead");
        }
        return new Settings(List.copyOf(texts), lrs, steps);
    }

    /** A search while its candidates are read: the runs of the sweep that take its winner are counted in. */
    private static final class Building {
        final boolean onBase;
        final Parameterization parameterization;
        final List<Candidate> candidates;
        final int winner;
        final Set<String> runs = new LinkedHashSet<>();
        boolean shared;

        Building(Parameterization p, List<Candidate> candidates) {
            this.onBase = p != Parameterization.SP;
            this.parameterization = p;
            this.candidates = candidates;
            double[] lrs = candidates.stream().mapToDouble(Candidate::lr).toArray();
            double[] losses = candidates.stream().mapToDouble(c -> c.status().equals("done") ? c.bestValLoss() : Double.NaN).toArray();
            boolean ended = candidates.stream().allMatch(c -> c.status().equals("done") || c.status().equals("diverged"));
            this.winner = ended ? choose(lrs, losses) : -1;
        }

        boolean has(String runId) {
            return candidates.stream().anyMatch(c -> c.point().runId().equals(runId));
        }
    }

    /**
     * The sweep of {@code all} (the axes' assignments) with its searches: their candidates, the runs whose
     * search has a winner (train.lr = the winner, coordinate lr_search), and the others as waiting.
     */
    static Expansion.Expanded expand(SweepSpec spec, JsonNode base, List<Expansion.Assign> all, Settings st, Budgets.Settings budgets,
                                     String runsDir, boolean checkFiles) {
        Map<String, Building> byShape = new LinkedHashMap<>();   // the search assignment, as text
        Map<String, Building> byRun = new LinkedHashMap<>();     // the first candidate's run id
        List<Expansion.Point> mains = new ArrayList<>(), waiting = new ArrayList<>();
        Set<String> waitingIds = new HashSet<>();
        for (Expansion.Assign a : all) {
            if (a.values().containsKey("train.lr")) {
                throw spec.error(a.where().get("train.lr"), "train.lr is set here and searched by lr: {search: …}; remove one of them");
            }
            Expansion.Point provisional = Expansion.point(spec, base, a, "", runsDir, checkFiles);
            ModelConfig m = provisional.config().model();
            Expansion.Assign shape = searchShape(spec, base, a, m);
            Building b = byShape.get(shape.values().toString());
            if (b == null) {
                List<Candidate> cs = candidates(spec, base, shape, st, runsDir, checkFiles);
                b = byRun.computeIfAbsent(cs.get(0).point().runId(), k -> new Building(m.parameterization(), cs));
                byShape.put(shape.values().toString(), b);
            }
            if (b.winner >= 0) {
                Candidate w = b.candidates.get(b.winner);
                Building bb = b;
                Function<Expansion.Assign, Expansion.Point> make = x -> withLr(spec, base, x, w.text(), bb.winner, runsDir, checkFiles);
                for (Expansion.Point p : budgets == null ? List.of(make.apply(a)) : Budgets.expand(spec, budgets, a, runsDir, make)) {
                    Map<String, String> coords = new LinkedHashMap<>(p.coords());
                    coords.remove("train.lr");
                    coords.put("lr_search", w.text());
                    mains.add(new Expansion.Point(coords, p.config(), p.runId()));
                    if (b.has(p.runId())) b.shared = true;
                    b.runs.add(p.runId());
                }
            } else if (budgets != null) {
                // plans list a size's main run and branches, with base's learning rate until the search has chosen
                for (Expansion.Point p : Budgets.expand(spec, budgets, a, runsDir, x -> Expansion.point(spec, base, x, "", runsDir, checkFiles))) {
                    if (waitingIds.add(p.runId())) waiting.add(new Expansion.Point(p.coords(), p.config(), waitingId(p.config())));
                    b.runs.add(p.runId());
                }
            } else {
                // the same run with the first candidate's lr is that candidate when the configs agree otherwise
                Expansion.Point first = withLr(spec, base, a, b.candidates.get(0).text(), 0, runsDir, checkFiles);
                if (first.runId().equals(b.candidates.get(0).point().runId())) b.shared = true;
                if (waitingIds.add(provisional.runId())) {
                    waiting.add(new Expansion.Point(provisional.coords(), provisional.config(), waitingId(provisional.config())));
                }
                b.runs.add(provisional.runId());
            }
        }
        Set<String> mainIds = new HashSet<>();
        for (Expansion.Point p : mains) mainIds.add(p.runId());
        List<Expansion.Point> out = new ArrayList<>();
        Map<String, Expansion.Point> seen = new LinkedHashMap<>();
        for (Building b : byRun.values()) {
            for (Candidate c : b.candidates) if (!mainIds.contains(c.point().runId())) Expansion.add(out, seen, c.point());
        }
        for (Expansion.Point p : mains) Expansion.add(out, seen, p);
        List<Search> searches = new ArrayList<>();
        for (Building b : byRun.values()) {
            searches.add(new Search(b.onBase, b.parameterization, List.copyOf(b.candidates), b.winner, b.runs.size(), b.shared));
        }
        return new Expansion.Expanded(out, waiting, searches);
    }

    /** The run of assignment {@code a} with one candidate's learning rate. */
    private static Expansion.Point withLr(SweepSpec spec, JsonNode base, Expansion.Assign a, String lr, int index, String runsDir, boolean checkFiles) {
        Expansion.Assign m = a.plus(Expansion.Assign.empty());
        m.values().put("train.lr", lr);
        m.where().put("train.lr", "lr/search/" + index);
        return Expansion.point(spec, base, m, "", runsDir, checkFiles);
    }

    /**
     * The keys a search sets on base: under sp the model keys of the run's axes (its shape); under mup and
     * completep the base shape (the parameterization and base shape as the run has them).
     */
    static Expansion.Assign searchShape(SweepSpec spec, JsonNode base, Expansion.Assign a, ModelConfig m) {
        Expansion.Assign s = Expansion.Assign.empty();
        if (m.parameterization() == Parameterization.SP) {
            a.values().forEach((k, v) -> {
                if (k.startsWith("model.")) {
                    s.values().put(k, v);
                    s.where().put(k, a.where().get(k));
                }
            });
            return s;
        }
        for (String k : List.of("model.parameterization", "model.baseWidth", "model.baseDepth")) {
            if (a.values().containsKey(k)) {
                s.values().put(k, a.values().get(k));
                s.where().put(k, a.where().get(k));
            }
        }
        boolean deep = m.parameterization() == Parameterization.COMPLETEP;
        s.values().put("model.dModel", Integer.toString(m.baseWidth()));
        s.where().put("model.dModel", "lr");
        if (deep) {
            s.values().put("model.nLayer", Integer.toString(m.baseDepth()));
            s.where().put("model.nLayer", "lr");
        }
        List<String> sets = new ArrayList<>();
        s.values().forEach((k, v) -> sets.add(k + "=" + v));
        RunConfig c = Expansion.bind(spec, base, sets, s.where());
        try {
            c.model().withVocab(Math.max(1, c.model().nVocab())).validate();
        } catch (UserError e) {
            throw spec.error("lr", "lr: the search runs on the base shape (model.dModel = model.baseWidth = " + m.baseWidth()
                    + (deep ? ", model.nLayer = model.baseDepth = " + m.baseDepth() : "") + ", model.nHead = " + c.model().nHead()
                    + " from base:), which is not a valid model: " + e.getMessage());
        }
        return s;
    }

    /** The candidates of one search shape, each read back from its run directory. */
    private static List<Candidate> candidates(SweepSpec spec, JsonNode base, Expansion.Assign shape, Settings st, String runsDir, boolean checkFiles) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < st.texts().size(); i++) {
            Expansion.Assign c = shape.plus(Expansion.Assign.empty());
            c.values().put("phase", PHASE);
            c.values().put("train.lr", st.texts().get(i));
            c.where().put("train.lr", "lr/search/" + i);
            if (st.steps() > 0) {
                c.values().put("train.steps", Integer.toString(st.steps()));
                c.where().put("train.steps", "lr/steps");
            }
            Expansion.Point p = Expansion.point(spec, base, c, "", runsDir, checkFiles);
            Map<String, String> coords = new LinkedHashMap<>();
            coords.put("phase", PHASE);
            coords.put("train.lr", st.texts().get(i));
            out.add(read(st.texts().get(i), st.lrs()[i], new Expansion.Point(coords, p.config(), p.runId()), Path.of(runsDir).resolve(p.runId())));
        }
        return out;
    }

    /** A candidate as its run directory has it (what {@link ResultsCsv#status} reads, without the lock). */
    static Candidate read(String text, double lr, Expansion.Point p, Path dir) {
        JsonNode r = Json.readOrNull(dir.resolve("result.json"));
        String status = r == null ? "" : r.path("status").asText();
        if (status.equals("done")) {
            JsonNode best = r.get("best_val_loss");
            return new Candidate(text, lr, p, "done", best != null && best.isNumber() ? best.asDouble() : Double.NaN);
        }
        if (status.equals("diverged")) return new Candidate(text, lr, p, "diverged", Double.NaN);
        if (Files.exists(dir.resolve("failure.json"))) return new Candidate(text, lr, p, "failed", Double.NaN);
        return new Candidate(text, lr, p, "open", Double.NaN);
    }

    /**
     * The winner: the lowest learning rate among the candidates whose loss is within {@link #TIE} of the
     * lowest loss; candidates without a finite loss (diverged) never win. -1 when none has one.
     */
    static int choose(double[] lrs, double[] losses) {
        double min = Double.POSITIVE_INFINITY;
        for (double l : losses) if (Double.isFinite(l)) min = Math.min(min, l);
        int w = -1;
        for (int i = 0; i < lrs.length; i++) {
            if (Double.isFinite(losses[i]) && losses[i] <= min + TIE && (w < 0 || lrs[i] < lrs[w])) w = i;
        }
        return w;
    }

    /** The id shown for a run whose learning rate is not chosen yet: its readable part, the hash left out. */
    static String waitingId(RunConfig c) {
        String id = RunIds.of(c);
        return id.substring(0, id.lastIndexOf('-') + 1) + "…";
    }

    /**
     * {@code sweep run}: trains the runs like {@link Runner#run} and, for a sweep with a search, expands
     * again after each round (the runs of searches that have a winner now) and goes on until no new run
     * appears. Sharded, a worker whose own runs are done trains the candidates nobody has started and waits
     * for those other workers hold, so that every worker ends with every run of the sweep known.
     *
     * @return the runs of the sweep as the last expansion has them
     */
    static List<Expansion.Point> run(SweepSpec s, Path d, List<Expansion.Point> pts, Runner.Options o) {
        if (!s.root.path("lr").isObject()) {
            Runner.run(d, pts, o);
            return pts;
        }
        String runs = d.resolve("runs").toString();
        Expansion.Expanded e = Expansion.expandAll(s, runs, true);
        Set<String> told = new HashSet<>();
        for (Search x : e.searches()) {
            o.log().printf(Locale.ROOT, "lr search %s: %d candidates of %d steps; %s%n", x.describe(), x.candidates().size(), x.steps(),
                    x.winner() >= 0 ? "done" : x.runs() + " run(s) wait for its winner");
        }
        List<Expansion.Point> cur = pts;
        while (!o.stop().get()) {
            write(d, e);
            Runner.run(d, cur, o);
            if (o.stop().get()) break;
            e = Expansion.expandAll(s, runs, true);
            if (o.shards() > 1 && e.searches().stream().anyMatch(x -> x.winner() < 0 && x.stuck() == null)) {
                List<Expansion.Point> open = new ArrayList<>();
                for (Search x : e.searches()) if (x.winner() < 0) x.candidates().forEach(c -> open.add(c.point()));
                Runner.run(d, open, o.shard(0, 1));
                if (o.stop().get()) break;
                e = Expansion.expandAll(s, runs, true);
                ResultsCsv.rebuild(d, e.points(), o.lockTimeoutMs());
            }
            announce(o, e, told);
            Set<String> known = new HashSet<>();
            for (Expansion.Point p : cur) known.add(p.runId());
            if (e.points().stream().allMatch(p -> known.contains(p.runId()))) break;
            cur = e.points();
        }
        e = Expansion.expandAll(s, runs, true);
        write(d, e);
        return e.points();
    }

    /** One line per search that has a winner now, once. */
    private static void announce(Runner.Options o, Expansion.Expanded e, Set<String> told) {
        for (Search x : e.searches()) {
            if (x.winner() < 0 || !told.add(x.candidates().get(0).point().runId())) continue;
            StringBuilder all = new StringBuilder();
            for (Candidate c : x.candidates()) {
                all.append(all.length() == 0 ? "" : ", ").append(c.text()).append(' ')
                        .append(c.status().equals("done") ? String.format(Locale.ROOT, "%.4f", c.bestValLoss()) : c.status());
            }
            Candidate w = x.candidates().get(x.winner());
            o.log().printf(Locale.ROOT, "lr search %s: winner lr %s (best val loss %.4f; %s); %d run(s) train with it%s%n", x.describe(),
                    w.text(), w.bestValLoss(), all, x.runs(), x.edge());
        }
    }

    /** {@link Runner#notDone}, and a line per search that keeps runs of the sweep from being expanded. */
    static List<String> notDone(SweepSpec s, Path d, List<Expansion.Point> pts, Runner.Options o) {
        List<String> out = new ArrayList<>(Runner.notDone(d, pts, o));
        if (!s.root.path("lr").isObject()) return out;
        for (Search x : Expansion.expandAll(s, d.resolve("runs").toString(), false).searches()) {
            if (x.winner() >= 0 || x.runs() == 0) continue;
            String why = x.stuck();
            if (why == null) why = o.stop().get() ? "this worker was stopped; it resumes on the next sweep run" : "its candidates are not all done";
            out.add(x.runs() + " run(s) waiting for the lr search " + x.describe() + " (" + why + ")");
        }
        return out;
    }

    /** {@code sweep status}: a line per search, with its candidates' statuses and its winner or the best so far. */
    static List<String> statusLines(SweepSpec s, Path dir, long lockTimeoutMs) {
        if (!s.root.path("lr").isObject()) return List.of();
        List<String> out = new ArrayList<>();
        for (Search x : Expansion.expandAll(s, dir.resolve("runs").toString(), false).searches()) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (String k : SweepState.STATUSES) counts.put(k, 0);
            int best = -1;
            for (int i = 0; i < x.candidates().size(); i++) {
                Candidate c = x.candidates().get(i);
                counts.merge(ResultsCsv.status(dir.resolve("runs").resolve(c.point().runId()), lockTimeoutMs), 1, Integer::sum);
                boolean better = best < 0 || c.bestValLoss() < x.candidates().get(best).bestValLoss();
                if (c.status().equals("done") && Double.isFinite(c.bestValLoss()) && better) best = i;
            }
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "lr search %s, %d candidates of %d steps: %s", x.describe(),
                    x.candidates().size(), x.steps(), SweepState.summary(counts)));
            if (x.winner() >= 0) {
                Candidate w = x.candidates().get(x.winner());
                sb.append(String.format(Locale.ROOT, "; winner lr %s (best val loss %.4f); %d run(s) train with it%s", w.text(), w.bestValLoss(),
                        x.runs(), x.edge()));
            } else {
                if (best >= 0) {
                    Candidate b = x.candidates().get(best);
                    sb.append(String.format(Locale.ROOT, "; best so far lr %s (val loss %.4f)", b.text(), b.bestValLoss()));
                }
                sb.append("; ").append(x.runs()).append(" run(s) wait for its winner");
                if (x.stuck() != null) sb.append(": ").append(x.stuck());
            }
            out.add(sb.toString());
        }
        return out;
    }

    /**
     * Writes {@code lr-search.json} (atomically): per search where it ran, its candidates with their run ids,
     * statuses and best validation losses, and the winner (null until every candidate has ended).
     */
    static void write(Path sweepDir, Expansion.Expanded e) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", "scalelab-lr-search");
        root.put("version", 1);
        root.put("rule", "the winner is the done candidate with the lowest best_val_loss; losses within 1e-9 of it "
                + "are a tie, won by the lowest lr; diverged candidates never win");
        List<Map<String, Object>> list = new ArrayList<>();
        for (Search x : e.searches()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("at", x.onBase() ? "base" : "shape");
            m.put("parameterization", x.parameterization().id());
            ModelConfig sh = x.shape();
            Map<String, Object> shape = new LinkedHashMap<>();
            shape.put("nLayer", sh.nLayer());
            shape.put("dModel", sh.dModel());
            shape.put("nHead", sh.nHead());
            m.put("shape", shape);
            m.put("steps", x.steps());
            List<Map<String, Object>> cs = new ArrayList<>();
            for (Candidate c : x.candidates()) {
                Map<String, Object> cm = new LinkedHashMap<>();
                cm.put("lr", c.lr());
                cm.put("run_id", c.point().runId());
                cm.put("status", c.status().equals("open") ? "not done" : c.status());
                cm.put("best_val_loss", Double.isFinite(c.bestValLoss()) ? c.bestValLoss() : null);
                cs.add(cm);
            }
            m.put("candidates", cs);
            m.put("winner", x.winner() >= 0 ? x.candidates().get(x.winner()).lr() : null);
            m.put("winner_run_id", x.winner() >= 0 ? x.candidates().get(x.winner()).point().runId() : null);
            m.put("winner_at_edge", x.winner() >= 0 ? !x.edge().isEmpty() : null);
            m.put("runs", x.runs());
            list.add(m);
        }
        root.put("searches", list);
        Files2.writeAtomic(sweepDir.resolve(FILE), Json.pretty(root));
    }
}
