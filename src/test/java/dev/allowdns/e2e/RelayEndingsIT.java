package dev.allowdns.e2e;

import static dev.allowdns.e2e.RelayWorld.BYTES;
import static dev.allowdns.e2e.RelayWorld.BYTES_HOST;
import static dev.allowdns.e2e.RelayWorld.CLIENT_TIMEOUT;
import static dev.allowdns.e2e.RelayWorld.CLOSED_PORT;
import static dev.allowdns.e2e.RelayWorld.HOLD_PORT;
import static dev.allowdns.e2e.RelayWorld.IDLE_PORT;
import static dev.allowdns.e2e.RelayWorld.RECORD_WAIT;
import static dev.allowdns.e2e.RelayWorld.RELAY_CONNECT_TIMEOUT;
import static dev.allowdns.e2e.RelayWorld.RELAY_IDLE_TIMEOUT;
import static dev.allowdns.e2e.RelayWorld.RULE;
import static dev.allowdns.e2e.RelayWorld.SERVER_SENDS;
import static dev.allowdns.e2e.RelayWorld.SILENT_PORT;
import static dev.allowdns.e2e.RelayWorld.assertBlockedRecord;
import static dev.allowdns.e2e.RelayWorld.assertRefusedAtOnce;
import static dev.allowdns.e2e.RelayWorld.port;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.time.Duration;
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
 * How relayed connections end, end to end in a {@link RelayWorld}: the sandbox gives up, the
 * destination refuses or stays silent ({@code connect_failed}), the connection idles past
 * {@code --relay-idle-timeout}, and SIGTERM with connections open (a record for each, reason
 * {@code shutdown}). The SIGTERM case stops allowdns, so it runs last. Verdicts and names are
 * {@link RelayEndToEndIT}.
 */
@RequiresNetworkNamespaces(
    programs = {
      "ip", "iptables", "ip6tables", "knotd", "nginx", "curl", "dig", "node", "python3", "openssl"
    },
    packages = {
      "iproute2", "iptables", "knot", "nginx", "curl", "bind9-dnsutils", "nodejs", "python3",
      "openssl"
    })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayEndingsIT {
  private static RelayWorld world;
  /** {@code world.topology()}, short for the tests. */
  private static SandboxTopology topology;

  @BeforeAll
  static void startTheWorld() throws Exception {
    world = new RelayWorld();
    world.start();
    topology = world.topology();
  }

  @AfterAll
  static void tearDown() {
    world.close();
  }

  @Test
  @Order(10)
  void sandboxGivingUpWhileTheDestinationIsSilent_isRecordedAsSandboxClosed() throws Exception {
    dropSynsTo(SILENT_PORT);

    // The client's handshake is with the relay, so it connects at once; it sends a request, then
    // gives up before the destination answers and resets the connection (SO_LINGER 0).
    String giveUp =
        "import socket, struct, time\n"
            + "s = socket.create_connection(('" + BYTES + "', " + SILENT_PORT + "), timeout=5)\n"
            + "s.sendall(b'GET / HTTP/1.1\\r\\nHost: " + BYTES + "\\r\\n\\r\\n')\n"
            + "time.sleep(0.5)\n"
            + "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
            + "s.close()\n";
    Output client = world.sandbox("python3", "-c", giveUp);
    assertTrue(client.succeeded(), client.describe());

    JsonNode record = world.awaitRecord(r -> port(r, SILENT_PORT));
    assertEquals("allowed", record.path("result").asText(), "not refused by policy: " + record);
    assertEquals("sandbox_closed", record.path("reason").asText(), record.toString());
    assertEquals(BYTES, record.path("domain").asText(), record.toString());
    assertEquals(0, record.path("bytes_received").asLong(), record.toString());
    assertEquals(
        ("GET / HTTP/1.1\r\nHost: " + BYTES + "\r\n\r\n").length(),
        record.path("bytes_sent").asLong(),
        "the peeked request counts: " + record);
    assertTrue(record.path("duration_ms").asLong() < 5_000, "not the connect timeout: " + record);
  }

  @Test
  @Order(11)
  void destinationRefusing_isRecordedAsConnectFailed_andTheSandboxIsReset() throws Exception {
    Output curl = world.curl("http://" + BYTES + ":" + CLOSED_PORT + "/");
    assertRefusedAtOnce(curl);

    JsonNode record = world.awaitRecord(r -> port(r, CLOSED_PORT));
    assertBlockedRecord(record, "connect_failed", CLOSED_PORT, topology.sandboxV4());
    assertEquals(BYTES, record.path("domain").asText(), "the policy allowed it: " + record);
    assertEquals(RULE, record.path("allowlist_rule").asText(), record.toString());
    assertEquals(0, record.path("bytes_received").asLong(), record.toString());
  }

  @Test
  @Order(12)
  void destinationSilent_isRecordedAsConnectFailed_afterTheConnectTimeout() throws Exception {
    dropSynsTo(SILENT_PORT);
    Output curl = world.curl("http://" + BYTES + ":" + SILENT_PORT + "/");
    assertRefusedAtOnce(curl);

    JsonNode record =
        world.awaitRecord(r -> port(r, SILENT_PORT) && "connect_failed".equals(r.path("reason").asText()));
    assertBlockedRecord(record, "connect_failed", SILENT_PORT, topology.sandboxV4());
    assertEndedAfter(RELAY_CONNECT_TIMEOUT, "--relay-connect-timeout", record);
  }

  @Test
  @Order(13)
  void idleConnection_isClosedAfterTheIdleTimeout_withExactBytes() throws Exception {
    int sends = 777;
    Output client =
        world.sandbox(
            "python3", world.byteClient().toString(), "tcp", BYTES, Integer.toString(IDLE_PORT),
            "--send", Integer.toString(sends), "--hold", "30", "--expect", Integer.toString(SERVER_SENDS));
    assertTrue(client.succeeded(), client.describe());
    assertTrue(client.stdout().contains("\"holding\""), "the exchange finished first\n" + client.describe());
    assertTrue(
        client.stdout().contains("\"event\": \"done\", \"sent\": " + sends + ", \"received\": " + SERVER_SENDS + ", \"error\": null"),
        "the relay ended the connection (EOF) long before the client's 30 s\n" + client.describe());

    JsonNode record = world.awaitRecord(r -> port(r, IDLE_PORT));
    assertEquals("allowed", record.path("result").asText(), record.toString());
    assertEquals("idle_timeout", record.path("reason").asText(), record.toString());
    assertEquals(sends, record.path("bytes_sent").asLong(), record.toString());
    assertEquals(SERVER_SENDS, record.path("bytes_received").asLong(), record.toString());
    assertEndedAfter(RELAY_IDLE_TIMEOUT, "--relay-idle-timeout", record);
  }

  @Test
  @Order(100)
  void sigterm_withConnectionsOpen_writesEveryRecord() throws Exception {
    int connections = 5;
    int sends = 1000;
    List<ChildProcess> clients = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      clients.add(
          topology.sandbox().start(
              "hold-client-" + i,
              world.dir(),
              Map.of(),
              List.of("python3", world.byteClient().toString(), "tcp", BYTES, Integer.toString(HOLD_PORT),
                  "--send", Integer.toString(sends), "--hold", "60",
                  "--expect", Integer.toString(SERVER_SENDS))));
    }
    for (ChildProcess client : clients) {
      assertTrue(
          client.awaitStdoutLine(line -> line.contains("\"holding\""), CLIENT_TIMEOUT).isPresent(),
          "client holds its connection open after the exchange\n" + client.describe());
    }
    assertTrue(
        world.byteService().await(
            s -> s.events("recv", HOLD_PORT).stream()
                    .filter(e -> e.path("total").asInt() == sends)
                    .map(e -> e.path("peer").asText())
                    .distinct()
                    .count() == connections,
            RECORD_WAIT),
        "the server received every client's bytes\n" + world.byteService().describe());
    assertTrue(
        world.allowdns().connections().records().stream().noneMatch(r -> port(r, HOLD_PORT)),
        "no record before the connections close\n" + world.allowdns().connections().describe());

    world.allowdns().signal("TERM");
    assertTrue(
        world.allowdns().awaitExit(Duration.ofSeconds(30)).isPresent(),
        "allowdns exits after SIGTERM\n" + world.allowdns().describe());

    List<JsonNode> records =
        world.allowdns().connections().records().stream().filter(r -> port(r, HOLD_PORT)).toList();
    assertEquals(
        connections, records.size(), "one record per open connection\n" + world.allowdns().connections().describe());
    for (JsonNode record : records) {
      assertEquals(BYTES, record.path("domain").asText(), record.toString());
      assertEquals("allowed", record.path("result").asText(), record.toString());
      // Held for 60 s, cut when the 2 s grace ran out: the record says so.
      assertEquals("shutdown", record.path("reason").asText(), record.toString());
      assertEquals(sends, record.path("bytes_sent").asLong(), "bytes_sent: " + record);
      assertEquals(SERVER_SENDS, record.path("bytes_received").asLong(), "bytes_received: " + record);
    }
  }

  /** Makes the byte service's address drop every SYN to {@code port}: a destination that never answers. */
  private static void dropSynsTo(int port) {
    List<String> rule =
        List.of("INPUT", "-p", "tcp", "-d", topology.internetV4(BYTES_HOST), "--dport", Integer.toString(port), "-j", "DROP");
    Output present = topology.internet().run(CLIENT_TIMEOUT, Map.of(), iptables("-C", rule));
    if (!present.succeeded()) {
      Output drop = topology.internet().run(CLIENT_TIMEOUT, Map.of(), iptables("-I", rule));
      assertTrue(drop.succeeded(), drop.describe());
    }
  }

  private static List<String> iptables(String action, List<String> rule) {
    List<String> command = new ArrayList<>(List.of("iptables", action));
    command.addAll(rule);
    return command;
  }

  /** Asserts the connection lasted the timeout {@code flag} set, and not much longer. */
  private static void assertEndedAfter(Duration timeout, String flag, JsonNode record) {
    long duration = record.path("duration_ms").asLong();
    assertTrue(
        duration >= timeout.toMillis() && duration < timeout.toMillis() + 4_000,
        "ended when " + flag + " " + timeout.toSeconds() + "s ran out: " + record);
  }
}
