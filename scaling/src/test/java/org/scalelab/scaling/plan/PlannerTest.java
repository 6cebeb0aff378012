package org.scalelab.scaling.plan;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.scalelab.scaling.ScalingError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    void userLawFromFitsJson(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("fits.json");
        Files.writeString(f, "{\"laws\":[{\"law\":\"L(N)\",\"alpha\":0.1},{\"law\":\"chinchilla\",\"params\":"
                + "{\"E\":{\"value\":1.5},\"A\":{\"value\":300},\"alpha\":{\"value\":0.3},\"B\":{\"value\":500},\"beta\":{\"value\":0.3}}}]}");
        Planner.Law l = PlanCommand.readLaw(f);
        assertEquals(1.5, l.E());
        assertEquals(300, l.A());
        assertEquals(0.3, l.beta());
        Path bad = tmp.resolve("empty.json");
        Files.writeString(bad, "{}");
        ScalingError e = assertThrows(ScalingError.class, () -> PlanCommand.readLaw(bad));
        assertTrue(e.getMessage().contains("empty.json"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void gpuHoursBudget() {
        PlanCommand cmd = new PlanCommand();
        cmd.budget = new PlanCommand.Budget();
        cmd.budget.gpuHours = 100.0;
        cmd.mfu = 0.4;
        cmd.nCtx = 2048;
        cmd.vocab = 50257;
        Map<String, Object> p = cmd.plan(Gpu.H100, List.of(Planner.CHINCHILLA));
        assertEquals(100 * 3600 * 989e12 * 0.4, (double) p.get("compute_flop"), 1e9);
        assertEquals(100, (double) p.get("gpu_hours"), 1e-9);
        assertThrows(ScalingError.class, () -> Gpu.parse("tpu"));
    }
}
