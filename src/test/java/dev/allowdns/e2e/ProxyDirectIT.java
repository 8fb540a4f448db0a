package dev.allowdns.e2e;

import static dev.allowdns.e2e.ProxyWorld.BLOCKED;
import static dev.allowdns.e2e.ProxyWorld.CLIENT_TIMEOUT;
import static dev.allowdns.e2e.ProxyWorld.PROXY_PORT;
import static dev.allowdns.e2e.ProxyWorld.RECORD_WAIT;
import static dev.allowdns.e2e.ProxyWorld.UNNAMED;
import static dev.allowdns.e2e.ProxyWorld.WWW;
import static dev.allowdns.e2e.ProxyWorld.WWW_HOST;
import static dev.allowdns.e2e.ProxyWorld.lastLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The explicit proxy on its own, end to end in a {@link ProxyWorld}: a {@code no_proxy} name goes
 * direct by CONNECT and absolute form (curl {@code -x}, {@code HTTPS_PROXY}, undici's ProxyAgent),
 * with exact bytes and keep-alive; what it refuses itself (a blocked name, an IP literal, a blocked
 * SNI inside an allowed CONNECT, malformed heads). Last, with allowdns's firewall applied, Node's
 * fetch without proxy settings is caught by the transparent path. Chaining through the corporate
 * parent is {@link ProxyChainingIT}.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "knotd", "nginx", "curl", "openssl", "python3", "squid", "node", "npm"},
    packages = {"iproute2", "iptables", "knot", "nginx", "curl", "openssl", "python3", "squid", "nodejs", "npm"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyDirectIT {
  private static ProxyWorld world;
  /** {@code world.topology()}, short for the tests. */
  private static SandboxTopology topology;
  private static String globalNodeModules;

  @BeforeAll
  static void startTheWorld() throws Exception {
    world = new ProxyWorld();
    world.start();
    topology = world.topology();
    Output npmRoot = topology.sandbox().run(CLIENT_TIMEOUT, "npm", "root", "--global");
    globalNodeModules = npmRoot.stdout().strip();
    assertTrue(Files.isDirectory(Path.of(globalNodeModules, "undici")),
        "undici is not installed globally (npm install --global undici@6, as .ci/run does)\n" + npmRoot.describe());
  }

  @AfterAll
  static void tearDown() {
    world.close();
  }

  @Test
  @Order(1)
  void connectAndAbsoluteForm_toANoProxyName_goDirect_withExactBytes() throws Exception {
    Output https = world.curl("-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + WWW + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());
    JsonNode tunnel = world.awaitRecord(r -> r.path("port").asInt() == 443 && WWW.equals(r.path("domain").asText()));
    world.assertProxied(tunnel, "allowed", null);
    assertEquals(WWW, tunnel.path("sni").asText(), tunnel.toString());
    assertEquals(topology.internetV4(WWW_HOST), tunnel.path("dst_ip").asText(), tunnel.toString());
    assertTrue(tunnel.path("via").isNull(), "no_proxy: direct " + tunnel);

    Output http = world.curl("-x", world.proxyUrl(), "-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + WWW + "/");
    assertTrue(http.succeeded(), http.describe());
    String[] sizes = lastLine(http).split(" ");
    JsonNode plain = world.awaitRecord(r -> r.path("port").asInt() == 80 && WWW.equals(r.path("domain").asText()));
    world.assertProxied(plain, "allowed", null);
    assertEquals(Long.parseLong(sizes[0]), plain.path("bytes_sent").asLong(), "curl's request: " + plain);
    assertEquals(
        Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]), plain.path("bytes_received").asLong(), "curl's response: " + plain);
    assertTrue(world.squid().accessLog().stream().noneMatch(l -> l.contains(WWW)), "Squid never saw " + WWW + ": " + world.squid().accessLog());

    // Keep-alive: two requests to one host on one client connection share one destination connection.
    Output twice =
        world.curl("-x", world.proxyUrl(), "-w", "%{num_connects}\n", "http://" + WWW + "/ka1", "http://" + WWW + "/ka2");
    assertEquals(
        List.of("hello from " + WWW, "1", "hello from " + WWW, "0"), twice.stdout().lines().toList(), twice.describe());
    JsonNode shared = world.awaitRecord(r -> r.path("bytes_received").asLong() > plain.path("bytes_received").asLong()
        && WWW.equals(r.path("domain").asText()) && r.path("port").asInt() == 80);
    world.assertProxied(shared, "allowed", null);
    assertEquals(2 * plain.path("bytes_received").asLong(), shared.path("bytes_received").asLong(), "both answers: " + shared);
  }

  @Test
  @Order(2)
  void httpsProxyEnvironment_isHonouredByCurl() throws Exception {
    Output https =
        topology.sandbox().run(
            CLIENT_TIMEOUT, Map.of("HTTPS_PROXY", world.proxyUrl()),
            List.of("curl", "-sS", "-m", "10", "--cacert", world.ca(), "https://" + WWW + "/env"));
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());
    List<JsonNode> tunnels =
        world.allowdns().connections().awaitCount(r -> r.path("port").asInt() == 443 && "proxy".equals(r.path("path").asText()), 2, RECORD_WAIT);
    assertEquals(2, tunnels.size(), world.allowdns().connections().describe());
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
            "https://" + WWW + "/undici", world.proxyUrl());
    assertEquals("status 200\nhello from " + WWW, fetch.stdout().strip(), fetch.describe());
    List<JsonNode> tunnels =
        world.allowdns().connections().awaitCount(r -> r.path("port").asInt() == 443 && "proxy".equals(r.path("path").asText()), 3, RECORD_WAIT);
    assertEquals(3, tunnels.size(), "curl -x, HTTPS_PROXY and undici: " + world.allowdns().connections().describe());
  }

  @Test
  @Order(4)
  void blockedName_is403_withTheReasonVisibleInCurlVerbose() throws Exception {
    Output curl = world.curl("-v", "-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + BLOCKED + "/");
    assertFalse(curl.succeeded(), curl.describe());
    assertTrue(curl.stderr().contains("< HTTP/1.1 403 Forbidden"), curl.describe());
    assertTrue(curl.stderr().contains("< X-Allowdns-Reason: not_allowed"), curl.describe());
    Output body = world.curl("-x", world.proxyUrl(), "http://" + BLOCKED + "/");
    assertEquals("allowdns policy 'default': " + BLOCKED + " is not on the allowlist", body.stdout().strip(), body.describe());
    JsonNode record = world.awaitRecord(r -> BLOCKED.equals(r.path("domain").asText()));
    world.assertProxied(record, "blocked", "not_allowed");
    assertTrue(world.web().accessLog().stream().noneMatch(l -> l.contains(BLOCKED)), world.web().accessLog().toString());
  }

  @Test
  @Order(5)
  void ipLiteral_outsideIpRules_isRefused() throws Exception {
    String literal = topology.internetV4(UNNAMED);
    Output curl = world.curl("-v", "-x", world.proxyUrl(), "http://" + literal + "/");
    assertTrue(curl.stderr().contains("< HTTP/1.1 403 Forbidden"), curl.describe());
    JsonNode record = world.awaitRecord(r -> r.path("host").asText().startsWith(literal));
    world.assertProxied(record, "blocked", "not_allowed");
  }

  @Test
  @Order(6)
  void blockedSni_insideAnAllowedConnect_isRefused() throws Exception {
    Output openssl =
        topology.sandbox().run(
            CLIENT_TIMEOUT, Map.of(),
            List.of("sh", "-c", "echo | openssl s_client -proxy " + topology.hostSandboxSideV4() + ":" + PROXY_PORT
                + " -connect " + WWW + ":443 -servername " + BLOCKED + " -CAfile " + world.ca()));
    assertFalse(openssl.succeeded(), openssl.describe());
    assertTrue(openssl.stdout().contains("no peer certificate available"), "reset before the server spoke\n" + openssl.describe());
    JsonNode record = world.awaitRecord(r -> BLOCKED.equals(r.path("sni").asText()));
    world.assertProxied(record, "blocked", "sni_not_allowed");
    assertTrue(world.web().accessLog().stream().noneMatch(l -> l.contains(BLOCKED)), world.web().accessLog().toString());
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
        world.allowdns().connections().awaitCount(r -> "bad_request".equals(r.path("reason").asText()), 3, RECORD_WAIT);
    assertEquals(3, bad.size(), world.allowdns().connections().describe());
    Output after = world.curl("-x", world.proxyUrl(), "http://" + WWW + "/after");
    assertEquals("hello from " + WWW, after.stdout().strip(), after.describe());
  }

  @Test
  @Order(13)
  void nodeFetch_withoutProxySettings_isCaughtByTheTransparentPath() throws Exception {
    world.applyFirewall();
    Output fetch =
        node(
            "fetch(process.argv[1]).then(async r => { console.log('status ' + r.status);"
                + " console.log((await r.text()).trim()); })"
                + ".catch(e => { console.log('error ' + (e.cause ? e.cause.code || e.cause.message : e.message)); process.exit(3); });",
            "https://" + WWW + "/node-transparent");
    assertEquals("status 200\nhello from " + WWW, fetch.stdout().strip(), fetch.describe());
    JsonNode record =
        world.awaitRecord(r -> "transparent".equals(r.path("path").asText()) && WWW.equals(r.path("sni").asText()));
    assertEquals("allowed", record.path("result").asText(), record.toString());
    assertTrue(world.allowdns().connections().records().stream()
        .anyMatch(r -> "proxy".equals(r.path("path").asText()) && WWW.equals(r.path("sni").asText())),
        "the same fetch through undici's ProxyAgent was recorded with path proxy: " + world.allowdns().connections().describe());
  }

  /** Runs a Node.js script in the sandbox with undici on its module path and the test CA trusted. */
  private static Output node(String script, String... args) {
    List<String> command = new ArrayList<>(List.of("node", "-e", script));
    command.addAll(List.of(args));
    return topology.sandbox().run(
        CLIENT_TIMEOUT, Map.of("NODE_EXTRA_CA_CERTS", world.ca(), "NODE_PATH", globalNodeModules), command);
  }
}
