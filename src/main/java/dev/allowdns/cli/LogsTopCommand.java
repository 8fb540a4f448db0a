package dev.allowdns.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.allowdns.logs.RecordKind;
import dev.allowdns.logs.RecordReader;
import dev.allowdns.logs.TrafficByGroup;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code allowdns logs top}: where the bytes went, by destination, or who sent them. */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Where did the bytes go: connection records summed by domain (the destination address when"
          + " a connection had no name), highest first; or, with --group-by, which sandbox, task,"
          + " user or rule generates the traffic."
    })
final class LogsTopCommand implements Callable<Integer> {
  /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
  static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);
  }

  @Spec CommandSpec spec;
  @Mixin LogReadOptions logOptions;
  @Mixin RowLimit rowLimit;

  @Option(
      names = "--by",
      paramLabel = "MEASURE",
      defaultValue = "bytes_received",
      converter = MeasureConverter.class,
      description = "bytes_received, bytes_sent or connections (default: ${DEFAULT-VALUE}).")
  TrafficByGroup.Measure by;

  @Option(
      names = "--group-by",
      paramLabel = "GROUP",
      defaultValue = "domain",
      converter = GroupingConverter.class,
      description = "domain, sandbox, task, user, rule or path (default: ${DEFAULT-VALUE}).")
  TrafficByGroup.Grouping groupBy;

  @Option(names = "--json", description = "Print a JSON array with exact byte counts.")
  boolean json;

  static final class MeasureConverter extends ParsedValue<TrafficByGroup.Measure> {
    MeasureConverter() {
      super(TrafficByGroup.Measure::parse);
    }
  }

  static final class GroupingConverter extends ParsedValue<TrafficByGroup.Grouping> {
    GroupingConverter() {
      super(TrafficByGroup.Grouping::parse);
    }
  }

  /**
   * Returns one row of the JSON output, the group under its record field's name ({@code domain}
   * holds the address when there was no name).
   */
  private Map<String, Object> row(TrafficByGroup.Total t) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put(groupBy.field(), t.group());
    row.put("connections", t.connections());
    row.put("bytes_sent", t.bytesSent());
    row.put("bytes_received", t.bytesReceived());
    return row;
  }

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!rowLimit.check("logs top", err)) {
      return ExitCodes.INPUT_ERROR;
    }
    Instant now = Instant.now();
    TrafficByGroup traffic = new TrafficByGroup(groupBy);
    try {
      RecordReader reader = logOptions.open(err);
      if (reader.files(RecordKind.CONNECTIONS, null).isEmpty()) {
        err.println(
            "logs top: no connection records in "
                + reader.dir()
                + " (the relay writes them: serve --relay-listen)");
      }
      reader.forEachConnection(logOptions.filter(now), traffic::add);
    } catch (IOException e) {
      err.println("logs top: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    List<TrafficByGroup.Total> top = traffic.top(by, rowLimit.limit);
    if (json) {
      out.println(Json.MAPPER.writeValueAsString(top.stream().map(this::row).toList()));
      return ExitCodes.OK;
    }
    TextTable table =
        new TextTable()
            .text(groupBy.field().toUpperCase(Locale.ROOT))
            .number("CONNECTIONS")
            .number("BYTES_SENT")
            .number("BYTES_RECEIVED");
    for (TrafficByGroup.Total t : top) {
      table.row(
          t.group(),
          t.connections(),
          ByteCount.human(t.bytesSent()),
          ByteCount.human(t.bytesReceived()));
    }
    table.print(out);
    return ExitCodes.OK;
  }

}
