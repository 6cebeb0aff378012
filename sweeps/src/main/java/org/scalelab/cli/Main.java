package org.scalelab.cli;

import org.scalelab.datasets.UserError;
import org.scalelab.trainer.cli.GenerateCommand;
import org.scalelab.trainer.cli.TrainCommand;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.UncheckedIOException;

/**
 * The {@code scalelab} command: assembles each module's subcommands. User errors print one line and
 * exit 2; anything else is a bug and prints its stack trace (exit 1).
 */
@Command(name = "scalelab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "ScaleLab: train transformer grids in SameDiff and fit scaling laws to them.",
        subcommands = {org.scalelab.datasets.DataCommand.class, TrainCommand.class, GenerateCommand.class, org.scalelab.trainer.cli.EvalCommand.class, org.scalelab.trainer.cli.ExportCommand.class, org.scalelab.trainer.cli.BenchCommand.class,
                org.scalelab.scaling.fit.FitCommand.class, org.scalelab.scaling.TransferCommand.class, org.scalelab.scaling.report.ReportCommand.class,
                org.scalelab.scaling.plan.PlanCommand.class, org.scalelab.sweeps.SweepCommand.class, QuickstartCommand.class, CoordCheckCommand.class, AutoComplete.GenerateCompletion.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int execute(String... args) {
        return execute(null, null, args);
    }

    /** Runs the command line with its output and errors sent to the given writers (null: stdout/stderr). */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        if (out != null) cl.setOut(out);
        if (err != null) cl.setErr(err);
        cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(true);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            String msg = userMessage(ex);
            if (msg == null) throw ex;
            cmd.getErr().println("error: " + msg);
            cmd.getErr().flush();
            return 2;
        });
        return cl.execute(args);
    }

    /** The one-line message of a user error, or null when the exception is a bug. */
    static String userMessage(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof UserError) return t.getMessage();
            if (t.getClass().getSimpleName().equals("ScalingError")) return t.getMessage();
            if (t instanceof UncheckedIOException u) return u.getMessage() + ": " + u.getCause().getMessage();
        }
        return null;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"scalelab " + org.scalelab.trainer.Version.SCALELAB
                    + " (ND4J/SameDiff " + org.scalelab.trainer.Version.ND4J + ", Java " + System.getProperty("java.version") + ")"};
        }
    }
}
