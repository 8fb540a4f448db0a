package dev.allowdns.cli;

import dev.allowdns.logs.BlockedSummary;
import dev.allowdns.logs.RecordFilter;
import dev.allowdns.logs.RecordReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
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
  record Row(
      String kind, String target, String reason, long count, String lastSeen, String protocol,
      long packets, String exe, String path) {}

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
                              r.lastSeen().toString(),
                              r.protocol(),
                              r.packets(),
                              r.exe(),
                              r.path()))
                  .toList()));
      return ExitCodes.OK;
    }
    // Columns that only some records fill appear only when one of the rows has them.
    boolean udp = rows.stream().anyMatch(r -> r.protocol() != null);
    boolean exe = rows.stream().anyMatch(r -> r.exe() != null);
    boolean path = rows.stream().anyMatch(r -> r.path() != null);
    TextTable table = new TextTable().number("COUNT").text("LAST_SEEN").text("KIND");
    if (udp) {
      table.text("PROTOCOL").number("PACKETS");
    }
    table.text("TARGET").text("REASON");
    if (path) {
      table.text("PATH");
    }
    if (exe) {
      table.text("EXE");
    }
    for (BlockedSummary.Row r : rows) {
      List<Object> cells = new ArrayList<>(List.of(r.count(), r.lastSeen(), r.source().label()));
      if (udp) {
        cells.add(dash(r.protocol()));
        cells.add(r.packets());
      }
      cells.add(r.target());
      cells.add(r.reason());
      if (path) {
        cells.add(dash(r.path()));
      }
      if (exe) {
        cells.add(dash(r.exe()));
      }
      table.row(cells.toArray());
    }
    table.print(out);
    if (rows.stream().anyMatch(r -> "quic".equals(r.protocol()))) {
      out.println(
          "quic: HTTP/3 is never relayed; to an allowed name, HTTPS over TCP works (clients fall"
              + " back to it, or disable HTTP/3).");
    }
    return ExitCodes.OK;
  }

  private static String dash(String value) {
    return value == null ? "-" : value;
  }
}
