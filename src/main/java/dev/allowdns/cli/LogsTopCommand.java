package dev.allowdns.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.allowdns.logs.RecordKind;
import dev.allowdns.logs.RecordReader;
import dev.allowdns.logs.TrafficByDestination;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code allowdns logs top}: where the bytes went, by destination. */
@Command(
    name = "top",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Where did the bytes go: connection records summed by domain (the destination address when"
          + " a connection had no name), highest first."
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
  TrafficByDestination.Measure by;

  @Option(names = "--json", description = "Print a JSON array with exact byte counts.")
  boolean json;

  static final class MeasureConverter implements ITypeConverter<TrafficByDestination.Measure> {
    @Override
    public TrafficByDestination.Measure convert(String value) {
      try {
        return TrafficByDestination.Measure.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** One row of the JSON output; {@code domain} is the address when there was no name. */
  record Row(String domain, long connections, long bytesSent, long bytesReceived) {}

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!rowLimit.check("logs top", err)) {
      return ExitCodes.INPUT_ERROR;
    }
    Instant now = Instant.now();
    TrafficByDestination traffic = new TrafficByDestination();
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
    List<TrafficByDestination.Total> top = traffic.top(by, rowLimit.limit);
    if (json) {
      out.println(
          Json.MAPPER.writeValueAsString(
              top.stream()
                  .map(
                      t ->
                          new Row(
                              t.destination(), t.connections(), t.bytesSent(), t.bytesReceived()))
                  .toList()));
      return ExitCodes.OK;
    }
    TextTable table =
        new TextTable()
            .text("DOMAIN")
            .number("CONNECTIONS")
            .number("BYTES_SENT")
            .number("BYTES_RECEIVED");
    for (TrafficByDestination.Total t : top) {
      table.row(
          t.destination(),
          t.connections(),
          ByteCount.human(t.bytesSent()),
          ByteCount.human(t.bytesReceived()));
    }
    table.print(out);
    return ExitCodes.OK;
  }

}
