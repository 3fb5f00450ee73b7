package io.meridian.node.cli;

import picocli.CommandLine;

/** The {@code meridian} command line. */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        boolean site = args.length > 0 && args[0].equals("site");
        if (System.getProperty("meridian.log.level") == null) {
            // Commands that talk to a user keep the log quiet; a site logs what it does.
            System.setProperty("meridian.log.level", site ? "INFO" : "WARN");
        }
        CommandLine cli = new CommandLine(new MeridianCommand());
        BenchCommands.register(cli);
        cli.getSubcommands().get("site").getCommandSpec().usageMessage()
                .footer("", "Configuration keys:", SiteCommand.keysHelp());
        int code = cli.execute(args);
        if (!site || code != 0) {
            System.exit(code);
        }
    }
}
