package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.ByteService;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.SandboxTopology;
import dev.allowdns.testing.netns.TestCertificates;
import dev.allowdns.testing.netns.WebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The world of the relay's per-sandbox limit tests (DESIGN.md, "Limits"), in network namespaces,
 * with two sandboxes on one host: vm-a (policy {@code tight}: 5 connections/s, 6 open, 16 Mbit/s
 * each way) and vm-b (policy {@code roomy}), told apart by their source addresses in the sandbox
 * namespace. vm-a floods and downloads; vm-b's curl and downloads must not notice. Destinations
 * are allowed by an {@code ip:} rule, so no DNS is involved. Each test class that uses it ({@link
 * RelayLimitsIT}, {@link RelayBandwidthIT}) starts its own.
 */
final class LimitsWorld implements AutoCloseable {
  static final int WWW_HOST = 10;
  static final int BYTES_HOST = 13;
  /** The small byte service: 1,000 bytes on every connection. */
  static final int SMALL_PORT = 9000;
  static final int SMALL_SENDS = 1_000;
  /** The bulk byte service: 8 MB on every connection. */
  static final int BULK_PORT = 9100;
  static final int BULK_SENDS = 8_000_000;
  static final int RELAY_PORT = 15001;
  static final int PROXY_PORT = 3129;
  static final int OPEN = 6;
  /** bandwidth_up and _down of vm-a: 16 Mbit/s = 2 MB/s, with 1 s (2 MB) of burst. */
  static final double TIGHT_BYTES_PER_SECOND = 2_000_000;
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(40);
  static final Duration RECORD_WAIT = Duration.ofSeconds(6);

  private Path dir;
  private SandboxTopology topology;
  private AllowdnsInNamespace allowdns;
  private Path client;
  private WebServer web;
  private String vmA;
  private String vmB;

  /** Builds the namespaces, starts the servers and allowdns, and applies its firewall rules. */
  void start() throws Exception {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-limits-");
    topology = SandboxTopology.create();
    topology.addInternetHost(WWW_HOST);
    topology.addInternetHost(BYTES_HOST);
    vmA = topology.sandboxV4();
    vmB = vmA.substring(0, vmA.lastIndexOf('.')) + ".3";
    topology.sandbox().ip("addr", "add", vmB + "/24", "dev", topology.sandboxInterface());

    web = WebServer.start(topology.internet(), Files.createDirectories(dir.resolve("nginx")),
        TestCertificates.create(Files.createDirectories(dir.resolve("tls")), List.of("www.limits.test")));
    String bytes = topology.internetV4(BYTES_HOST);
    ByteService.start(topology.internet(), Files.createDirectories(dir.resolve("small")), SMALL_SENDS,
        List.of(bytes + ":" + SMALL_PORT), List.of());
    ByteService.start(topology.internet(), Files.createDirectories(dir.resolve("bulk")), BULK_SENDS,
        List.of(bytes + ":" + BULK_PORT), List.of());
    client = ByteService.installLimitsClient(dir);

    allowdns =
        AllowdnsInNamespace.start(
            topology.host(), jar, Files.createDirectories(dir.resolve("allowdns")),
            Map.of("lim.zone", "@allow-private\nip:" + topology.internetV4(0) + "/24\n"),
            config(OPEN),
            List.of(
                "--listen", "0.0.0.0:1053",
                "--relay-listen", "0.0.0.0:" + RELAY_PORT,
                "--proxy-listen", topology.hostSandboxSideV4() + ":" + PROXY_PORT,
                // The byte service speaks first: the relay decides a silent client after this.
                "--relay-peek-timeout", "100ms",
                "--upstream", topology.internetV4(2) + ":53"));
    Output apply =
        allowdns.command(Duration.ofSeconds(30), "iptables", "apply",
            "--sandbox-interface", topology.hostSandboxInterface(),
            "--dns-port", "1053", "--relay-port", Integer.toString(RELAY_PORT),
            "--proxy-port", Integer.toString(PROXY_PORT));
    assertTrue(apply.succeeded(), "allowdns iptables apply failed:\n" + apply.describe());
  }

  String config(int open) {
    return config(open, "16Mbit");
  }

  /** The config file: vm-a on {@code tight} (5 connections/s, {@code open} open, 16 Mbit/s down and {@code bandwidthUp} up), vm-b on {@code roomy}. */
  String config(int open, String bandwidthUp) {
    return "sandboxes:\n"
        + "  - {cidr: " + vmA + "/32, id: vm-a, policy: tight}\n"
        + "  - {cidr: " + vmB + "/32, id: vm-b, policy: roomy}\n"
        + "limits: {connections_per_second: 1000, open_connections: 1024}\n"
        + "policies:\n"
        + "  tight: {zones: [lim], limits: {connections_per_second: 5, open_connections: " + open
        + ", bandwidth_up: " + bandwidthUp + ", bandwidth_down: 16Mbit}}\n"
        + "  roomy: {zones: [lim]}\n";
  }


  /** Ends the world: the namespaces with every program in them, then the directory. */
  @Override
  public void close() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }

  SandboxTopology topology() {
    return topology;
  }

  AllowdnsInNamespace allowdns() {
    return allowdns;
  }

  WebServer web() {
    return web;
  }

  String vmA() {
    return vmA;
  }

  String vmB() {
    return vmB;
  }

  /** Writes {@code config} and reloads it by SIGHUP; returns once allowdns says it reloaded. */
  void reload(String config) throws Exception {
    long reloadsBefore = reloads();
    Files.writeString(allowdns.dir().resolve("allowdns.yaml"), config);
    allowdns.signal("HUP");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (reloads() == reloadsBefore && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(reloads() > reloadsBefore, "SIGHUP reloaded:\n" + allowdns.describe());
  }

  long reloads() {
    return allowdns.describe().lines().filter(l -> l.contains("reloaded policies")).count();
  }

  static void assertVmBWasServedThroughout(List<Output> curls) {
    assertTrue(curls.size() >= 3, "vm-b curled during the flood: " + curls.size());
    for (Output out : curls) {
      assertTrue(out.succeeded() && out.stdout().startsWith("hello from"), "vm-b's curl:\n" + out.describe());
    }
  }

  Output curl(String source, String... args) {
    List<String> command = new ArrayList<>(List.of("--interface", source));
    command.addAll(List.of(args));
    return EndToEnd.curl(topology, CLIENT_TIMEOUT, command.toArray(String[]::new));
  }

  String proxyUrl() {
    return "http://" + topology.hostSandboxSideV4() + ":" + PROXY_PORT;
  }

  List<String> clientCommand(String mode, int port, String source, String... args) {
    List<String> command = new ArrayList<>(List.of("python3", client.toString(), mode,
        topology.internetV4(BYTES_HOST), Integer.toString(port), "--bind", source));
    command.addAll(List.of(args));
    return command;
  }

  Output run(String mode, int port, String source, String... args) {
    return topology.sandbox().run(CLIENT_TIMEOUT, Map.of(), clientCommand(mode, port, source, args));
  }

  ChildProcess hold(String source, int count) {
    return topology.sandbox().start("hold", dir, Map.of(),
        clientCommand("hold", SMALL_PORT, source, "--count", Integer.toString(count),
            "--expect", Integer.toString(SMALL_SENDS), "--seconds", "30"));
  }

  ChildProcess transfer(String source, int port, int send) {
    return transfer(source, port, send, 0);
  }

  /** A transfer that connects at once and sends {@code send} bytes {@code waitSeconds} later. */
  ChildProcess transfer(String source, int port, int send, int waitSeconds) {
    return topology.sandbox().start("transfer", dir, Map.of(),
        clientCommand("transfer", port, source, "--send", Integer.toString(send), "--wait", Integer.toString(waitSeconds)));
  }

  JsonNode event(Output output, String event) {
    return output.stdout().lines().filter(l -> l.contains("\"" + event + "\"")).map(ByteService::parse)
        .findFirst().orElseThrow(() -> new AssertionError("no " + event + " event:\n" + output.describe()));
  }

  JsonNode event(ChildProcess process, String event) throws InterruptedException {
    return process.awaitStdoutLine(l -> l.contains("\"" + event + "\""), CLIENT_TIMEOUT).map(ByteService::parse)
        .orElseThrow(() -> new AssertionError("no " + event + " event:\n" + process.describe()));
  }

  boolean isTransfer(JsonNode r, String sandbox, int port) {
    return sandbox.equals(r.path("sandbox").asText()) && r.path("port").asInt() == port
        && "allowed".equals(r.path("result").asText()) && r.path("bytes_received").asLong() >= SMALL_SENDS
        && (port != BULK_PORT || r.path("bytes_received").asLong() > SMALL_SENDS);
  }

  List<JsonNode> records(Predicate<JsonNode> wanted) {
    return allowdns.connections().records().stream().filter(wanted).toList();
  }

  JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  List<JsonNode> awaitSummaries(String sandbox, String reason, int total) throws InterruptedException {
    return awaitSummaries(sandbox, reason, total, "transparent");
  }

  /** Waits until the summaries of {@code reason} on {@code path} count {@code total} refusals. */
  List<JsonNode> awaitSummaries(String sandbox, String reason, int total, String path)
      throws InterruptedException {
    Predicate<JsonNode> wanted = r -> sandbox.equals(r.path("sandbox").asText()) && reason.equals(r.path("reason").asText())
        && path.equals(r.path("path").asText());
    long deadline = System.nanoTime() + RECORD_WAIT.toNanos();
    List<JsonNode> found;
    do {
      Thread.sleep(100);
      found = records(wanted);
    } while (sum(found) < total && System.nanoTime() < deadline);
    for (JsonNode r : found) {
      assertTrue(r.has("count"), "a refusal by a limit is only ever summarised: " + r);
    }
    return found;
  }

  static long sum(List<JsonNode> summaries) {
    return summaries.stream().mapToLong(r -> r.path("count").asLong()).sum();
  }

  static void assertWithinTenPercent(double expected, double actual, String what) {
    assertTrue(Math.abs(actual - expected) <= expected * 0.10,
        what + ": " + actual + " s, expected " + expected + " s ± 10%");
  }

  String limitMetrics() {
    Output scrape = topology.host().run(Duration.ofSeconds(10), "curl", "-sS", "http://127.0.0.1:9153/metrics");
    return "\n" + String.join("\n", scrape.stdout().lines().filter(l -> l.startsWith("allowdns_limit")).toList());
  }

  double metric(String name) {
    Output scrape = topology.host().run(Duration.ofSeconds(10), "curl", "-sS", "http://127.0.0.1:9153/metrics");
    assertTrue(scrape.succeeded(), scrape.describe());
    Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.eE+-]+)$").matcher(scrape.stdout());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
