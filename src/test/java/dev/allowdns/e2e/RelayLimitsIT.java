package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.ByteService;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The relay's per-sandbox limits end to end (DESIGN.md, "Limits"), in network namespaces, with
 * two sandboxes on one host: vm-a (policy {@code tight}: 5 connections/s, 6 open, 16 Mbit/s each
 * way) and vm-b (policy {@code roomy}), told apart by their source addresses in the sandbox
 * namespace. vm-a floods and downloads; vm-b's curl and downloads must not notice. Every refusal
 * is checked from both ends: what the client saw (a reset, a {@code 429}) and the summarised
 * records ({@code count} per sandbox, limit and second). Destinations are allowed by an {@code
 * ip:} rule, so no DNS is involved.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "nginx", "curl", "python3", "openssl"},
    packages = {"iproute2", "iptables", "nginx", "curl", "python3", "openssl"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayLimitsIT {
  private static final int WWW_HOST = 10;
  private static final int BYTES_HOST = 13;
  /** The small byte service: 1,000 bytes on every connection. */
  private static final int SMALL_PORT = 9000;
  private static final int SMALL_SENDS = 1_000;
  /** The bulk byte service: 8 MB on every connection. */
  private static final int BULK_PORT = 9100;
  private static final int BULK_SENDS = 8_000_000;
  private static final int RELAY_PORT = 15001;
  private static final int PROXY_PORT = 3129;
  private static final int OPEN = 6;
  /** bandwidth_up and _down of vm-a: 16 Mbit/s = 2 MB/s, with 1 s (2 MB) of burst. */
  private static final double TIGHT_BYTES_PER_SECOND = 2_000_000;
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(40);
  private static final Duration RECORD_WAIT = Duration.ofSeconds(6);

  private static Path dir;
  private static SandboxTopology topology;
  private static AllowdnsInNamespace allowdns;
  private static Path client;
  private static String vmA;
  private static String vmB;

  @BeforeAll
  static void start() throws Exception {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-limits-");
    topology = SandboxTopology.create();
    topology.addInternetHost(WWW_HOST);
    topology.addInternetHost(BYTES_HOST);
    vmA = topology.sandboxV4();
    vmB = vmA.substring(0, vmA.lastIndexOf('.')) + ".3";
    topology.sandbox().ip("addr", "add", vmB + "/24", "dev", topology.sandboxInterface());

    WebServer.start(topology.internet(), Files.createDirectories(dir.resolve("nginx")),
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

  private static String config(int open) {
    return config(open, "16Mbit");
  }

  private static String config(int open, String bandwidthUp) {
    return "sandboxes:\n"
        + "  - {cidr: " + vmA + "/32, id: vm-a, policy: tight}\n"
        + "  - {cidr: " + vmB + "/32, id: vm-b, policy: roomy}\n"
        + "limits: {connections_per_second: 1000, open_connections: 1024}\n"
        + "policies:\n"
        + "  tight: {zones: [lim], limits: {connections_per_second: 5, open_connections: " + open
        + ", bandwidth_up: " + bandwidthUp + ", bandwidth_down: 16Mbit}}\n"
        + "  roomy: {zones: [lim]}\n";
  }

  @AfterAll
  static void tearDown() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }

  @Test
  @Order(1)
  void connectLoop_pastConnectionsPerSecond_isReset_inBoundedSummaries_whileVmBCurls() throws Exception {
    List<Output> vmBCurls;
    JsonNode done;
    try (CurlLoop vmBLoop = new CurlLoop(() -> curl(vmB, "http://" + topology.internetV4(WWW_HOST) + "/"))) {
      done = event(run("connect", SMALL_PORT, vmA, "--count", "150", "--interval", "0.01"), "done");
      vmBCurls = vmBLoop.stop();
    }
    int admitted = done.path("admitted").asInt();
    int reset = done.path("reset").asInt();
    assertEquals(0, done.path("other").size(), done.toString());
    assertEquals(150, admitted + reset, done.toString());
    // 10 at once (2 s of burst), then 5 a second for as long as the loop ran.
    double seconds = done.path("seconds").asDouble();
    assertTrue(admitted >= 10 && admitted <= 10 + 5 * seconds + 2, "admitted " + done);
    assertVmBWasServedThroughout(vmBCurls);

    List<JsonNode> summaries = awaitSummaries("vm-a", "rate_limited", reset);
    assertEquals(reset, sum(summaries), "every reset is counted once: " + summaries);
    assertTrue(summaries.size() <= 10, "one record per second, not per connection: " + summaries.size());
    assertEquals(summaries.size(), summaries.stream().map(r -> r.path("timestamp").asText()).distinct().count(),
        "one record per second: " + summaries);
    for (JsonNode r : summaries) {
      assertEquals("connections_per_second", r.path("limit").asText(), r.toString());
      assertEquals("blocked", r.path("result").asText(), r.toString());
      assertEquals("transparent", r.path("path").asText(), r.toString());
      assertEquals(vmA, r.path("client_ip").asText(), r.toString());
    }
    Predicate<JsonNode> admittedRecord = r -> "vm-a".equals(r.path("sandbox").asText())
        && r.path("port").asInt() == SMALL_PORT && "allowed".equals(r.path("result").asText());
    assertEquals(admitted, allowdns.connections().awaitCount(admittedRecord, admitted, RECORD_WAIT).size(),
        "each admitted connection has its own record");
    assertTrue(metric("allowdns_limit_hits_total\\{limit=\"connections_per_second\",policy=\"tight\"\\}") >= reset);
  }

  @Test
  @Order(2)
  void heldOpen_pastOpenConnections_areReset_the429OnTheProxy_andPermitsComeBack() throws Exception {
    Thread.sleep(2_500); // vm-a's connections_per_second bucket fills again
    ChildProcess holder = hold(vmA, OPEN + 3);
    try {
      JsonNode holding = event(holder, "holding");
      assertEquals(OPEN, holding.path("admitted").asInt(), holding.toString());
      assertEquals(3, holding.path("reset").asInt(), holding.toString());
      assertEquals(3, sum(awaitSummaries("vm-a", "too_many_open", 3)));

      // The explicit proxy shares the budget: vm-a's seventh connection gets a 429 there.
      Output proxied = curl(vmA, "-x", proxyUrl(), "-i", "http://" + topology.internetV4(WWW_HOST) + "/");
      assertTrue(proxied.stdout().startsWith("HTTP/1.1 429"), proxied.describe());
      assertTrue(proxied.stdout().contains("X-Allowdns-Reason: too_many_open"), proxied.describe());
      assertTrue(proxied.stdout().contains("allowdns: sandbox vm-a is over open_connections 6"), proxied.describe());
      Output vmBProxied = curl(vmB, "-x", proxyUrl(), "http://" + topology.internetV4(WWW_HOST) + "/");
      assertTrue(vmBProxied.succeeded() && vmBProxied.stdout().startsWith("hello from"), vmBProxied.describe());
      assertTrue(curl(vmB, "http://" + topology.internetV4(WWW_HOST) + "/").succeeded(), "vm-b, transparent");
    } finally {
      holder.close();
    }
    // Each closed connection gave its permit back once: exactly OPEN fit again, not one more.
    Thread.sleep(2_500);
    ChildProcess again = hold(vmA, OPEN + 1);
    try {
      JsonNode holding = event(again, "holding");
      assertEquals(OPEN, holding.path("admitted").asInt(), holding.toString());
      assertEquals(1, holding.path("reset").asInt(), holding.toString());
    } finally {
      again.close();
    }
  }

  @Test
  @Order(3)
  void proxyRequests_pastConnectionsPerSecond_get429RateLimited() throws Exception {
    Thread.sleep(2_500);
    // Four rounds of five at once: never more than open_connections (6) open.
    Output loop =
        topology.sandbox().run(CLIENT_TIMEOUT, "sh", "-c",
            "for round in 1 2 3 4; do for i in 1 2 3 4 5; do curl -s -o /dev/null -w '%{http_code}\\n' -m 5"
                + " --interface " + vmA + " -x " + proxyUrl() + " http://" + topology.internetV4(WWW_HOST) + "/ & done;"
                + " wait; done");
    List<String> codes = loop.stdout().lines().toList();
    long ok = codes.stream().filter("200"::equals).count();
    long tooMany = codes.stream().filter("429"::equals).count();
    assertEquals(20, ok + tooMany, loop.describe());
    assertTrue(ok >= 10 && tooMany >= 5, "10 at once, then 5 a second: " + codes);
    List<JsonNode> summaries = awaitSummaries("vm-a", "rate_limited", (int) tooMany, "proxy");
    assertEquals(tooMany, sum(summaries), summaries.toString());
  }

  @Test
  @Order(4)
  void download_isShapedToBandwidthDown_exactBytesRecorded_andVmBIsNotSlowed() throws Exception {
    double shapedBefore = metric("allowdns_limit_shaped_seconds_total\\{direction=\"down\",policy=\"tight\"\\}");
    ChildProcess a = transfer(vmA, BULK_PORT, 0);
    Thread.sleep(300); // vm-a's download is under way, shaped
    JsonNode b = event(transfer(vmB, BULK_PORT, 0), "done");
    JsonNode aDone = event(a, "done");
    assertEquals(BULK_SENDS, aDone.path("received").asInt(), aDone.toString());
    assertEquals(BULK_SENDS, b.path("received").asInt(), b.toString());
    // The first second's worth is the bucket's burst; the rest comes at the rate.
    double expected = (BULK_SENDS - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    assertWithinTenPercent(expected, aDone.path("seconds").asDouble(), "vm-a's shaped download " + aDone + limitMetrics());
    assertTrue(b.path("seconds").asDouble() < expected / 2, "vm-b not slowed by vm-a's shaping: " + b);

    JsonNode aRecord = awaitRecord(r -> isTransfer(r, "vm-a", BULK_PORT));
    assertEquals(BULK_SENDS, aRecord.path("bytes_received").asLong(), aRecord.toString());
    assertEquals(0, aRecord.path("bytes_sent").asLong(), aRecord.toString());
    JsonNode bRecord = awaitRecord(r -> isTransfer(r, "vm-b", BULK_PORT));
    assertEquals(BULK_SENDS, bRecord.path("bytes_received").asLong(), bRecord.toString());
    double shaped = metric("allowdns_limit_shaped_seconds_total\\{direction=\"down\",policy=\"tight\"\\}") - shapedBefore;
    assertWithinTenPercent(expected, shaped, "shaped seconds counted");
  }

  @Test
  @Order(5)
  void upload_isShapedToBandwidthUp_withExactBytesRecorded() throws Exception {
    JsonNode done = event(transfer(vmA, SMALL_PORT, BULK_SENDS), "done");
    assertEquals(BULK_SENDS, done.path("sent").asInt(), done.toString());
    assertEquals(SMALL_SENDS, done.path("received").asInt(), done.toString());
    double expected = (BULK_SENDS - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    assertWithinTenPercent(expected, done.path("seconds").asDouble(), "vm-a's shaped upload " + done + limitMetrics());
    JsonNode record = awaitRecord(r -> isTransfer(r, "vm-a", SMALL_PORT) && r.path("bytes_sent").asLong() > 0);
    assertEquals(BULK_SENDS, record.path("bytes_sent").asLong(), record.toString());
    assertEquals(SMALL_SENDS, record.path("bytes_received").asLong(), record.toString());
  }

  @Test
  @Order(6)
  void reload_changesOpenConnections_onTheFly() throws Exception {
    reload(config(2));
    Thread.sleep(2_500);
    ChildProcess holder = hold(vmA, 4);
    try {
      JsonNode holding = event(holder, "holding");
      assertEquals(2, holding.path("admitted").asInt(), "the reloaded limit:\n" + allowdns.describe());
      assertEquals(2, holding.path("reset").asInt(), holding.toString());
    } finally {
      holder.close();
    }
  }

  @Test
  @Order(7)
  void reload_thatSetsABandwidth_shapesAConnectionAlreadyOpen() throws Exception {
    reload(config(2, "0"));
    ChildProcess upload = transfer(vmA, SMALL_PORT, BULK_SENDS, 3); // opened unlimited, sends at 3 s
    Thread.sleep(1_000);
    reload(config(2, "16Mbit"));
    JsonNode done = event(upload, "done");
    assertEquals(BULK_SENDS, done.path("sent").asInt(), done.toString());
    double expected = (BULK_SENDS - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    assertWithinTenPercent(expected, done.path("seconds").asDouble(), "the open connection's upload " + done + limitMetrics());
    // The upload of order 5 has the same shape: this one is the connection that lasted the wait.
    JsonNode record = awaitRecord(r -> isTransfer(r, "vm-a", SMALL_PORT) && r.path("bytes_sent").asLong() == BULK_SENDS
        && r.path("duration_ms").asLong() >= 3_000);
    assertEquals(SMALL_SENDS, record.path("bytes_received").asLong(), record.toString());
  }

  // ---------------------------------------------------------------- helpers

  /** Writes {@code config} and reloads it by SIGHUP; returns once allowdns says it reloaded. */
  private static void reload(String config) throws Exception {
    long reloadsBefore = reloads();
    Files.writeString(allowdns.dir().resolve("allowdns.yaml"), config);
    allowdns.signal("HUP");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (reloads() == reloadsBefore && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertTrue(reloads() > reloadsBefore, "SIGHUP reloaded:\n" + allowdns.describe());
  }

  private static long reloads() {
    return allowdns.describe().lines().filter(l -> l.contains("reloaded policies")).count();
  }

  private static void assertVmBWasServedThroughout(List<Output> curls) {
    assertTrue(curls.size() >= 3, "vm-b curled during the flood: " + curls.size());
    for (Output out : curls) {
      assertTrue(out.succeeded() && out.stdout().startsWith("hello from"), "vm-b's curl:\n" + out.describe());
    }
  }

  private static Output curl(String source, String... args) {
    List<String> command = new ArrayList<>(List.of("--interface", source));
    command.addAll(List.of(args));
    return EndToEnd.curl(topology, CLIENT_TIMEOUT, command.toArray(String[]::new));
  }

  private static String proxyUrl() {
    return "http://" + topology.hostSandboxSideV4() + ":" + PROXY_PORT;
  }

  private static List<String> clientCommand(String mode, int port, String source, String... args) {
    List<String> command = new ArrayList<>(List.of("python3", client.toString(), mode,
        topology.internetV4(BYTES_HOST), Integer.toString(port), "--bind", source));
    command.addAll(List.of(args));
    return command;
  }

  private static Output run(String mode, int port, String source, String... args) {
    return topology.sandbox().run(CLIENT_TIMEOUT, Map.of(), clientCommand(mode, port, source, args));
  }

  private static ChildProcess hold(String source, int count) {
    return topology.sandbox().start("hold", dir, Map.of(),
        clientCommand("hold", SMALL_PORT, source, "--count", Integer.toString(count),
            "--expect", Integer.toString(SMALL_SENDS), "--seconds", "30"));
  }

  private static ChildProcess transfer(String source, int port, int send) {
    return transfer(source, port, send, 0);
  }

  /** A transfer that connects at once and sends {@code send} bytes {@code waitSeconds} later. */
  private static ChildProcess transfer(String source, int port, int send, int waitSeconds) {
    return topology.sandbox().start("transfer", dir, Map.of(),
        clientCommand("transfer", port, source, "--send", Integer.toString(send), "--wait", Integer.toString(waitSeconds)));
  }

  private static JsonNode event(Output output, String event) {
    return output.stdout().lines().filter(l -> l.contains("\"" + event + "\"")).map(ByteService::parse)
        .findFirst().orElseThrow(() -> new AssertionError("no " + event + " event:\n" + output.describe()));
  }

  private static JsonNode event(ChildProcess process, String event) throws InterruptedException {
    return process.awaitStdoutLine(l -> l.contains("\"" + event + "\""), CLIENT_TIMEOUT).map(ByteService::parse)
        .orElseThrow(() -> new AssertionError("no " + event + " event:\n" + process.describe()));
  }

  private static boolean isTransfer(JsonNode r, String sandbox, int port) {
    return sandbox.equals(r.path("sandbox").asText()) && r.path("port").asInt() == port
        && "allowed".equals(r.path("result").asText()) && r.path("bytes_received").asLong() >= SMALL_SENDS
        && (port != BULK_PORT || r.path("bytes_received").asLong() > SMALL_SENDS);
  }

  private static List<JsonNode> records(Predicate<JsonNode> wanted) {
    return allowdns.connections().records().stream().filter(wanted).toList();
  }

  private static JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  private static List<JsonNode> awaitSummaries(String sandbox, String reason, int total) throws InterruptedException {
    return awaitSummaries(sandbox, reason, total, "transparent");
  }

  /** Waits until the summaries of {@code reason} on {@code path} count {@code total} refusals. */
  private static List<JsonNode> awaitSummaries(String sandbox, String reason, int total, String path)
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

  private static long sum(List<JsonNode> summaries) {
    return summaries.stream().mapToLong(r -> r.path("count").asLong()).sum();
  }

  private static void assertWithinTenPercent(double expected, double actual, String what) {
    assertTrue(Math.abs(actual - expected) <= expected * 0.10,
        what + ": " + actual + " s, expected " + expected + " s ± 10%");
  }

  private static String limitMetrics() {
    Output scrape = topology.host().run(Duration.ofSeconds(10), "curl", "-sS", "http://127.0.0.1:9153/metrics");
    return "\n" + String.join("\n", scrape.stdout().lines().filter(l -> l.startsWith("allowdns_limit")).toList());
  }

  private static double metric(String name) {
    Output scrape = topology.host().run(Duration.ofSeconds(10), "curl", "-sS", "http://127.0.0.1:9153/metrics");
    assertTrue(scrape.succeeded(), scrape.describe());
    Matcher m = Pattern.compile("(?m)^" + name + " ([0-9.eE+-]+)$").matcher(scrape.stdout());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
