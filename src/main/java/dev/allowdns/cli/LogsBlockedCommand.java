package dev.allowdns.cli;

import dev.allowdns.logs.BlockedSummary;
import dev.allowdns.logs.RecordFilter;
import dev.allowdns.logs.RecordReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code allowdns logs blocked}: what was refused, most frequent first. */
@Command(
    name = "blocked",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "What was refused: blocked and refused queries by name and reason, blocked connections by"
          + " domain (or address) and reason, with counts and when last seen."
    })
final class LogsBlockedCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin LogReadOptions logOptions;
  @Mixin RowLimit rowLimit;

  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  /** One row of the JSON output. */
  record Row(String kind, String target, String reason, long count, String lastSeen) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!rowLimit.check("logs blocked", err)) {
      return ExitCodes.INPUT_ERROR;
    }
    BlockedSummary blocked = new BlockedSummary();
    try {
      RecordReader reader = logOptions.open(err);
      RecordFilter filter = logOptions.filter(Instant.now());
      reader.forEachQuery(filter, blocked::add);
      reader.forEachConnection(filter, blocked::add);
    } catch (IOException e) {
      err.println("logs blocked: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    List<BlockedSummary.Row> rows = blocked.top(rowLimit.limit);
    if (json) {
      out.println(
          LogsTopCommand.Json.MAPPER.writeValueAsString(
              rows.stream()
                  .map(
                      r ->
                          new Row(
                              r.source().label(),
                              r.target(),
                              r.reason(),
                              r.count(),
                              r.lastSeen().toString()))
                  .toList()));
      return ExitCodes.OK;
    }
    TextTable table =
        new TextTable()
            .number("COUNT")
            .text("LAST_SEEN")
            .text("KIND")
            .text("TARGET")
            .text("REASON");
    for (BlockedSummary.Row r : rows) {
      table.row(r.count(), r.lastSeen(), r.source().label(), r.target(), r.reason());
    }
    table.print(out);
    return ExitCodes.OK;
  }
}
