package dev.allowdns.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level {@code allowdns} command; its subcommands do the work. */
@Command(
    name = "allowdns",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Allowlisting DNS resolver and transparent TCP relay for sandboxes.",
    subcommands = {
      ServeCommand.class,
      CheckCommand.class,
      ValidateCommand.class,
      ZonesCommand.class,
      ReloadCommand.class,
      SandboxCommand.class,
      LogsCommand.class,
      IptablesCommand.class,
      CommandLine.HelpCommand.class
    })
final class AllowdnsCommand {
  static CommandLine commandLine() {
    return new CommandLine(new AllowdnsCommand());
  }
}
