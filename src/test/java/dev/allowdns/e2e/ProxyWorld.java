package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.AuthoritativeDns;
import dev.allowdns.testing.netns.CorporateProxy;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.SandboxTopology;
import dev.allowdns.testing.netns.TestCertificates;
import dev.allowdns.testing.netns.WebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The world of the explicit proxy and of chaining through a corporate proxy: network
 * namespaces, with real clients (curl, openssl, Node.js) in the sandbox and a real Squid in the
 * internet namespace:
 *
 * <pre>
 *  sandbox (curl -x, HTTPS_PROXY) ── host (allowdns serve --proxy-listen) ── internet
 *                                                        (knotd, nginx, Squid with Basic auth)
 * </pre>
 *
 * Zones: {@code www} goes direct ({@code no_proxy}); {@code corp} through Squid (the global
 * {@code upstream_proxy}); {@code wrong} through a Squid port whose credentials are wrong;
 * {@code down} through a port where no proxy listens. Every verdict is checked from both ends.
 *
 * <p>Each test class that uses it ({@link ProxyDirectIT}, {@link ProxyChainingIT}) starts its own
 * world in {@code @BeforeAll} and closes it in {@code @AfterAll}: no state passes between classes.
 */
final class ProxyWorld implements AutoCloseable {
  private static final String ZONE = "px.test";
  static final String WWW = "www.px.test";
  static final String CORP = "corp.px.test";
  static final String WRONG = "wrong.px.test";
  static final String DOWN = "down.px.test";
  static final String BLOCKED = "blocked.px.test";
  /** Only Squid can resolve it (its hosts file); allowdns's upstream has no such zone. */
  static final String HIDDEN = "hidden.corp.internal";
  static final int WWW_HOST = 10;
  static final int CORP_HOST = 11;
  static final int UNNAMED = 20;
  static final int PROXY_PORT = 3129;
  private static final int RELAY_PORT = 15001;
  static final int SQUID_PORT = 3128;
  static final int SQUID_WRONG_PORT = 3130;
  private static final int NOTHING_PORT = 3999;
  private static final String SANDBOX_ID = "vm-px";
  static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);
  static final Duration RECORD_WAIT = Duration.ofSeconds(5);

  private Path dir;
  private SandboxTopology topology;
  private WebServer web;
  private CorporateProxy squid;
  private TestCertificates certificates;
  private AllowdnsInNamespace allowdns;

  /** Builds the topology and starts knotd, nginx, Squid and allowdns; no firewall rules yet. */
  void start() throws Exception {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-proxy-");
    topology = SandboxTopology.create();
    for (int host : List.of(WWW_HOST, CORP_HOST, UNNAMED)) {
      topology.addInternetHost(host);
    }
    String dns = topology.internetV4(2);

    AuthoritativeDns.start(
        topology.internet(), Files.createDirectories(dir.resolve("knotd")), List.of(dns), ZONE, upstreamZone());
    certificates =
        TestCertificates.create(Files.createDirectories(dir.resolve("tls")), List.of(WWW, CORP, WRONG, DOWN, BLOCKED, HIDDEN));
    web = WebServer.start(topology.internet(), Files.createDirectories(dir.resolve("nginx")), certificates);
    squid =
        CorporateProxy.start(
            topology.internet(), Files.createDirectories(dir.resolve("squid")), dns,
            List.of(SQUID_PORT, SQUID_WRONG_PORT), dns, Map.of(HIDDEN, topology.internetV4(CORP_HOST)),
            "builder", "s3cret-pass");

    Path auth = Files.createDirectories(dir.resolve("secrets")).resolve("proxy-auth");
    Files.writeString(
        auth,
        dns + ":" + SQUID_PORT + " builder:s3cret-pass\n" + dns + ":" + SQUID_WRONG_PORT + " builder:not-it\n");
    Files.setPosixFilePermissions(auth, PosixFilePermissions.fromString("rw-------"));
    allowdns =
        AllowdnsInNamespace.start(
            topology.host(),
            jar,
            Files.createDirectories(dir.resolve("allowdns")),
            Map.of(
                "px.zone", "@allow-private\n" + WWW + "\n" + CORP + "\n",
                "wrong.zone", "@allow-private\n@proxy http://" + dns + ":" + SQUID_WRONG_PORT + "\n" + WRONG + "\n",
                "down.zone", "@proxy http://" + dns + ":" + NOTHING_PORT + "\n" + DOWN + "\n",
                "hidden.zone", "@proxy http://" + dns + ":" + SQUID_PORT + " synthesize\n" + HIDDEN + "\n"),
            "sandboxes:\n  - {cidr: " + topology.sandboxV4() + "/32, id: " + SANDBOX_ID + "}\n"
                + "upstream_proxy: http://" + dns + ":" + SQUID_PORT + "\n"
                + "upstream_proxy_auth_file: " + auth + "\n"
                + "no_proxy: [" + WWW + "]\n",
            List.of(
                "--listen", "0.0.0.0:1053",
                "--proxy-listen", "0.0.0.0:" + PROXY_PORT,
                "--relay-listen", "0.0.0.0:" + RELAY_PORT,
                "--relay-connect-timeout", "2s",
                "--upstream", dns + ":53"));
  }

  /**
   * Applies allowdns's firewall rules: from here the sandbox's DNS goes to allowdns and its TCP to
   * the relay (the transparent path), except the explicit proxy's port.
   */
  void applyFirewall() {
    Output apply =
        allowdns.command(
            Duration.ofSeconds(30),
            "iptables", "apply",
            "--sandbox-interface", topology.hostSandboxInterface(),
            "--dns-port", "1053",
            "--relay-port", Integer.toString(RELAY_PORT),
            "--proxy-port", Integer.toString(PROXY_PORT));
    assertTrue(apply.succeeded(), apply.describe());
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

  CorporateProxy squid() {
    return squid;
  }

  AllowdnsInNamespace allowdns() {
    return allowdns;
  }

  void assertProxied(JsonNode record, String result, String reason) {
    String text = record.toString();
    assertEquals("proxy", record.path("path").asText(), text);
    assertEquals(result, record.path("result").asText(), text);
    if (reason == null) {
      assertTrue(record.path("reason").isNull(), text);
    } else {
      assertEquals(reason, record.path("reason").asText(), text);
    }
    assertEquals(SANDBOX_ID, record.path("sandbox").asText(), text);
    assertEquals(topology.sandboxV4(), record.path("client_ip").asText(), text);
  }

  String squidAt(int port) {
    return topology.internetV4(2) + ":" + port;
  }

  String proxyUrl() {
    return "http://" + topology.hostSandboxSideV4() + ":" + PROXY_PORT;
  }

  static String lastLine(Output output) {
    List<String> lines = output.stdout().lines().toList();
    return lines.get(lines.size() - 1);
  }

  JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  Output curl(String... args) {
    return EndToEnd.curl(topology, CLIENT_TIMEOUT, args);
  }

  String ca() {
    return certificates.caCertificate().toString();
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
        "corp A " + topology.internetV4(CORP_HOST),
        "wrong A " + topology.internetV4(CORP_HOST),
        "down A " + topology.internetV4(CORP_HOST),
        "blocked A " + topology.internetV4(CORP_HOST),
        "");
  }
}
