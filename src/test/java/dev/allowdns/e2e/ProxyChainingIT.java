package dev.allowdns.e2e;

import static dev.allowdns.e2e.ProxyWorld.CLIENT_TIMEOUT;
import static dev.allowdns.e2e.ProxyWorld.CORP;
import static dev.allowdns.e2e.ProxyWorld.CORP_HOST;
import static dev.allowdns.e2e.ProxyWorld.DOWN;
import static dev.allowdns.e2e.ProxyWorld.HIDDEN;
import static dev.allowdns.e2e.ProxyWorld.RECORD_WAIT;
import static dev.allowdns.e2e.ProxyWorld.SQUID_PORT;
import static dev.allowdns.e2e.ProxyWorld.SQUID_WRONG_PORT;
import static dev.allowdns.e2e.ProxyWorld.WRONG;
import static dev.allowdns.e2e.ProxyWorld.WWW;
import static dev.allowdns.e2e.ProxyWorld.lastLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Chaining through the corporate parent (Squid with Basic auth), end to end in a {@link
 * ProxyWorld}: CONNECT and absolute form through Squid on the explicit proxy, wrong credentials
 * ({@code 407}), a parent where nothing listens, a {@code synthesize} zone only Squid can resolve;
 * then, with allowdns's firewall applied, the transparent path through Squid, and a stopped Squid
 * ({@code proxy_unreachable}), last since it stops Squid. The explicit proxy on its own is {@link
 * ProxyDirectIT}.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "knotd", "nginx", "curl", "openssl", "python3", "squid"},
    packages = {"iproute2", "iptables", "knot", "nginx", "curl", "openssl", "python3", "squid"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyChainingIT {
  private static ProxyWorld world;
  /** {@code world.topology()}, short for the tests. */
  private static SandboxTopology topology;

  @BeforeAll
  static void startTheWorld() throws Exception {
    world = new ProxyWorld();
    world.start();
    topology = world.topology();
  }

  @AfterAll
  static void tearDown() {
    world.close();
  }

  @Test
  @Order(8)
  void throughSquid_connectAndAbsoluteForm_workAndSquidSeesThem() throws Exception {
    Output https = world.curl("-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + CORP + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + CORP, https.stdout().strip());
    JsonNode tunnel = world.awaitRecord(r -> r.path("port").asInt() == 443 && CORP.equals(r.path("domain").asText()));
    world.assertProxied(tunnel, "allowed", null);
    assertEquals(world.squidAt(SQUID_PORT), tunnel.path("via").asText(), tunnel.toString());
    assertTrue(tunnel.path("dst_ip").isNull(), "only the parent resolved the name: " + tunnel);

    Output http = world.curl("-x", world.proxyUrl(), "-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + CORP + "/plain");
    assertTrue(http.succeeded(), http.describe());
    assertEquals("hello from " + CORP, http.stdout().lines().findFirst().orElse(""), http.describe());
    String[] sizes = lastLine(http).split(" ");
    JsonNode plain = world.awaitRecord(r -> r.path("port").asInt() == 80 && CORP.equals(r.path("domain").asText()));
    assertEquals(world.squidAt(SQUID_PORT), plain.path("via").asText(), plain.toString());
    assertEquals(Long.parseLong(sizes[0]), plain.path("bytes_sent").asLong(), "exact through the parent: " + plain);
    assertEquals(Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]), plain.path("bytes_received").asLong(), plain.toString());

    List<String> log = world.squid().accessLog();
    assertTrue(log.stream().anyMatch(l -> l.contains("CONNECT " + CORP + ":443") && l.contains(" builder ")), "Squid: " + log);
    assertTrue(log.stream().anyMatch(l -> l.contains("GET http://" + CORP + "/plain") && l.contains(" builder ")), "Squid: " + log);
    assertFalse(String.join("\n", Files.readAllLines(world.allowdns().logDir().resolve("connections.jsonl"))).contains("s3cret"));
  }

  @Test
  @Order(9)
  void wrongCredentials_areProxyRefused_with407() throws Exception {
    Output curl = world.curl("-v", "-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + WRONG + "/");
    assertTrue(curl.stderr().contains("< HTTP/1.1 502 Bad Gateway"), curl.describe());
    assertTrue(curl.stderr().contains("< X-Allowdns-Reason: proxy_refused"), curl.describe());
    JsonNode record = world.awaitRecord(r -> WRONG.equals(r.path("domain").asText()));
    world.assertProxied(record, "blocked", "proxy_refused");
    assertEquals(407, record.path("proxy_status").asInt(), record.toString());
    assertEquals(world.squidAt(SQUID_WRONG_PORT), record.path("via").asText(), record.toString());
  }

  @Test
  @Order(10)
  void unreachableParent_isProxyUnreachable() throws Exception {
    Output curl = world.curl("-v", "-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + DOWN + "/");
    assertTrue(curl.stderr().contains("< X-Allowdns-Reason: proxy_unreachable"), curl.describe());
    JsonNode record = world.awaitRecord(r -> DOWN.equals(r.path("domain").asText()));
    world.assertProxied(record, "blocked", "proxy_unreachable");
    assertTrue(record.path("proxy_status").isNull(), record.toString());
  }

  @Test
  @Order(11)
  void synthesizeZone_throughTheExplicitProxy_needsNoUpstreamAnswer() throws Exception {
    Output upstream = topology.sandbox().run(CLIENT_TIMEOUT, "dig", "+time=3", "+tries=1", "@" + topology.internetV4(2), HIDDEN, "A");
    assertFalse(upstream.stdout().contains("status: NOERROR"), "control: the upstream cannot resolve it\n" + upstream.describe());
    Output https = world.curl("-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + HIDDEN + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + HIDDEN, https.stdout().strip());
    JsonNode record = world.awaitRecord(r -> HIDDEN.equals(r.path("domain").asText()) && "proxy".equals(r.path("path").asText()));
    world.assertProxied(record, "allowed", null);
    assertEquals(world.squidAt(SQUID_PORT), record.path("via").asText(), record.toString());
  }

  @Test
  @Order(12)
  void transparentPath_throughSquid_tunnelsHttpsAndSendsHttpInAbsoluteForm_withExactBytes() throws Exception {
    world.applyFirewall();
    // The firewall opens the explicit proxy's port: it is not redirected to the relay.
    Output explicit = world.curl("-x", world.proxyUrl(), "--cacert", world.ca(), "https://" + WWW + "/behind-the-firewall");
    assertEquals("hello from " + WWW, explicit.stdout().strip(), explicit.describe());

    Output https = world.curl("--cacert", world.ca(), "https://" + CORP + "/transparent");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + CORP, https.stdout().strip());
    JsonNode tunnel =
        world.awaitRecord(r -> "transparent".equals(r.path("path").asText()) && r.path("port").asInt() == 443);
    assertEquals("allowed", tunnel.path("result").asText(), tunnel.toString());
    assertEquals(world.squidAt(SQUID_PORT), tunnel.path("via").asText(), tunnel.toString());
    assertEquals(topology.internetV4(CORP_HOST), tunnel.path("dst_ip").asText(), "what the sandbox connected to: " + tunnel);

    Output http = world.curl("-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + CORP + "/absolute");
    assertTrue(http.succeeded(), http.describe());
    assertEquals("hello from " + CORP, http.stdout().lines().findFirst().orElse(""), http.describe());
    String[] sizes = lastLine(http).split(" ");
    JsonNode plain =
        world.awaitRecord(r -> "transparent".equals(r.path("path").asText()) && r.path("port").asInt() == 80);
    assertEquals("allowed", plain.path("result").asText(), plain.toString());
    assertEquals(world.squidAt(SQUID_PORT), plain.path("via").asText(), plain.toString());
    assertEquals(Long.parseLong(sizes[0]), plain.path("bytes_sent").asLong(), "as the sandbox sent it: " + plain);
    assertEquals(Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]), plain.path("bytes_received").asLong(), plain.toString());
    List<String> log = world.squid().accessLog();
    assertTrue(log.stream().anyMatch(l -> l.contains("GET http://" + CORP + "/absolute")), "absolute form at Squid: " + log);
    assertTrue(log.stream().anyMatch(l -> l.contains("CONNECT " + CORP + ":443")), "Squid: " + log);

    Output refused = world.curl("http://" + WRONG + "/transparent-407");
    assertFalse(refused.stdout().contains("hello from"), refused.describe());
    JsonNode proxyRefused =
        world.awaitRecord(r -> "transparent".equals(r.path("path").asText()) && WRONG.equals(r.path("domain").asText()));
    assertEquals("blocked", proxyRefused.path("result").asText(), proxyRefused.toString());
    assertEquals("proxy_refused", proxyRefused.path("reason").asText(), proxyRefused.toString());
    assertEquals(407, proxyRefused.path("proxy_status").asInt(), proxyRefused.toString());

    Output direct = world.curl("--cacert", world.ca(), "https://" + WWW + "/transparent-direct");
    assertTrue(direct.succeeded(), direct.describe());
    JsonNode noProxy =
        world.awaitRecord(r -> "transparent".equals(r.path("path").asText()) && WWW.equals(r.path("domain").asText()));
    assertTrue(noProxy.path("via").isNull(), "no_proxy goes direct: " + noProxy);
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

    Output https = world.curl("-4", "--cacert", world.ca(), "https://" + HIDDEN + "/transparent");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + HIDDEN, https.stdout().strip());
    JsonNode record =
        world.awaitRecord(r -> HIDDEN.equals(r.path("domain").asText()) && "transparent".equals(r.path("path").asText()));
    assertEquals("allowed", record.path("result").asText(), record.toString());
    assertEquals(synthetic, record.path("dst_ip").asText(), record.toString());
    assertEquals(world.squidAt(SQUID_PORT), record.path("via").asText(), record.toString());
    JsonNode query =
        world.allowdns().queries().await(q -> HIDDEN.equals(q.path("name").asText()), RECORD_WAIT).orElseThrow();
    assertEquals("synthesized", query.path("upstream").asText(), query.toString());
  }

  @Test
  @Order(20)
  void stoppedSquid_isProxyUnreachable() throws Exception {
    world.squid().stop();
    Output curl = world.curl("--cacert", world.ca(), "https://" + CORP + "/stopped");
    assertFalse(curl.succeeded(), curl.describe());
    JsonNode record =
        world.awaitRecord(r -> CORP.equals(r.path("domain").asText()) && "proxy_unreachable".equals(r.path("reason").asText()));
    assertEquals("blocked", record.path("result").asText(), record.toString());
    assertEquals("transparent", record.path("path").asText(), record.toString());
    assertTrue(record.path("proxy_status").isNull(), "the parent was not reached: " + record);
  }
}
