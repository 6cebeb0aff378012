package org.scalelab.scaling.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.scaling.FitCommand;
import org.scalelab.scaling.Published;
import org.scalelab.scaling.ScalingError;
import org.scalelab.scaling.Synthetic;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlannerTest {

    @Test
    void chinchillaAllocationByHand() {
        // G = (0.34·406.4 / (0.28·410.7))^(1/0.62); N_opt = G·(C/6)^(0.28/0.62); D_opt = (C/6)^(0.34/0.62)/G
        double c = 1e21, g = Math.pow(0.34 * 406.4 / (0.28 * 410.7), 1 / 0.62);
        double n = g * Math.pow(c / 6, 0.28 / 0.62), d = Math.pow(c / 6, 0.34 / 0.62) / g;
        assertEquals(n, Planner.CHINCHILLA.nOpt(c), n * 1e-12);
        assertEquals(d, Planner.CHINCHILLA.dOpt(c), d * 1e-12);
        assertEquals(1.83e9, n, 0.01e9);
        assertEquals(c, 6 * n * d, c * 1e-9, "the allocation spends exactly C = 6ND");
        // and it is the minimum of L along 6ND = C
        double best = Planner.CHINCHILLA.loss(n, d);
        for (double f : new double[]{0.8, 0.9, 1.1, 1.25}) assertTrue(Planner.CHINCHILLA.loss(n * f, d / f) > best);
        assertEquals(c, Planner.CHINCHILLA.computeFor(n), c * 1e-9);
    }

    @Test
    void replicationGivesAboutTwentyTokensPerParameter() {
        double c = 1e22;
        double ratio = Planner.BESIROGLU.dOpt(c) / Planner.BESIROGLU.nOpt(c);
        assertTrue(ratio > 15 && ratio < 30, "tokens per parameter " + ratio);
    }

    @Test
    void kaplanRules() {
        assertEquals(1.3e9, Planner.kaplanNOpt(Planner.PF_DAY), 1);
        assertEquals(Planner.PF_DAY, Planner.kaplanComputeFor(1.3e9), 1e6);
        assertEquals(5e3 * Math.pow(1e8, 0.74), Planner.minTokens(1e8), 1);
        assertEquals(2e8, Planner.criticalBatch(1.0), 1e-6);
        assertEquals(2e8 / Math.pow(2.0, 1 / 0.21), Planner.criticalBatch(2.0), 1e-3);
    }

    @Test
    void shapesHitTheTargetSize() {
        for (double n : new double[]{1e8, 1e9, 1e10}) {
            for (Planner.Shape s : Planner.shapes(n)) {
                assertEquals(1.0, s.params() / n, 0.15, s.toString());
                assertEquals(0, s.dModel() % 64);
                assertEquals(s.dModel(), 64 * s.nHead());
            }
            Planner.Shape std = Planner.shapes(n).get(0), deep = Planner.shapes(n).get(1);
            assertTrue(deep.nLayer() >= std.nLayer() && deep.dModel() <= std.dModel(), "deepnarrow is deeper and narrower");
        }
    }

    @Test
    void memoryByHand() {
        // 1e8 params: 6 + 2 + 8 bytes each; activations 12·(1024·4·768)·(34 + 5·12·1024/768) + 8·1024·4·50257
        Memory m = Memory.estimate(1e8, 12, 768, 12, 1024, 50257, 4);
        assertEquals(6e8, m.weights(), 1);
        assertEquals(2e8, m.gradients(), 1);
        assertEquals(8e8, m.adam(), 1);
        double act = 12 * (1024.0 * 4 * 768) * (34 + 5.0 * 12 * 1024 / 768) + 8.0 * 1024 * 4 * 50257;
        assertEquals(act, m.activations(), 1);
    }

    @Test
    void kaplanNDAllocationIsTheMinimumAlongTheBudget() {
        Planner.KaplanND k = new Planner.KaplanND("kaplan", 6.4e13, 1.8e13, 0.076, 0.103);
        double c = 1e21, n = k.nOpt(c), d = k.dOpt(c);
        assertEquals(c, 6 * n * d, c * 1e-9);
        double best = k.loss(n, d);
        for (double f : new double[]{0.7, 0.9, 1.1, 1.4}) assertTrue(k.loss(n * f, d / f) > best, "f = " + f);
        assertEquals(c, k.computeFor(n), c * 1e-9);
        assertEquals(Planner.kaplanLoss(n, d), best, 1e-12, "the same law as the planner's Kaplan loss");
    }

    static final String CHIN = "{\"law\":\"chinchilla\",\"params\":{\"E\":{\"value\":1.5},\"A\":{\"value\":300},"
            + "\"alpha\":{\"value\":0.3},\"B\":{\"value\":500},\"beta\":{\"value\":0.3}}}";
    static final String ND = "{\"law\":\"L(N,D)\",\"params\":{\"N_c\":{\"value\":1e13},\"D_c\":{\"value\":5e12},"
            + "\"alpha_N\":{\"value\":0.08},\"alpha_D\":{\"value\":0.1}}}";
    static final String LN = "{\"law\":\"L(N)\",\"params\":{\"N_c\":{\"value\":2e13},\"alpha_N\":{\"value\":0.07}}}";
    static final String LD = "{\"law\":\"L(D)\",\"params\":{\"D_c\":{\"value\":4e13},\"alpha_D\":{\"value\":0.09}}}";

    static PlanCommand.UserFits fits(Path tmp, String json) throws IOException {
        Path f = tmp.resolve("fits.json");
        Files.writeString(f, json);
        return PlanCommand.readFits(f);
    }

    @Test
    void userLawsFromFitsJson(@TempDir Path tmp) throws IOException {
        List<Planner.Law> all = fits(tmp, "{\"laws\":[" + LN + "," + ND + "," + CHIN + "," + LD + "]}").laws();
        assertEquals(3, all.size(), all.toString());
        Planner.Chinchilla c = (Planner.Chinchilla) all.get(0);
        assertEquals(1.5, c.E());
        assertEquals(300, c.A());
        assertEquals(0.3, c.beta());
        Planner.KaplanND nd = (Planner.KaplanND) all.get(1);
        assertEquals(1e13, nd.nc());
        assertEquals(0.1, nd.alphaD());
        // L(N) and L(D) joined: Kaplan's form with their constants, which has them as its limits
        Planner.KaplanND joined = (Planner.KaplanND) all.get(2);
        assertEquals(Math.pow(2e13 / 1e6, 0.07), joined.loss(1e6, 1e30), 1e-9);
        assertEquals(Math.pow(4e13 / 1e9, 0.09), joined.loss(1e30, 1e9), 1e-9);
        // Kaplan's form alone is enough
        assertTrue(fits(tmp, "{\"laws\":[" + ND + "]}").laws().get(0) instanceof Planner.KaplanND);
        // a hand-written file with Chinchilla's five numbers anywhere
        assertEquals(300, ((Planner.Chinchilla) fits(tmp, "{\"mine\":{\"e\":1.5,\"a\":300,\"alpha\":0.3,\"b\":500,\"beta\":0.3}}").laws().get(0)).A());
    }

    @Test
    void aFitsJsonWithoutUsableLawsSaysWhichItCanUse(@TempDir Path tmp) throws IOException {
        ScalingError e = assertThrows(ScalingError.class, () -> fits(tmp, "{\"laws\":[" + LN + ",{\"law\":\"L(C)\",\"params\":{}}]}"));
        assertTrue(e.getMessage().startsWith(tmp.resolve("fits.json") + ": no law in N and D the planner can use (it has L(N), L(C))"), e.getMessage());
        assertTrue(e.getMessage().contains("chinchilla, Kaplan's L(N,D), or L(N) together with L(D)"), e.getMessage());
        e = assertThrows(ScalingError.class, () -> fits(tmp, "{}"));
        assertTrue(e.getMessage().contains("(it has no laws)"), e.getMessage());
        e = assertThrows(ScalingError.class, () -> fits(tmp, "{\"laws\":[" + CHIN.replace("\"beta\":{\"value\":0.3}", "\"beta\":{\"value\":-0.3}") + "]}"));
        assertTrue(e.getMessage().contains("has no compute-optimal allocation"), e.getMessage());
    }

    static PlanCommand cmd(Double compute, Double params) {
        PlanCommand cmd = new PlanCommand();
        cmd.budget = new PlanCommand.Budget();
        cmd.budget.compute = compute;
        cmd.budget.params = params;
        cmd.mfu = 0.4;
        cmd.nCtx = 2048;
        cmd.vocab = 50257;
        return cmd;
    }

    static final List<Planner.Law> PUBLISHED = List.of(Planner.CHINCHILLA, Planner.BESIROGLU);

    @Test
    @SuppressWarnings("unchecked")
    void batchStepsAndOverfittingFromThePublishedLaw() {
        Map<String, Object> p = cmd(1e21, null).plan(Gpu.H100, PUBLISHED, null);
        Map<String, Object> plan = (Map<String, Object>) p.get("plan");
        assertEquals(Planner.CHINCHILLA.name(), plan.get("law"));
        double n = Planner.CHINCHILLA.nOpt(1e21), d = Planner.CHINCHILLA.dOpt(1e21);
        double b = Planner.criticalBatch(Planner.kaplanLoss(n, d));
        assertEquals(b, (double) plan.get("critical_batch_tokens"), b * 1e-12);
        int seqs = (int) plan.get("batch_sequences");
        assertTrue(seqs * 2048 <= b && 2 * seqs * 2048 > b, "the largest power of two of sequences within B_crit: " + seqs);
        assertEquals(Integer.bitCount(seqs), 1);
        assertEquals(Math.round(d / (seqs * 2048.0)), (long) plan.get("steps"));
        assertEquals(5e3 * Math.pow(n, 0.74), (double) plan.get("min_tokens_no_overfit"), 1);
        assertEquals(d >= 5e3 * Math.pow(n, 0.74) ? "ok" : "overfit", ((String) plan.get("overfit_check")).startsWith("ok") ? "ok" : "overfit");
        // a 1e8 model on its Chinchilla-optimal ~2e9 tokens: below Kaplan's 5e3·N^0.74 = 4.2e9
        Map<String, Object> small = (Map<String, Object>) cmd(null, 1e8).plan(Gpu.H100, PUBLISHED, null).get("plan");
        assertTrue(((String) small.get("overfit_check")).startsWith("D is below it"), small.toString());
        String text = PlanCommand.render(p);
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "-> %d sequences = %d tokens; %d steps", seqs, seqs * 2048L, plan.get("steps"))), text);
        assertTrue(text.contains("overfitting: D >= 5e3*N^0.74"), text);
    }

    @Test
    @SuppressWarnings("unchecked")
    void paramsBudgetGivesEachLawItsOptimalD() {
        Map<String, Object> p = cmd(null, 1e8).plan(Gpu.H100, PUBLISHED, null);
        assertEquals(Planner.CHINCHILLA.computeFor(1e8), (double) p.get("compute_flop"), 1e6);
        List<Map<String, Object>> rows = (List<Map<String, Object>>) p.get("allocations");
        assertEquals(3, rows.size(), "Chinchilla, its replication, Kaplan");
        for (Map<String, Object> r : rows) assertEquals(1e8, (double) r.get("N"), 0, r.toString());
        assertEquals(Planner.CHINCHILLA.dOpt(Planner.CHINCHILLA.computeFor(1e8)), (double) rows.get(0).get("D"), 1);
        assertEquals(Planner.BESIROGLU.dOpt(Planner.BESIROGLU.computeFor(1e8)), (double) rows.get(1).get("D"), 1);
        assertEquals(Planner.kaplanComputeFor(1e8) / 6e8, (double) rows.get(2).get("D"), 1);
        assertEquals(1e8, (double) ((List<Map<String, Object>>) ((Map<String, Object>) p.get("plan")).get("shapes")).get(0).get("N_12Ld2"), 0.15e8);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theConcretePlanUsesTheUsersFit(@TempDir Path tmp) throws IOException {
        PlanCommand.UserFits u = fits(tmp, "{\"laws\":[" + CHIN + "],\"critical_batch\":{\"B_star\":3e7,\"alpha_B\":0.3}}");
        Planner.Law mine = u.laws().get(0);
        Map<String, Object> p = cmd(1e20, null).plan(Gpu.H100, PUBLISHED, u);
        Map<String, Object> plan = (Map<String, Object>) p.get("plan");
        assertEquals(mine.name(), plan.get("law"));
        double n = mine.nOpt(1e20), d = mine.dOpt(1e20), loss = mine.loss(n, d);
        assertEquals(loss, (double) plan.get("predicted_loss"), 1e-12);
        assertEquals(3e7 / Math.pow(loss, 1 / 0.3), (double) plan.get("critical_batch_tokens"), 1e-3, "the user's critical batch at the user's loss");
        assertTrue(((String) plan.get("critical_batch_source")).startsWith("your fit"));
        assertEquals(5e3 * Math.pow(n, 0.74), (double) plan.get("min_tokens_no_overfit"), 1);
        List<Map<String, Object>> shapes = (List<Map<String, Object>>) plan.get("shapes");
        assertEquals(1.0, (double) shapes.get(0).get("N_12Ld2") / n, 0.15, "the shape of the user's N_opt");
        assertEquals(4, ((List<?>) p.get("allocations")).size(), "published rows, the user's and Kaplan's");
        // --params: the budget from the user's law
        Map<String, Object> q = cmd(null, 3e8).plan(Gpu.H100, PUBLISHED, u);
        assertEquals(mine.computeFor(3e8), (double) q.get("compute_flop"), 1e3);
        // without a critical-batch fit: Kaplan's
        Map<String, Object> k = (Map<String, Object>) cmd(1e20, null).plan(Gpu.H100, PUBLISHED, fits(tmp, "{\"laws\":[" + ND + "]}")).get("plan");
        assertTrue(((String) k.get("law")).contains("Kaplan L(N,D)"));
        assertTrue(((String) k.get("critical_batch_source")).startsWith("Kaplan et al. 2020"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void microBatchHalvesUntilItFitsTheGpu() {
        Map<String, Object> plan = (Map<String, Object>) cmd(null, 1e8).plan(Gpu.T4, PUBLISHED, null).get("plan");
        int seqs = (int) plan.get("batch_sequences");
        for (Map<String, Object> s : (List<Map<String, Object>>) plan.get("shapes")) {
            int micro = (int) s.get("micro_batch");
            int l = (int) s.get("n_layer"), dm = (int) s.get("d_model"), h = (int) s.get("n_head");
            double total = (double) s.get("N_12Ld2") + 50257.0 * dm + 2048.0 * dm;
            assertTrue(micro < seqs, "the full batch of " + seqs + " sequences does not fit 16 GB: " + s);
            assertEquals(1, Integer.bitCount(micro));
            assertTrue(Memory.estimate(total, l, dm, h, 2048, 50257, micro).total() <= 16e9, "fits at " + micro);
            assertTrue(Memory.estimate(total, l, dm, h, 2048, 50257, 2 * micro).total() > 16e9, "not at twice that");
            assertEquals(true, s.get("fits_one_t4"));
            assertEquals(Memory.estimate(total, l, dm, h, 2048, 50257, micro).total() / 1e9, (double) ((Map<String, Object>) s.get("memory_gb")).get("total"), 1e-9);
        }
        // 1e10 parameters need 160 GB for weights, gradients and Adam alone
        Map<String, Object> big = (Map<String, Object>) cmd(null, 1e10).plan(Gpu.T4, PUBLISHED, null).get("plan");
        for (Map<String, Object> s : (List<Map<String, Object>>) big.get("shapes")) {
            assertEquals(1, s.get("micro_batch"));
            assertEquals(false, s.get("fits_one_t4"));
        }
        assertTrue(PlanCommand.render(cmd(null, 1e10).plan(Gpu.T4, PUBLISHED, null)).contains("needs sharding across several t4"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void gpuHoursBudget() {
        PlanCommand cmd = cmd(null, null);
        cmd.budget.gpuHours = 100.0;
        Map<String, Object> p = cmd.plan(Gpu.H100, List.of(Planner.CHINCHILLA), null);
        assertEquals(100 * 3600 * 989e12 * 0.4, (double) p.get("compute_flop"), 1e9);
        assertEquals(100, (double) p.get("gpu_hours"), 1e-9);
        assertThrows(ScalingError.class, () -> Gpu.parse("tpu"));
    }

    /** The element of a fits.json {@code at} list at compute c. */
    static JsonNode at(JsonNode list, double c) {
        for (JsonNode a : list) if (a.get("C").asDouble() == c) return a;
        throw new AssertionError("no C = " + c + " in " + list);
    }

    /**
     * A fits.json written by {@code fit --laws hyper} (4 budgets, 1e17…1e20 FLOP): plan gives the learning
     * rate and the batch its laws predict for the budget, with the fit's own interval at a budget it lists
     * and an interpolated one between, says how far beyond the fitted budgets it is, and sets DeepSeek's
     * laws beside them; the allocation still comes from the published laws (the file has none in N and D),
     * or from the user's law when the file has one too. A plan without them has no such line.
     */
    @Test
    @SuppressWarnings("unchecked")
    void hyperparametersFromAFitsJson(@TempDir Path tmp) throws IOException {
        Path csv = tmp.resolve("hyper.csv");
        Files.writeString(csv, String.join("\n", Synthetic.hyperSweep(new double[]{1e17, 1e18, 1e19, 1e20}, 5, 4, 0.0005, 1)) + "\n");
        StringWriter out = new StringWriter(), err = new StringWriter();
        assertEquals(0, FitCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "--csv", csv.toString(), "--laws", "hyper",
                "--bootstrap", "200"), err.toString());
        Path file = tmp.resolve("fits.json");
        JsonNode h = new ObjectMapper().readTree(file.toFile()).get("hyperparameters");
        PlanCommand.UserFits u = PlanCommand.readFits(file);
        assertTrue(u.laws().isEmpty(), "no law in N and D in this file");

        Map<String, Object> p = cmd(1e19, null).plan(Gpu.H100, PUBLISHED, u);
        Map<String, Object> plan = (Map<String, Object>) p.get("plan");
        assertEquals(Planner.CHINCHILLA.name(), plan.get("law"));
        Map<String, Object> hp = (Map<String, Object>) plan.get("hyperparameters");
        double a = h.get("lr").get("a").get("value").asDouble(), b = h.get("lr").get("b").get("value").asDouble();
        double c = h.get("batch").get("c").get("value").asDouble(), d = h.get("batch").get("d").get("value").asDouble();
        double lr = a * Math.pow(1e19, b), batch = c * Math.pow(1e19, d);
        assertEquals(lr, (double) hp.get("lr"), lr * 1e-12);
        assertEquals(batch, (double) hp.get("batch_tokens"), batch * 1e-12);
        JsonNode lr19 = at(h.get("lr").get("at"), 1e19), b19 = at(h.get("batch").get("at"), 1e19);
        assertEquals(lr19.get("lr_ci_low").asDouble(), (double) hp.get("lr_ci_low"), lr * 1e-9, "fits.json's interval at a listed budget");
        assertEquals(lr19.get("lr_ci_high").asDouble(), (double) hp.get("lr_ci_high"), lr * 1e-9);
        assertEquals(b19.get("batch_ci_low").asDouble(), (double) hp.get("batch_tokens_ci_low"), batch * 1e-9);
        assertEquals(Math.round(batch / 2048), (long) hp.get("batch_sequences"));
        assertEquals(1.0, (double) hp.get("extrapolation"), 0, "1e19 lies inside the budgets fitted");
        assertEquals(Published.deepseekLr(1e19), (double) hp.get("deepseek_lr"), 0);
        String text = PlanCommand.render(p);
        assertTrue(text.contains("  hyperparameters (your fit: lr_opt = a·C^b, B_opt = c·C^d from " + h.get("points").asInt()
                + " near-optimal runs at C = 1.00e+17…1.00e+20): lr "), text);
        assertTrue(text.contains(String.format(java.util.Locale.ROOT, "batch %.3g tokens [", batch)), text);
        assertTrue(text.contains("DeepSeek LLM at this C (their C = M·D, optimizer and data): lr "), text);

        // between the listed budgets, and beyond the fitted ones
        Map<String, Object> q = (Map<String, Object>) ((Map<String, Object>) cmd(3e21, null).plan(Gpu.H100, PUBLISHED, u).get("plan")).get("hyperparameters");
        double lrQ = (double) q.get("lr");
        assertTrue((double) q.get("lr_ci_low") < lrQ && lrQ < (double) q.get("lr_ci_high"), q.toString());
        double lo21 = at(h.get("lr").get("at"), 1e21).get("lr_ci_low").asDouble(), lo22 = at(h.get("lr").get("at"), 1e22).get("lr_ci_low").asDouble();
        assertTrue((double) q.get("lr_ci_low") < lo21 && (double) q.get("lr_ci_low") > lo22, "between the intervals at 1e21 and 1e22: " + q);
        assertEquals(30, (double) q.get("extrapolation"), 1e-3);
        assertTrue(PlanCommand.render(cmd(3e21, null).plan(Gpu.H100, PUBLISHED, u)).contains("C is 30.0× the largest budget fitted, an extrapolation"));

        // with a law in N and D beside them, that law makes the plan and the hyperparameters stay
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(file.toFile());
        root.set("laws", new ObjectMapper().readTree("[" + CHIN + "]"));
        PlanCommand.UserFits both = fits(tmp, root.toString());
        Map<String, Object> mine = (Map<String, Object>) cmd(1e19, null).plan(Gpu.H100, PUBLISHED, both).get("plan");
        assertTrue(((String) mine.get("law")).startsWith("your fit: chinchilla"));
        assertEquals(lr, (double) ((Map<String, Object>) mine.get("hyperparameters")).get("lr"), lr * 1e-12);

        // without them nothing changes
        Map<String, Object> none = cmd(1e19, null).plan(Gpu.H100, PUBLISHED, fits(tmp, "{\"laws\":[" + CHIN + "]}"));
        assertFalse(((Map<String, Object>) none.get("plan")).containsKey("hyperparameters"));
        assertFalse(PlanCommand.render(none).contains("hyperparameters"));
    }
}
