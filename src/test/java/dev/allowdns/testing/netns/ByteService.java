package dev.allowdns.testing.netns;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.ChildProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The byte service ({@code /e2e/byte_server.py}) inside a namespace: on every TCP connection it
 * sends exactly a known number of bytes and counts what it receives until EOF; it counts UDP
 * datagrams too. Its JSON-line events tell the test exactly what crossed the wire on the server's
 * side. {@link #installClient(Path)} provides the matching client ({@code /e2e/byte_client.py}).
 */
public final class ByteService {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final ChildProcess server;

  private ByteService(ChildProcess server) {
    this.server = server;
  }

  /**
   * Starts the service in {@code namespace}: it sends {@code sendBytes} on each connection to any
   * of {@code tcp} and counts datagrams to any of {@code udp} (addresses {@code HOST:PORT}, IPv6
   * as {@code [ADDR]:PORT}).
   */
  public static ByteService start(
      Namespace namespace, Path dir, int sendBytes, List<String> tcp, List<String> udp)
      throws InterruptedException {
    Path script = install(dir, "byte_server.py");
    List<String> command =
        new ArrayList<>(List.of("python3", script.toString(), "--send", Integer.toString(sendBytes)));
    tcp.forEach(address -> command.addAll(List.of("--tcp", address)));
    udp.forEach(address -> command.addAll(List.of("--udp", address)));
    ChildProcess server = namespace.start("byte-server", dir, Map.of(), command);
    if (server.awaitStdoutLine(line -> line.contains("\"ready\""), START_TIMEOUT).isEmpty()) {
      throw new IllegalStateException("byte service did not start:\n" + server.describe());
    }
    return new ByteService(server);
  }

  /** Copies the client script into {@code dir} and returns its path. */
  public static Path installClient(Path dir) {
    return install(dir, "byte_client.py");
  }

  /** Copies the UDP/TCP attempt client ({@code udp_client.py}) into {@code dir}; returns its path. */
  public static Path installUdpClient(Path dir) {
    return install(dir, "udp_client.py");
  }

  /** Copies the relay-limits clients ({@code limits_client.py}) into {@code dir}; returns its path. */
  public static Path installLimitsClient(Path dir) {
    return install(dir, "limits_client.py");
  }

  /** Copies the many-connections client ({@code descriptors_client.py}) into {@code dir}; returns its path. */
  public static Path installDescriptorsClient(Path dir) {
    return install(dir, "descriptors_client.py");
  }

  /** Returns every event the server printed so far. */
  public List<JsonNode> events() {
    return server.stdoutLines().stream().map(ByteService::parse).toList();
  }

  /** Returns the events of type {@code event} on {@code port}. */
  public List<JsonNode> events(String event, int port) {
    return events().stream()
        .filter(e -> e.path("event").asText().equals(event) && e.path("port").asInt() == port)
        .toList();
  }

  /** Waits until the events so far satisfy {@code condition}; returns whether they did. */
  public boolean await(Predicate<ByteService> condition, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(this)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  /** Returns everything the server printed, for failure messages. */
  public String describe() {
    return server.describe();
  }

  /** Parses one JSON line printed by the byte scripts. */
  public static JsonNode parse(String line) {
    try {
      return JSON.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException("not a JSON line: " + line, e);
    }
  }

  private static Path install(Path dir, String name) {
    Path target = dir.resolve(name);
    try (InputStream in = ByteService.class.getResourceAsStream("/e2e/" + name)) {
      if (in == null) {
        throw new IllegalStateException("/e2e/" + name + " is not on the test classpath");
      }
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot install " + name, e);
    }
    return target;
  }
}
