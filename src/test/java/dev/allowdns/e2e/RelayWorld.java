package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.AuthoritativeDns;
import dev.allowdns.testing.netns.ByteService;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.SandboxTopology;
import dev.allowdns.testing.netns.TestCertificates;
import dev.allowdns.testing.netns.WebServer;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The world of the relay end to end: network namespaces, with real clients in a sandbox:
 *
 * <pre>
 *  sandbox (curl, node, dig, python)  ──  host (allowdns serve + iptables apply)  ──  internet
 *                                                                   (knotd, nginx, byte service)
 * </pre>
 *
 * The sandbox's resolv.conf names the host; allowdns's firewall rules send its DNS to the
 * resolver and every TCP connection to the relay. Every verdict is checked from both ends: what
 * the client saw, and the connection record allowdns wrote (and, where it matters, what the
 * server in the internet namespace saw).
 *
 * <p>Addresses never named by DNS ({@link #UNNAMED}, {@link #UNNAMED_FOR_NODE}) are used for the
 * IP-literal cases: a destination that an allowed answer produced earlier in the same test class
 * is in the ledger, and an IP-literal Host naming it passes by design.
 *
 * <p>Each test class that uses it ({@link RelayEndToEndIT}, {@link RelayEndingsIT}) starts its
 * own world in {@code @BeforeAll} and closes it in {@code @AfterAll}: no state passes between
 * classes, so a test relies only on what its own class did before it.
 */
final class RelayWorld implements AutoCloseable {
  static final String ZONE = "e2e.test";
  static final String WWW = "www.e2e.test";
  static final String API = "api.e2e.test";
  static final String BLOCKED = "blocked.e2e.test";
  static final String BYTES = "bytes.e2e.test";
  static final String NODE = "node.e2e.test";

  /** Last numbers of the internet namespace's service addresses (10.201.X.N, fd00:201::N). */
  static final int WWW_HOST = 10;
  static final int API_HOST = 11;
  private static final int BLOCKED_HOST = 12;
  static final int BYTES_HOST = 13;
  static final int NODE_HOST = 14;
  static final int UNNAMED = 20;
  static final int UNNAMED_FOR_NODE = 21;

  static final int BYTES_PORT = 9000;
  static final int HOLD_PORT = 9001;
  /** A port of the byte service's address where the internet namespace drops every SYN. */
  static final int SILENT_PORT = 9002;
  /** A port of the byte service for connections left idle until the relay closes them. */
  static final int IDLE_PORT = 9003;
  /** A port of the byte service's address where nothing listens: the kernel answers a reset. */
  static final int CLOSED_PORT = 9004;
  static final Duration RELAY_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Longer than the SIGTERM case holds its connections idle before it signals. */
  static final Duration RELAY_IDLE_TIMEOUT = Duration.ofSeconds(5);
  static final int UDP_PORT = 9999;
  /** What the byte service sends on every connection, and what the byte client sends. */
  static final int SERVER_SENDS = 123_456;
  static final int CLIENT_SENDS = 54_321;

  private static final int DNS_PORT = 1053;
  private static final int RELAY_PORT = 15001;
  private static final String SANDBOX_ID = "vm-e2e";
  private static final String TASK_ID = "task_e2e";
  private static final String USER = "e2e@example.com";
  static final String RULE = "default:e2e";

  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);
  /** Records are written asynchronously, when a connection closes. */
  static final Duration RECORD_WAIT = Duration.ofSeconds(5);

  private Path dir;
  private SandboxTopology topology;
  private WebServer web;
  private ByteService byteService;
  private TestCertificates certificates;
  private Path byteClient;
  private AllowdnsInNamespace allowdns;
  private int udpDatagramsBeforeFirewall;

  /** Builds the topology, starts every server and allowdns, and applies allowdns's rules. */
  void start() throws Exception {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-e2e-");
    topology = SandboxTopology.create();
    for (int host :
        List.of(WWW_HOST, API_HOST, BLOCKED_HOST, BYTES_HOST, NODE_HOST, UNNAMED, UNNAMED_FOR_NODE)) {
      topology.addInternetHost(host);
    }

    AuthoritativeDns.start(
        topology.internet(),
        Files.createDirectories(dir.resolve("knotd")),
        List.of(topology.internetV4(2), topology.internetV6(2)),
        ZONE,
        upstreamZone());
    certificates =
        TestCertificates.create(
            Files.createDirectories(dir.resolve("tls")), List.of(WWW, API, BLOCKED, NODE));
    web =
        WebServer.start(topology.internet(), Files.createDirectories(dir.resolve("nginx")), certificates);
    byteService =
        ByteService.start(
            topology.internet(),
            Files.createDirectories(dir.resolve("bytes")),
            SERVER_SENDS,
            List.of(
                topology.internetV4(BYTES_HOST) + ":" + BYTES_PORT,
                topology.internetV4(BYTES_HOST) + ":" + HOLD_PORT,
                topology.internetV4(BYTES_HOST) + ":" + IDLE_PORT),
            List.of(
                topology.internetV4(BYTES_HOST) + ":" + UDP_PORT,
                "[" + topology.internetV6(BYTES_HOST) + "]:" + UDP_PORT));
    byteClient = ByteService.installClient(dir);

    checkTopologyForwardsWithoutFirewall();

    allowdns =
        AllowdnsInNamespace.start(
            topology.host(),
            jar,
            Files.createDirectories(dir.resolve("allowdns")),
            Map.of("e2e.zone", allowdnsZone()),
            sandboxConfig(),
            List.of(
                "--listen", "[::]:" + DNS_PORT,
                "--relay-listen", "[::]:" + RELAY_PORT,
                // Long enough for the shutdown path to run, short enough for a quick test class.
                "--shutdown-grace", "2s",
                "--relay-connect-timeout", RELAY_CONNECT_TIMEOUT.toSeconds() + "s",
                "--relay-idle-timeout", RELAY_IDLE_TIMEOUT.toSeconds() + "s",
                "--upstream", topology.internetV4(2) + ":53"));
    Output apply =
        allowdns.command(
            Duration.ofSeconds(30),
            "iptables", "apply",
            "--sandbox-interface", topology.hostSandboxInterface(),
            "--dns-port", Integer.toString(DNS_PORT),
            "--relay-port", Integer.toString(RELAY_PORT));
    assertTrue(apply.succeeded(), "allowdns iptables apply failed:\n" + apply.describe());
  }

  /**
   * Proves the blocking assertions can fail: before allowdns's rules, the host forwards the
   * sandbox's UDP and TCP straight to the internet namespace.
   */
  private void checkTopologyForwardsWithoutFirewall() throws InterruptedException {
    Output udp =
        sandbox("python3", byteClient.toString(), "udp", topology.internetV4(BYTES_HOST),
            Integer.toString(UDP_PORT), "--count", "1");
    Output udp6 =
        sandbox("python3", byteClient.toString(), "udp", topology.internetV6(BYTES_HOST),
            Integer.toString(UDP_PORT), "--count", "1");
    assertTrue(udp.succeeded() && udp6.succeeded(), udp.describe() + "\n" + udp6.describe());
    assertTrue(
        byteService.await(s -> s.events("udp", UDP_PORT).size() == 2, Duration.ofSeconds(5)),
        "control: without firewall rules the sandbox's datagrams should arrive\n"
            + byteService.describe());
    udpDatagramsBeforeFirewall = byteService.events("udp", UDP_PORT).size();
    Output direct = curl("http://" + topology.internetV4(UNNAMED) + "/");
    assertTrue(
        direct.succeeded(),
        "control: without firewall rules the sandbox reaches nginx directly\n" + direct.describe());
  }

  /** Ends the world: the namespaces with every program in them, then the directory. */
  @Override
  public void close() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }

  SandboxTopology topology() {
    return topology;
  }

  WebServer web() {
    return web;
  }

  ByteService byteService() {
    return byteService;
  }

  Path byteClient() {
    return byteClient;
  }

  AllowdnsInNamespace allowdns() {
    return allowdns;
  }

  Path dir() {
    return dir;
  }

  /** The datagrams the byte service counted in the control, before allowdns's rules. */
  int udpDatagramsBeforeFirewall() {
    return udpDatagramsBeforeFirewall;
  }

  /**
   * Asserts curl was cut off by the relay: the connection reset or closed without a reply (exit
   * 7 when the reset beat curl's own view of the connect, 35 TLS handshake failed, 52 empty
   * reply, 56 receive failure), not left to time out (28). The record shows it was the relay.
   */
  static void assertRefusedAtOnce(Output curl) {
    assertTrue(
        List.of(7, 35, 52, 56).contains(curl.exitCode()),
        "expected a reset or empty reply\n" + curl.describe());
    assertFalse(curl.stdout().contains("hello from"), curl.describe());
  }

  // --- assertions on records ---

  static void assertAllowedRecord(
      JsonNode record, String domain, int port, String protocol, String clientIp, String dstIp) {
    String text = record.toString();
    assertEquals("allowed", record.path("result").asText(), text);
    assertTrue(record.has("reason") && record.get("reason").isNull(), "reason is null: " + text);
    assertEquals(domain, record.path("domain").asText(), text);
    assertEquals(port, record.path("port").asInt(), text);
    assertEquals(protocol, record.path("protocol").asText(), text);
    assertEquals(RULE, record.path("allowlist_rule").asText(), text);
    assertEquals("egress", record.path("direction").asText(), text);
    assertIdentity(record, clientIp);
    assertTrue(sameAddress(record.path("dst_ip").asText(), dstIp), "dst_ip " + dstIp + ": " + text);
    assertTrue(record.path("bytes_sent").asLong() > 0, "bytes_sent: " + text);
    assertTrue(record.path("bytes_received").asLong() > 0, "bytes_received: " + text);
    assertTrue(record.path("duration_ms").isNumber(), "duration_ms: " + text);
    assertTrue(record.path("timestamp").isTextual(), "timestamp: " + text);
  }

  static void assertBlockedRecord(JsonNode record, String reason, int port, String clientIp) {
    String text = record.toString();
    assertEquals("blocked", record.path("result").asText(), text);
    assertEquals(reason, record.path("reason").asText(), text);
    assertEquals(port, record.path("port").asInt(), text);
    assertEquals("egress", record.path("direction").asText(), text);
    assertIdentity(record, clientIp);
  }

  private static void assertIdentity(JsonNode record, String clientIp) {
    String text = record.toString();
    assertEquals(SANDBOX_ID, record.path("sandbox").asText(), text);
    assertEquals(TASK_ID, record.path("task_id").asText(), text);
    assertEquals(USER, record.path("user").asText(), text);
    assertTrue(sameAddress(record.path("client_ip").asText(), clientIp), "client_ip " + clientIp + ": " + text);
  }

  JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  static boolean port(JsonNode record, int port) {
    return record.path("port").asInt() == port;
  }

  static boolean allowed(JsonNode record) {
    return "allowed".equals(record.path("result").asText());
  }

  static boolean dst(JsonNode record, String address) {
    return sameAddress(record.path("dst_ip").asText(), address);
  }

  /**
   * Compares addresses as written: IPv4 exactly (a v4-mapped {@code ::ffff:a.b.c.d} is not the
   * sandbox's address as the contract shows it), IPv6 by value, since zeros may be compressed.
   */
  static boolean sameAddress(String recorded, String expected) {
    if (!expected.contains(":")) {
      return expected.equals(recorded);
    }
    if (!recorded.contains(":")) {
      return false;
    }
    try {
      InetAddress a = InetAddress.getByName(recorded);
      InetAddress b = InetAddress.getByName(expected);
      return a instanceof Inet6Address && a.equals(b);
    } catch (UnknownHostException notAnAddress) {
      return false;
    }
  }

  // --- clients in the sandbox ---

  Output sandbox(String... command) {
    return topology.sandbox().run(CLIENT_TIMEOUT, command);
  }

  Output curl(String... args) {
    return EndToEnd.curl(topology, CLIENT_TIMEOUT, args);
  }

  /** Runs {@code fetch(url)} in Node.js and prints {@code status CODE} and the body, or the error. */
  Output nodeFetch(String url) {
    // The timer keeps the event loop alive until the fetch settles, so the process can only end
    // by printing its outcome.
    return node(
        "const t = setTimeout(() => { console.log('timeout'); process.exit(4); }, 15000);"
            + "fetch(process.argv[1])"
            + ".then(async r => { console.log('status ' + r.status);"
            + " console.log((await r.text()).trim()); process.exit(0); })"
            + ".catch(e => { console.log('error ' + (e.cause && (e.cause.code || e.cause.message)));"
            + " process.exit(3); });",
        url);
  }

  /**
   * Runs {@code http.get(url)} in Node.js and prints {@code status CODE} or {@code error CODE}.
   * Used where the server resets the connection at once: Node 20's fetch (undici) then sometimes
   * never settles — reproduced against a plain reset-on-accept server without allowdns — while
   * the http module reports ECONNRESET every time.
   */
  Output nodeHttpGet(String url) {
    return node(
        "const t = setTimeout(() => { console.log('timeout'); process.exit(4); }, 15000);"
            + "require('http').get(process.argv[1], r => { console.log('status ' + r.statusCode);"
            + " process.exit(0); })"
            + ".on('error', e => { console.log('error ' + e.code); process.exit(3); });",
        url);
  }

  private Output node(String script, String url) {
    return topology.sandbox().run(
        CLIENT_TIMEOUT,
        Map.of("NODE_EXTRA_CA_CERTS", ca()),
        List.of("node", "-e", script, url));
  }

  String ca() {
    return certificates.caCertificate().toString();
  }

  /** Counts nginx access-log lines for requests that reached {@code address}. */
  long servedOn(String address) throws IOException {
    return web.accessLog().stream().filter(line -> sameAddress(line.split(" ")[0], address)).count();
  }

  private String upstreamZone() {
    return String.join(
        "\n",
        "$ORIGIN " + ZONE + ".",
        "$TTL 300",
        "@ SOA ns." + ZONE + ". hostmaster." + ZONE + ". 1 3600 600 86400 60",
        "@ NS ns",
        "ns A " + topology.internetV4(2),
        "www A " + topology.internetV4(WWW_HOST),
        "www AAAA " + topology.internetV6(WWW_HOST),
        "api A " + topology.internetV4(API_HOST),
        "blocked A " + topology.internetV4(BLOCKED_HOST),
        "bytes A " + topology.internetV4(BYTES_HOST),
        "node A " + topology.internetV4(NODE_HOST),
        "");
  }

  private String allowdnsZone() {
    return String.join(
        "\n",
        "# The test's addresses are private (10/8, fd00::/8): without this the rebinding guard",
        "# would remove every answer.",
        "@allow-private",
        WWW,
        API,
        BYTES,
        NODE,
        "");
  }

  private String sandboxConfig() {
    String identity = ", id: " + SANDBOX_ID + ", task_id: " + TASK_ID + ", user: " + USER + "}";
    return "sandboxes:\n"
        + "  - {cidr: " + topology.sandboxV4() + "/32" + identity + "\n"
        + "  - {cidr: \"" + topology.sandboxV6() + "/128\"" + identity + "\n";
  }
}
