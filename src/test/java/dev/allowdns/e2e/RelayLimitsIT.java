package dev.allowdns.e2e;

import static dev.allowdns.e2e.LimitsWorld.CLIENT_TIMEOUT;
import static dev.allowdns.e2e.LimitsWorld.OPEN;
import static dev.allowdns.e2e.LimitsWorld.RECORD_WAIT;
import static dev.allowdns.e2e.LimitsWorld.SMALL_PORT;
import static dev.allowdns.e2e.LimitsWorld.WWW_HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Connection limits end to end ({@link LimitsWorld}): vm-a's connect loop and held connections
 * are refused past {@code connections_per_second} and {@code open_connections}, on both paths (a
 * reset, a {@code 429}), in summarised records ({@code count} per sandbox, limit and second),
 * while vm-b's curl works throughout; a reload changes a limit on the fly.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "nginx", "curl", "python3", "openssl"},
    packages = {"iproute2", "iptables", "nginx", "curl", "python3", "openssl"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayLimitsIT {
  private static LimitsWorld world;
  /** The world's, short for the tests. */
  private static SandboxTopology topology;
  private static AllowdnsInNamespace allowdns;
  private static String vmA;
  private static String vmB;

  @BeforeAll
  static void startTheWorld() throws Exception {
    world = new LimitsWorld();
    world.start();
    topology = world.topology();
    allowdns = world.allowdns();
    vmA = world.vmA();
    vmB = world.vmB();
  }

  @AfterAll
  static void tearDown() {
    world.close();
  }

  @Test
  @Order(1)
  void connectLoop_pastConnectionsPerSecond_isReset_inBoundedSummaries_whileVmBCurls() throws Exception {
    List<Output> vmBCurls;
    JsonNode done;
    try (CurlLoop vmBLoop = new CurlLoop(() -> world.curl(vmB, "http://" + topology.internetV4(WWW_HOST) + "/"))) {
      done = world.event(world.run("connect", SMALL_PORT, vmA, "--count", "150", "--interval", "0.01"), "done");
      vmBCurls = vmBLoop.stop();
    }
    int admitted = done.path("admitted").asInt();
    int reset = done.path("reset").asInt();
    assertEquals(0, done.path("other").size(), done.toString());
    assertEquals(150, admitted + reset, done.toString());
    // 10 at once (2 s of burst), then 5 a second for as long as the loop ran.
    double seconds = done.path("seconds").asDouble();
    assertTrue(admitted >= 10 && admitted <= 10 + 5 * seconds + 2, "admitted " + done);
    LimitsWorld.assertVmBWasServedThroughout(vmBCurls);

    List<JsonNode> summaries = world.awaitSummaries("vm-a", "rate_limited", reset);
    assertEquals(reset, LimitsWorld.sum(summaries), "every reset is counted once: " + summaries);
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
    assertTrue(world.metric("allowdns_limit_hits_total\\{limit=\"connections_per_second\",policy=\"tight\"\\}") >= reset);
  }

  @Test
  @Order(2)
  void heldOpen_pastOpenConnections_areReset_the429OnTheProxy_andPermitsComeBack() throws Exception {
    Thread.sleep(2_500); // vm-a's connections_per_second bucket fills again
    ChildProcess holder = world.hold(vmA, OPEN + 3);
    try {
      JsonNode holding = world.event(holder, "holding");
      assertEquals(OPEN, holding.path("admitted").asInt(), holding.toString());
      assertEquals(3, holding.path("reset").asInt(), holding.toString());
      assertEquals(3, LimitsWorld.sum(world.awaitSummaries("vm-a", "too_many_open", 3)));

      // The explicit proxy shares the budget: vm-a's seventh connection gets a 429 there.
      Output proxied = world.curl(vmA, "-x", world.proxyUrl(), "-i", "http://" + topology.internetV4(WWW_HOST) + "/");
      assertTrue(proxied.stdout().startsWith("HTTP/1.1 429"), proxied.describe());
      assertTrue(proxied.stdout().contains("X-Allowdns-Reason: too_many_open"), proxied.describe());
      assertTrue(proxied.stdout().contains("allowdns: sandbox vm-a is over open_connections 6"), proxied.describe());
      Output vmBProxied = world.curl(vmB, "-x", world.proxyUrl(), "http://" + topology.internetV4(WWW_HOST) + "/");
      assertTrue(vmBProxied.succeeded() && vmBProxied.stdout().startsWith("hello from"), vmBProxied.describe());
      assertTrue(world.curl(vmB, "http://" + topology.internetV4(WWW_HOST) + "/").succeeded(), "vm-b, transparent");
    } finally {
      holder.close();
    }
    // Each closed connection gave its permit back once: exactly OPEN fit again, not one more.
    Thread.sleep(2_500);
    ChildProcess again = world.hold(vmA, OPEN + 1);
    try {
      JsonNode holding = world.event(again, "holding");
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
                + " --interface " + vmA + " -x " + world.proxyUrl() + " http://" + topology.internetV4(WWW_HOST) + "/ & done;"
                + " wait; done");
    List<String> codes = loop.stdout().lines().toList();
    long ok = codes.stream().filter("200"::equals).count();
    long tooMany = codes.stream().filter("429"::equals).count();
    assertEquals(20, ok + tooMany, loop.describe());
    assertTrue(ok >= 10 && tooMany >= 5, "10 at once, then 5 a second: " + codes);
    List<JsonNode> summaries = world.awaitSummaries("vm-a", "rate_limited", (int) tooMany, "proxy");
    assertEquals(tooMany, LimitsWorld.sum(summaries), summaries.toString());
  }

  @Test
  @Order(6)
  void reload_changesOpenConnections_onTheFly() throws Exception {
    world.reload(world.config(2));
    Thread.sleep(2_500);
    ChildProcess holder = world.hold(vmA, 4);
    try {
      JsonNode holding = world.event(holder, "holding");
      assertEquals(2, holding.path("admitted").asInt(), "the reloaded limit:\n" + allowdns.describe());
      assertEquals(2, holding.path("reset").asInt(), holding.toString());
    } finally {
      holder.close();
    }
  }
}
