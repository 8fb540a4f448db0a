package dev.allowdns.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.logs.ConnectionEntry;
import dev.allowdns.logs.QueryEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code allowdns logs follow}: every record the running server writes, as it writes it. */
@Command(
    name = "follow",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Print every query and connection record the running server writes, one line each, until"
          + " Ctrl-C or until the server goes away.",
      "Exit 0 when stopped or when the server ended the stream; 2 when it cannot be reached or"
          + " stops answering."
    })
final class LogsFollowCommand implements Callable<Integer> {
  /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper();
  }

  /** The server sends a blank line every second while there is no record. */
  private static final Duration SILENCE_LIMIT = Duration.ofSeconds(10);

  @Spec CommandSpec spec;
  @Mixin AdminOptions adminOptions;

  @Option(names = "--sandbox", paramLabel = "ID", description = "Only records of this sandbox id.")
  String sandbox;

  @Option(names = "--json", description = "Print each record as the JSON line the server wrote.")
  boolean json;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    AdminClient client;
    InputStream stream;
    try {
      client = adminOptions.client();
      stream = client.events();
    } catch (AdminClient.Failure e) {
      err.println("logs follow: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    // On stderr, so that stdout holds only records (--json output stays JSON lines).
    err.println("logs follow: following " + client.address() + " (Ctrl-C to stop)");
    err.flush();
    CompletableFuture<Integer> end = new CompletableFuture<>();
    // Ctrl-C (and a polite kill) is the normal way to stop following: exit 0, not 130.
    Signal.handle(new Signal("INT"), signal -> end.complete(ExitCodes.OK));
    Signal.handle(new Signal("TERM"), signal -> end.complete(ExitCodes.OK));
    AtomicLong lastHeard = new AtomicLong(System.nanoTime());
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null && !end.isDone()) {
                  lastHeard.set(System.nanoTime());
                  if (!line.isBlank()) { // blank lines are heartbeats
                    show(line, out, err);
                  }
                }
              } catch (IOException e) {
                // the server went away mid-stream: the same as an end of stream
              }
              if (!end.isDone()) {
                err.println("logs follow: the server at " + client.address() + " ended the stream");
                err.flush();
                end.complete(ExitCodes.OK);
              }
            },
            "allowdns-follow");
    reader.setDaemon(true);
    reader.start();
    while (true) {
      try {
        return end.get(1, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        long silentNanos = System.nanoTime() - lastHeard.get();
        if (silentNanos > SILENCE_LIMIT.toNanos()) {
          err.println(
              "logs follow: no record or heartbeat from "
                  + client.address()
                  + " for "
                  + SILENCE_LIMIT.toSeconds()
                  + " s: giving up");
          return ExitCodes.INPUT_ERROR;
        }
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  private void show(String line, PrintWriter out, PrintWriter err) {
    JsonNode record;
    try {
      record = Json.MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      record = null;
    }
    if (record == null || !record.isObject()) {
      err.println("logs follow: not a JSON record: " + line);
      err.flush();
      return;
    }
    if (sandbox != null && !sandbox.equals(record.path("sandbox").asText(null))) {
      return;
    }
    out.println(json ? line : describe(record));
    out.flush();
  }

  /**
   * Returns one short line for people: time, sandbox, result, then the name and type of a query or
   * the destination of a connection, and the reason when there is one.
   */
  static String describe(JsonNode record) {
    try {
      if (QueryEntry.isQuery(record)) {
        QueryEntry q = QueryEntry.from(record);
        return String.join(
            " ",
            q.timestamp().toString(),
            orDash(q.sandbox()),
            orDash(q.result()),
            "dns",
            orDash(q.name()),
            orDash(q.type()) + (q.rcode() == null ? "" : " " + q.rcode()) + because(q.reason()));
      }
      ConnectionEntry c = ConnectionEntry.from(record);
      String destination = orDash(c.destination()) + ":" + c.port();
      String traffic =
          " sent "
              + ByteCount.human(c.bytesSent())
              + " received "
              + ByteCount.human(c.bytesReceived());
      return String.join(
          " ",
          c.timestamp().toString(),
          orDash(c.sandbox()),
          orDash(c.result()),
          orDash(c.protocol()),
          destination
              + (c.isUdpFlow() ? " packets " + c.packets() : "")
              + traffic
              + because(c.reason())
              + (c.exe() == null ? "" : " by " + c.exe()));
    } catch (IllegalArgumentException e) {
      return record.toString(); // no usable timestamp: show it as it came
    }
  }

  private static String because(String reason) {
    return reason == null ? "" : " (" + reason + ")";
  }

  private static String orDash(String value) {
    return value == null || value.isEmpty() ? "-" : value;
  }

}
