package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.AuthoritativeDns;
import dev.allowdns.testing.netns.CorporateProxy;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import dev.allowdns.testing.netns.TestCertificates;
import dev.allowdns.testing.netns.WebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The explicit proxy and chaining through a corporate proxy, in network namespaces, with real
 * clients (curl, openssl) in the sandbox and a real Squid in the internet namespace:
 *
 * <pre>
 *  sandbox (curl -x, HTTPS_PROXY) ── host (allowdns serve --proxy-listen) ── internet
 *                                                        (knotd, nginx, Squid with Basic auth)
 * </pre>
 *
 * Zones: {@code www} goes direct ({@code no_proxy}); {@code corp} through Squid (the global
 * {@code upstream_proxy}); {@code wrong} through a Squid port whose credentials are wrong;
 * {@code down} through a port where no proxy listens. Every verdict is checked from both ends.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "knotd", "nginx", "curl", "openssl", "python3", "squid", "node", "npm"},
    packages = {"iproute2", "iptables", "knot", "nginx", "curl", "openssl", "python3", "squid", "nodejs", "npm"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyPathsIT {
  private static final String ZONE = "px.test";
  private static final String WWW = "www.px.test";
  private static final String CORP = "corp.px.test";
  private static final String WRONG = "wrong.px.test";
  private static final String DOWN = "down.px.test";
  private static final String BLOCKED = "blocked.px.test";
  /** Only Squid can resolve it (its hosts file); allowdns's upstream has no such zone. */
  private static final String HIDDEN = "hidden.corp.internal";
  private static final int WWW_HOST = 10;
  private static final int CORP_HOST = 11;
  private static final int UNNAMED = 20;
  private static final int PROXY_PORT = 3129;
  private static final int RELAY_PORT = 15001;
  private static final int SQUID_PORT = 3128;
  private static final int SQUID_WRONG_PORT = 3130;
  private static final int NOTHING_PORT = 3999;
  private static final String SANDBOX_ID = "vm-px";
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration RECORD_WAIT = Duration.ofSeconds(5);

  private static Path dir;
  private static SandboxTopology topology;
  private static WebServer web;
  private static CorporateProxy squid;
  private static TestCertificates certificates;
  private static AllowdnsInNamespace allowdns;
  private static String globalNodeModules;

  @BeforeAll
  static void start() throws Exception {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-proxy-");
    topology = SandboxTopology.create();
    for (int host : List.of(WWW_HOST, CORP_HOST, UNNAMED)) {
      topology.addInternetHost(host);
    }
    String dns = topology.internetV4(2);
    Output npmRoot = topology.sandbox().run(CLIENT_TIMEOUT, "npm", "root", "--global");
    globalNodeModules = npmRoot.stdout().strip();
    assertTrue(Files.isDirectory(Path.of(globalNodeModules, "undici")),
        "undici is not installed globally (npm install --global undici@6, as .ci/run does)\n" + npmRoot.describe());

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

  @AfterAll
  static void tearDown() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }


  @Test
  @Order(1)
  void connectAndAbsoluteForm_toANoProxyName_goDirect_withExactBytes() throws Exception {
    Output https = curl("-x", proxyUrl(), "--cacert", ca(), "https://" + WWW + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());
    JsonNode tunnel = awaitRecord(r -> r.path("port").asInt() == 443 && WWW.equals(r.path("domain").asText()));
    assertProxied(tunnel, "allowed", null);
    assertEquals(WWW, tunnel.path("sni").asText(), tunnel.toString());
    assertEquals(topology.internetV4(WWW_HOST), tunnel.path("dst_ip").asText(), tunnel.toString());
    assertTrue(tunnel.path("via").isNull(), "no_proxy: direct " + tunnel);

    Output http = curl("-x", proxyUrl(), "-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + WWW + "/");
    assertTrue(http.succeeded(), http.describe());
    String[] sizes = lastLine(http).split(" ");
    JsonNode plain = awaitRecord(r -> r.path("port").asInt() == 80 && WWW.equals(r.path("domain").asText()));
    assertProxied(plain, "allowed", null);
    assertEquals(Long.parseLong(sizes[0]), plain.path("bytes_sent").asLong(), "curl's request: " + plain);
    assertEquals(
        Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]), plain.path("bytes_received").asLong(), "curl's response: " + plain);
    assertTrue(squid.accessLog().stream().noneMatch(l -> l.contains(WWW)), "Squid never saw " + WWW + ": " + squid.accessLog());

    // Keep-alive: two requests to one host on one client connection share one destination connection.
    Output twice =
        curl("-x", proxyUrl(), "-w", "%{num_connects}\n", "http://" + WWW + "/ka1", "http://" + WWW + "/ka2");
    assertEquals(
        List.of("hello from " + WWW, "1", "hello from " + WWW, "0"), twice.stdout().lines().toList(), twice.describe());
    JsonNode shared = awaitRecord(r -> r.path("bytes_received").asLong() > plain.path("bytes_received").asLong()
        && WWW.equals(r.path("domain").asText()) && r.path("port").asInt() == 80);
    assertProxied(shared, "allowed", null);
    assertEquals(2 * plain.path("bytes_received").asLong(), shared.path("bytes_received").asLong(), "both answers: " + shared);
  }

  @Test
  @Order(2)
  void httpsProxyEnvironment_isHonouredByCurl() throws Exception {
    Output https =
        topology.sandbox().run(
            CLIENT_TIMEOUT, Map.of("HTTPS_PROXY", proxyUrl()),
            List.of("curl", "-sS", "-m", "10", "--cacert", ca(), "https://" + WWW + "/env"));
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());
    List<JsonNode> tunnels =
        allowdns.connections().awaitCount(r -> r.path("port").asInt() == 443 && "proxy".equals(r.path("path").asText()), 2, RECORD_WAIT);
    assertEquals(2, tunnels.size(), allowdns.connections().describe());
  }

  @Test
  @Order(3)
  void nodeFetch_throughUndicisProxyAgent_isRecordedOnTheProxyPath() throws Exception {
    Output fetch =
        node(
            "const { fetch, ProxyAgent } = require('undici');"
                + "fetch(process.argv[1], { dispatcher: new ProxyAgent(process.argv[2]) })"
                + ".then(async r => { console.log('status ' + r.status); console.log((await r.text()).trim()); })"
                + ".catch(e => { console.log('error ' + (e.cause ? e.cause.code || e.cause.message : e.message)); process.exit(3); });",
            "https://" + WWW + "/undici", proxyUrl());
    assertEquals("status 200\nhello from " + WWW, fetch.stdout().strip(), fetch.describe());
    List<JsonNode> tunnels =
        allowdns.connections().awaitCount(r -> r.path("port").asInt() == 443 && "proxy".equals(r.path("path").asText()), 3, RECORD_WAIT);
    assertEquals(3, tunnels.size(), "curl -x, HTTPS_PROXY and undici: " + allowdns.connections().describe());
  }

  @Test
  @Order(4)
  void blockedName_is403_withTheReasonVisibleInCurlVerbose() throws Exception {
    Output curl = curl("-v", "-x", proxyUrl(), "--cacert", ca(), "https://" + BLOCKED + "/");
    assertFalse(curl.succeeded(), curl.describe());
    assertTrue(curl.stderr().contains("< HTTP/1.1 403 Forbidden"), curl.describe());
    assertTrue(curl.stderr().contains("< X-Allowdns-Reason: not_allowed"), curl.describe());
    Output body = curl("-x", proxyUrl(), "http://" + BLOCKED + "/");
    assertEquals("allowdns policy 'default': " + BLOCKED + " is not on the allowlist", body.stdout().strip(), body.describe());
    JsonNode record = awaitRecord(r -> BLOCKED.equals(r.path("domain").asText()));
    assertProxied(record, "blocked", "not_allowed");
    assertTrue(web.accessLog().stream().noneMatch(l -> l.contains(BLOCKED)), web.accessLog().toString());
  }

  @Test
  @Order(5)
  void ipLiteral_outsideIpRules_isRefused() throws Exception {
    String literal = topology.internetV4(UNNAMED);
    Output curl = curl("-v", "-x", proxyUrl(), "http://" + literal + "/");
    assertTrue(curl.stderr().contains("< HTTP/1.1 403 Forbidden"), curl.describe());
    JsonNode record = awaitRecord(r -> r.path("host").asText().startsWith(literal));
    assertProxied(record, "blocked", "not_allowed");
  }

  @Test
  @Order(6)
  void blockedSni_insideAnAllowedConnect_isRefused() throws Exception {
    Output openssl =
        topology.sandbox().run(
            CLIENT_TIMEOUT, Map.of(),
            List.of("sh", "-c", "echo | openssl s_client -proxy " + topology.hostSandboxSideV4() + ":" + PROXY_PORT
                + " -connect " + WWW + ":443 -servername " + BLOCKED + " -CAfile " + ca()));
    assertFalse(openssl.succeeded(), openssl.describe());
    assertTrue(openssl.stdout().contains("no peer certificate available"), "reset before the server spoke\n" + openssl.describe());
    JsonNode record = awaitRecord(r -> BLOCKED.equals(r.path("sni").asText()));
    assertProxied(record, "blocked", "sni_not_allowed");
    assertTrue(web.accessLog().stream().noneMatch(l -> l.contains(BLOCKED)), web.accessLog().toString());
  }

  @Test
  @Order(7)
  void malformedHeads_get400AndARecord_andTheServerGoesOn() throws Exception {
    String send =
        "import socket,sys\n"
            + "for head in [b'GARBAGE\\r\\n\\r\\n', b'GET http://" + WWW + "/ HTTP/1.1\\r\\nX: ' + b'a' * 20000 + b'\\r\\n\\r\\n',"
            + " b'GET /origin-form HTTP/1.1\\r\\nHost: " + WWW + "\\r\\n\\r\\n']:\n"
            + "  s = socket.create_connection(('" + topology.hostSandboxSideV4() + "', " + PROXY_PORT + "), 5)\n"
            + "  s.sendall(head)\n"
            + "  print(s.recv(200).split(b'\\r\\n')[0].decode())\n"
            + "  s.close()\n";
    Output out = topology.sandbox().run(CLIENT_TIMEOUT, "python3", "-c", send);
    assertEquals(List.of("HTTP/1.1 400 Bad Request", "HTTP/1.1 400 Bad Request", "HTTP/1.1 400 Bad Request"),
        out.stdout().lines().toList(), out.describe());
    List<JsonNode> bad =
        allowdns.connections().awaitCount(r -> "bad_request".equals(r.path("reason").asText()), 3, RECORD_WAIT);
    assertEquals(3, bad.size(), allowdns.connections().describe());
    Output after = curl("-x", proxyUrl(), "http://" + WWW + "/after");
    assertEquals("hello from " + WWW, after.stdout().strip(), after.describe());
  }

  @Test
  @Order(8)
  void throughSquid_connectAndAbsoluteForm_workAndSquidSeesThem() throws Exception {
    Output https = curl("-x", proxyUrl(), "--cacert", ca(), "https://" + CORP + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + CORP, https.stdout().strip());
    JsonNode tunnel = awaitRecord(r -> r.path("port").asInt() == 443 && CORP.equals(r.path("domain").asText()));
    assertProxied(tunnel, "allowed", null);
    assertEquals(squidAt(SQUID_PORT), tunnel.path("via").asText(), tunnel.toString());
    assertTrue(tunnel.path("dst_ip").isNull(), "only the parent resolved the name: " + tunnel);

    Output http = curl("-x", proxyUrl(), "-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + CORP + "/plain");
    assertTrue(http.succeeded(), http.describe());
    assertEquals("hello from " + CORP, http.stdout().lines().findFirst().orElse(""), http.describe());
    String[] sizes = lastLine(http).split(" ");
    JsonNode plain = awaitRecord(r -> r.path("port").asInt() == 80 && CORP.equals(r.path("domain").asText()));
    assertEquals(squidAt(SQUID_PORT), plain.path("via").asText(), plain.toString());
    assertEquals(Long.parseLong(sizes[0]), plain.path("bytes_sent").asLong(), "exact through the parent: " + plain);
    assertEquals(Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]), plain.path("bytes_received").asLong(), plain.toString());

    List<String> log = squid.accessLog();
    assertTrue(log.stream().anyMatch(l -> l.contains("CONNECT " + CORP + ":443") && l.contains(" builder ")), "Squid: " + log);
    assertTrue(log.stream().anyMatch(l -> l.contains("GET http://" + CORP + "/plain") && l.contains(" builder ")), "Squid: " + log);
    assertFalse(String.join("\n", Files.readAllLines(allowdns.logDir().resolve("connections.jsonl"))).contains("s3cret"));
  }

  @Test
  @Order(9)
  void wrongCredentials_areProxyRefused_with407() throws Exception {
    Output curl = curl("-v", "-x", proxyUrl(), "--cacert", ca(), "https://" + WRONG + "/");
    assertTrue(curl.stderr().contains("< HTTP/1.1 502 Bad Gateway"), curl.describe());
    assertTrue(curl.stderr().contains("< X-Allowdns-Reason: proxy_refused"), curl.describe());
    JsonNode record = awaitRecord(r -> WRONG.equals(r.path("domain").asText()));
    assertProxied(record, "blocked", "proxy_refused");
    assertEquals(407, record.path("proxy_status").asInt(), record.toString());
    assertEquals(squidAt(SQUID_WRONG_PORT), record.path("via").asText(), record.toString());
  }

  @Test
  @Order(10)
  void unreachableParent_isProxyUnreachable() throws Exception {
    Output curl = curl("-v", "-x", proxyUrl(), "--cacert", ca(), "https://" + DOWN + "/");
    assertTrue(curl.stderr().contains("< X-Allowdns-Reason: proxy_unreachable"), curl.describe());
    JsonNode record = awaitRecord(r -> DOWN.equals(r.path("domain").asText()));
    assertProxied(record, "blocked", "proxy_unreachable");
    assertTrue(record.path("proxy_status").isNull(), record.toString());
  }

  @Test
  @Order(11)
  void synthesizeZone_throughTheExplicitProxy_needsNoUpstreamAnswer() throws Exception {
    Output upstream = topology.sandbox().run(CLIENT_TIMEOUT, "dig", "+time=3", "+tries=1", "@" + topology.internetV4(2), HIDDEN, "A");
    assertFalse(upstream.stdout().contains("status: NOERROR"), "control: the upstream cannot resolve it\n" + upstream.describe());
    Output https = curl("-x", proxyUrl(), "--cacert", ca(), "https://" + HIDDEN + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + HIDDEN, https.stdout().strip());
    JsonNode record = awaitRecord(r -> HIDDEN.equals(r.path("domain").asText()) && "proxy".equals(r.path("path").asText()));
    assertProxied(record, "allowed", null);
    assertEquals(squidAt(SQUID_PORT), record.path("via").asText(), record.toString());
  }

  @Test
  @Order(14)
  void synthesizeZone_onTheTransparentPath_answersAReservedAddressAndGoesThroughTheParent() throws Exception {
    Output dig = topology.sandbox().run(CLIENT_TIMEOUT, "dig", "+time=3", "+tries=1", "+short", HIDDEN, "A");
    String synthetic = dig.stdout().strip();
    assertTrue(synthetic.startsWith("198.18.") || synthetic.startsWith("198.19."), "from 198.18.0.0/15:\n" + dig.describe());
    Output again = topology.sandbox().run(CLIENT_TIMEOUT, "dig", "+time=3", "+tries=1", "+short", HIDDEN, "A");
    assertEquals(synthetic, again.stdout().strip(), "one stable address per name");
    Output v6 = topology.sandbox().run(CLIENT_TIMEOUT, "dig", "+time=3", "+tries=1", "+short", HIDDEN, "AAAA");
    assertTrue(v6.stdout().strip().startsWith("fd00:a11:d05:"), v6.describe());

    Output https = curl("-4", "--cacert", ca(), "https://" + HIDDEN + "/transparent");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + HIDDEN, https.stdout().strip());
    JsonNode record =
        awaitRecord(r -> HIDDEN.equals(r.path("domain").asText()) && "transparent".equals(r.path("path").asText()));
    assertEquals("allowed", record.path("result").asText(), record.toString());
    assertEquals(synthetic, record.path("dst_ip").asText(), record.toString());
    assertEquals(squidAt(SQUID_PORT), record.path("via").asText(), record.toString());
    JsonNode query =
        allowdns.queries().await(q -> HIDDEN.equals(q.path("name").asText()), RECORD_WAIT).orElseThrow();
    assertEquals("synthesized", query.path("upstream").asText(), query.toString());
  }

  @Test
  @Order(12)
  void transparentPath_throughSquid_tunnelsHttpsAndSendsHttpInAbsoluteForm_withExactBytes() throws Exception {
    Output apply =
        allowdns.command(
            Duration.ofSeconds(30),
            "iptables", "apply",
            "--sandbox-interface", topology.hostSandboxInterface(),
            "--dns-port", "1053",
            "--relay-port", Integer.toString(RELAY_PORT),
            "--proxy-port", Integer.toString(PROXY_PORT));
    assertTrue(apply.succeeded(), apply.describe());
    // The firewall opens the explicit proxy's port: it is not redirected to the relay.
    Output explicit = curl("-x", proxyUrl(), "--cacert", ca(), "https://" + WWW + "/behind-the-firewall");
    assertEquals("hello from " + WWW, explicit.stdout().strip(), explicit.describe());

    Output https = curl("--cacert", ca(), "https://" + CORP + "/transparent");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + CORP, https.stdout().strip());
    JsonNode tunnel =
        awaitRecord(r -> "transparent".equals(r.path("path").asText()) && r.path("port").asInt() == 443);
    assertEquals("allowed", tunnel.path("result").asText(), tunnel.toString());
    assertEquals(squidAt(SQUID_PORT), tunnel.path("via").asText(), tunnel.toString());
    assertEquals(topology.internetV4(CORP_HOST), tunnel.path("dst_ip").asText(), "what the sandbox connected to: " + tunnel);

    Output http = curl("-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + CORP + "/absolute");
    assertTrue(http.succeeded(), http.describe());
    assertEquals("hello from " + CORP, http.stdout().lines().findFirst().orElse(""), http.describe());
    String[] sizes = lastLine(http).split(" ");
    JsonNode plain =
        awaitRecord(r -> "transparent".equals(r.path("path").asText()) && r.path("port").asInt() == 80);
    assertEquals("allowed", plain.path("result").asText(), plain.toString());
    assertEquals(squidAt(SQUID_PORT), plain.path("via").asText(), plain.toString());
    assertEquals(Long.parseLong(sizes[0]), plain.path("bytes_sent").asLong(), "as the sandbox sent it: " + plain);
    assertEquals(Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]), plain.path("bytes_received").asLong(), plain.toString());
    List<String> log = squid.accessLog();
    assertTrue(log.stream().anyMatch(l -> l.contains("GET http://" + CORP + "/absolute")), "absolute form at Squid: " + log);
    assertTrue(log.stream().anyMatch(l -> l.contains("CONNECT " + CORP + ":443")), "Squid: " + log);

    Output refused = curl("http://" + WRONG + "/transparent-407");
    assertFalse(refused.stdout().contains("hello from"), refused.describe());
    JsonNode proxyRefused =
        awaitRecord(r -> "transparent".equals(r.path("path").asText()) && WRONG.equals(r.path("domain").asText()));
    assertEquals("blocked", proxyRefused.path("result").asText(), proxyRefused.toString());
    assertEquals("proxy_refused", proxyRefused.path("reason").asText(), proxyRefused.toString());
    assertEquals(407, proxyRefused.path("proxy_status").asInt(), proxyRefused.toString());

    Output direct = curl("--cacert", ca(), "https://" + WWW + "/transparent-direct");
    assertTrue(direct.succeeded(), direct.describe());
    JsonNode noProxy =
        awaitRecord(r -> "transparent".equals(r.path("path").asText()) && WWW.equals(r.path("domain").asText()));
    assertTrue(noProxy.path("via").isNull(), "no_proxy goes direct: " + noProxy);
  }

  @Test
  @Order(13)
  void nodeFetch_withoutProxySettings_isCaughtByTheTransparentPath() throws Exception {
    Output fetch =
        node(
            "fetch(process.argv[1]).then(async r => { console.log('status ' + r.status);"
                + " console.log((await r.text()).trim()); })"
                + ".catch(e => { console.log('error ' + (e.cause ? e.cause.code || e.cause.message : e.message)); process.exit(3); });",
            "https://" + WWW + "/node-transparent");
    assertEquals("status 200\nhello from " + WWW, fetch.stdout().strip(), fetch.describe());
    JsonNode record =
        awaitRecord(r -> "transparent".equals(r.path("path").asText()) && WWW.equals(r.path("sni").asText()));
    assertEquals("allowed", record.path("result").asText(), record.toString());
    assertTrue(allowdns.connections().records().stream()
        .anyMatch(r -> "proxy".equals(r.path("path").asText()) && WWW.equals(r.path("sni").asText())),
        "the same fetch through undici's ProxyAgent was recorded with path proxy: " + allowdns.connections().describe());
  }

  @Test
  @Order(20)
  void stoppedSquid_isProxyUnreachable() throws Exception {
    squid.stop();
    Output curl = curl("--cacert", ca(), "https://" + CORP + "/stopped");
    assertFalse(curl.succeeded(), curl.describe());
    JsonNode record =
        awaitRecord(r -> CORP.equals(r.path("domain").asText()) && "proxy_unreachable".equals(r.path("reason").asText()));
    assertEquals("blocked", record.path("result").asText(), record.toString());
    assertEquals("transparent", record.path("path").asText(), record.toString());
    assertTrue(record.path("proxy_status").isNull(), "the parent was not reached: " + record);
  }

  private static void assertProxied(JsonNode record, String result, String reason) {
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

  private static String squidAt(int port) {
    return topology.internetV4(2) + ":" + port;
  }

  private static String proxyUrl() {
    return "http://" + topology.hostSandboxSideV4() + ":" + PROXY_PORT;
  }

  private static String lastLine(Output output) {
    List<String> lines = output.stdout().lines().toList();
    return lines.get(lines.size() - 1);
  }

  private static JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  private static Output curl(String... args) {
    return EndToEnd.curl(topology, CLIENT_TIMEOUT, args);
  }

  /** Runs a Node.js script in the sandbox with undici on its module path and the test CA trusted. */
  private static Output node(String script, String... args) {
    List<String> command = new ArrayList<>(List.of("node", "-e", script));
    command.addAll(List.of(args));
    return topology.sandbox().run(
        CLIENT_TIMEOUT, Map.of("NODE_EXTRA_CA_CERTS", ca(), "NODE_PATH", globalNodeModules), command);
  }

  private static String ca() {
    return certificates.caCertificate().toString();
  }

  private static String upstreamZone() {
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
