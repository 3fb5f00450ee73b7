package io.meridian.node.cli;

import picocli.CommandLine.Command;

/** The root command: one global data space over many sites. */
@Command(name = "meridian",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Meridian: one global data space over many sites.", ""},
        subcommands = {DemoCommand.class, SiteCommand.class, AdminCommand.class},
        footer = {"", "Run 'meridian <command> --help' for a command's options."})
public final class MeridianCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
