package org.scalelab.scaling;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.scalelab.scaling.fit.Benchmark;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code scalelab fit}: fit the laws a sweep (or any CSV table) supports and write fits.json. */
@Command(name = "fit", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fit scaling laws to a sweep's finished runs (or any CSV table) and write fits.json:",
                "each law's parameters with bootstrap intervals, goodness of fit, the published values beside them,",
                "the error when the largest runs are held out, and the compute-optimal allocation."},
        footer = {"", "Laws (--laws, comma-separated; default: all the table supports):",
                "  n, d, c        L(x) = (x_c/x)^alpha_x for x = N, D, C (Kaplan et al. 2020)",
                "  n+e, d+e, c+e  L(x) = E + A*x^-alpha_x",
                "  nd             Kaplan's L(N,D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D",
                "  ns             Kaplan's L(N,S_min) = (N_c/N)^alpha_N + (S_c/S_min)^alpha_S, S_min = S/(1+B_crit/B)",
                "  chinchilla     L = E + A/N^alpha + B/D^beta, approach 3: sum of Huber(1e-3) on log L, L-BFGS from 4500 starts",
                "  approach1      Chinchilla approach 1: envelope of the learning curves -> N_opt(C), D_opt(C)",
                "  approach2      Chinchilla approach 2: IsoFLOP parabolas in ln N -> N_opt(C), D_opt(C)",
                "  batch          critical batch size from a batch-size sweep: B_crit(L) = B*/L^(1/alpha_B)",
                "  hyper          DeepSeek LLM's lr_opt = a*C^b, B_opt = c*C^d (Bi et al. 2024)",
                "                 from near-optimal runs of an lr x batch sweep at 3+ budgets",
                "In a sweep directory L(C) is fitted to the compute frontier of the learning curves (runs/<id>/metrics.jsonl).",
                "Only rows with status done are fitted. Loss column: best_val_loss if present, else final_val_loss.",
                "", "Examples:",
                "  scalelab fit experiments/kaplan-tiny",
                "  scalelab fit experiments/chinchilla-small --laws chinchilla,approach1,approach2 --bootstrap 1000 --holdout 3",
                "  scalelab fit --csv runs.csv --n-col params --d-col tokens --loss-col loss --laws chinchilla --json",
                "  scalelab fit --benchmark      (times the 4500-start approach-3 fit plus 1000 bootstraps)"})
public class FitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "SWEEP_DIR", description = "A sweep directory: results.csv and runs/<id>/metrics.jsonl.")
    Path dir;

    @Option(names = "--csv", paramLabel = "FILE", description = "Any CSV table with a header row, instead of a sweep directory.")
    Path csv;

    @Option(names = "--n-col", paramLabel = "COL", description = "Column of N, non-embedding parameters (default: N).")
    String nCol;

    @Option(names = "--d-col", paramLabel = "COL", description = "Column of D, training tokens (default: D).")
    String dCol;

    @Option(names = "--c-col", paramLabel = "COL", description = "Column of C, training FLOP (default: C, else 6·N·D).")
    String cCol;

    @Option(names = "--loss-col", paramLabel = "COL", description = "Column of the loss in nats/token (default: best_val_loss, else final_val_loss, else loss).")
    String lossCol;

    @Option(names = "--batch-col", paramLabel = "COL", description = "Column of the batch size in tokens per step (default: tokens_per_step, else batch_size·n_ctx).")
    String batchCol;

    @Option(names = "--steps-col", paramLabel = "COL", description = "Column of the optimizer steps (default: steps_done, else steps).")
    String stepsCol;

    @Option(names = "--lr-col", paramLabel = "COL", description = "Column of the peak learning rate (default: lr).")
    String lrCol;

    @Option(names = "--weight-col", paramLabel = "COL", description = "Column of per-run weights (default: all 1; 0 leaves a run out).")
    String weightCol;

    @Option(names = "--laws", split = ",", paramLabel = "LAW", description = "Laws and analyses to fit (see below); each must succeed.")
    List<String> laws;

    @Option(names = "--bootstrap", paramLabel = "B", defaultValue = "1000", description = "Bootstrap replicates over runs for the intervals; 0 for none (default: ${DEFAULT-VALUE}).")
    int bootstrap;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the bootstrap draws (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--holdout", paramLabel = "K", defaultValue = "2", description = "Refit without the K largest runs and report the error on them; 0 for none (default: ${DEFAULT-VALUE}).")
    int holdout;

    @Option(names = "--huber", paramLabel = "DELTA", arity = "0..1", fallbackValue = "1e-3", defaultValue = "0",
            description = "Robust fits: Huber's loss with this δ on log-loss residuals (--huber alone: 1e-3) for every law; "
                    + "chinchilla always uses 1e-3 (default: least squares).")
    double huber;

    @Option(names = "--level", defaultValue = "0.95", description = "Coverage of the intervals (default: ${DEFAULT-VALUE}).")
    double level;

    @Option(names = "--hyper-margin", paramLabel = "M", defaultValue = "0.0025",
            description = "hyper: runs with loss <= min*(1 + M) at their budget are near-optimal (default: ${DEFAULT-VALUE}, DeepSeek LLM's 0.25%%).")
    double hyperMargin;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write fits.json (default: beside the table).")
    Path out;

    @Option(names = "--json", description = "Print fits.json instead of the table.")
    boolean json;

    @Option(names = "--benchmark", description = "Time approach 3 on synthetic runs: the 4500-start grid plus --bootstrap replicates.")
    boolean benchmark;

    /** Runs {@code scalelab fit} and exits with its code (2 for a user error, after its one-line message). */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command; a {@link ScalingError} prints its message alone on stderr and gives exit code 2. */
    public static int execute(String... args) {
        return execute(null, null, args);
    }

    /** As {@link #execute(String...)} with output and errors to the given writers (null: stdout, stderr). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new FitCommand());
        if (out != null) cl.setOut(out);
        if (err != null) cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (!(ex instanceof ScalingError)) throw ex;
            cmd.getErr().println(ex.getMessage());
            cmd.getErr().flush();
            return 2;
        });
        return cl.execute(args);
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter w = spec != null ? spec.commandLine().getOut() : new PrintWriter(System.out, true);
        FitOptions o = new FitOptions(laws, bootstrap, seed, holdout, huber, level, 8, true,
                new FitOptions.Columns(nCol, dCol, cCol, lossCol, batchCol, stepsCol, weightCol, lrCol), hyperMargin);
        if (benchmark) {
            w.print(Benchmark.run(bootstrap, seed).text());
            w.flush();
            return 0;
        }
        if ((dir == null) == (csv == null)) throw new ScalingError("give either SWEEP_DIR or --csv FILE (see scalelab fit --help)");
        Table t = dir != null ? Table.sweep(dir) : Table.csv(csv);
        FitReport r = Fits.fitAll(t, o);
        String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r.toJson()) + "\n";
        Path target = out != null ? out : t.source().toAbsolutePath().getParent().resolve("fits.json");
        AtomicFiles.write(target, text.getBytes(StandardCharsets.UTF_8));
        if (json) {
            w.print(text);
        } else {
            w.print(r.table());
            w.printf(Locale.ROOT, "%d law(s)%s%d allocation method(s)%s fitted to %d runs in %.1f s (%d bootstrap replicates) -> %s%n",
                    r.laws().size(), r.hyperparameters() != null ? ", " : " and ", r.computeOptimal().size(),
                    r.hyperparameters() != null ? " and the hyperparameter laws" : "",
                    r.rows(), r.seconds(), bootstrap, target);
        }
        w.flush();
        return 0;
    }
}
