package dev.allowdns.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code allowdns logs top|blocked|suggest|sql|follow}: the records, summed up, queried or live. */
@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    synopsisSubcommandLabel = "COMMAND",
    description = {
      "Sum up the record files (top, blocked, suggest), query them with SQL (sql) or watch records"
          + " live (follow).",
      "Damaged lines and files are reported on stderr and skipped; the rest is still read."
    },
    subcommands = {
      LogsTopCommand.class,
      LogsBlockedCommand.class,
      LogsSuggestCommand.class,
      LogsSqlCommand.class,
      LogsFollowCommand.class
    })
final class LogsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    throw new ParameterException(
        spec.commandLine(), "logs: name a command: top, blocked, suggest, sql or follow");
  }
}
