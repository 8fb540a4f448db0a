package dev.allowdns.testing.netns;

import dev.allowdns.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code allowdns serve} as a real process ({@code java -jar allowdns.jar serve ...}) inside a
 * namespace, with its own zones directory, config file and log directory. {@link #start} returns
 * once the process printed its {@code " ready: "} line, i.e. once every socket is bound.
 */
public final class AllowdnsInNamespace {
  /** The marker {@code serve} prints on stdout once every socket is bound. */
  public static final String READY_MARKER = " ready: ";

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final Namespace namespace;
  private final Path jar;
  private final Path dir;
  private final Path logDir;
  private final ChildProcess process;

  private AllowdnsInNamespace(
      Namespace namespace, Path jar, Path dir, Path logDir, ChildProcess process) {
    this.namespace = namespace;
    this.jar = jar;
    this.dir = dir;
    this.logDir = logDir;
    this.process = process;
  }

  /**
   * Starts {@code allowdns serve} in {@code namespace} with the zone files {@code zones} (file
   * name → text) in {@code dir/zones}, {@code configYaml} as {@code dir/allowdns.yaml}, logs in
   * {@code dir/logs}, and {@code serveArgs} after those.
   */
  public static AllowdnsInNamespace start(
      Namespace namespace,
      Path jar,
      Path dir,
      Map<String, String> zones,
      String configYaml,
      List<String> serveArgs)
      throws IOException, InterruptedException {
    Path zonesDir = Files.createDirectories(dir.resolve("zones"));
    for (Map.Entry<String, String> zone : zones.entrySet()) {
      Files.writeString(zonesDir.resolve(zone.getKey()), zone.getValue(), StandardCharsets.UTF_8);
    }
    Path config = dir.resolve("allowdns.yaml");
    Files.writeString(config, configYaml, StandardCharsets.UTF_8);
    Path logDir = Files.createDirectories(dir.resolve("logs"));
    List<String> command = java(jar);
    command.addAll(
        List.of(
            "serve",
            "--config", config.toString(),
            "--zones", zonesDir.toString(),
            "--log-dir", logDir.toString(),
            "--state-dir", dir.resolve("state").toString()));
    command.addAll(serveArgs);
    ChildProcess process = namespace.start("allowdns", dir, Map.of(), command);
    AllowdnsInNamespace allowdns = new AllowdnsInNamespace(namespace, jar, dir, logDir, process);
    if (process.awaitStdoutLine(line -> line.contains(READY_MARKER), READY_TIMEOUT).isEmpty()) {
      String described = process.describe();
      process.close();
      throw new IllegalStateException(
          "allowdns serve did not print its ready line within " + READY_TIMEOUT + ":\n"
              + String.join(" ", command) + "\n" + described);
    }
    return allowdns;
  }

  /** Runs another allowdns command ({@code iptables apply ...}) in the same namespace. */
  public Output command(Duration timeout, String... args) {
    List<String> command = java(jar);
    command.addAll(List.of(args));
    return namespace.run(timeout, Map.of(), command);
  }

  /** Starts another allowdns command ({@code logs follow ...}) in the same namespace, left running. */
  public ChildProcess startCommand(String label, String... args) {
    List<String> command = java(jar);
    command.addAll(List.of(args));
    return namespace.start(label, dir, Map.of(), command);
  }

  /** Returns the ready line the server printed. */
  public String readyLine() {
    return process.stdoutLines().stream()
        .filter(line -> line.contains(READY_MARKER))
        .findFirst()
        .orElseThrow();
  }

  public Path logDir() {
    return logDir;
  }

  /** Returns the connection log, {@code LOG_DIR/connections.jsonl}. */
  public JsonLinesLog connections() {
    return new JsonLinesLog(logDir.resolve("connections.jsonl"));
  }

  /** Returns the query log, {@code LOG_DIR/queries.jsonl}. */
  public JsonLinesLog queries() {
    return new JsonLinesLog(logDir.resolve("queries.jsonl"));
  }

  /** Returns the server's PID (ip netns exec runs java in its place), e.g. to read its /proc. */
  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Sends {@code signal} (e.g. {@code TERM}) to the server, by its PID. */
  public void signal(String signal) {
    process.signal(signal);
  }

  /** Waits for the server to exit; returns its exit code, or empty on timeout. */
  public Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
    return process.awaitExit(timeout);
  }

  /** Returns everything the server printed so far, for failure messages. */
  public String describe() {
    return process.describe();
  }

  /** Returns the directory the server runs in. */
  public Path dir() {
    return dir;
  }

  private static List<String> java(Path jar) {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    return new ArrayList<>(List.of(java.toString(), "-Xmx256m", "-jar", jar.toString()));
  }
}
