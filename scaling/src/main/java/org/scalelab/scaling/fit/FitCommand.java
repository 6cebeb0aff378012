package org.scalelab.scaling.fit;

import picocli.CommandLine.Command;

/**
 * The {@code fit} command under its earlier package name, kept so that code registering it there keeps
 * working; {@link org.scalelab.scaling.FitCommand} is the command.
 *
 * @deprecated use {@link org.scalelab.scaling.FitCommand}
 */
@Deprecated
@Command(name = "fit")
public final class FitCommand extends org.scalelab.scaling.FitCommand {
}
