package dev.allowdns.e2e;

import static dev.allowdns.e2e.RelayWorld.API;
import static dev.allowdns.e2e.RelayWorld.API_HOST;
import static dev.allowdns.e2e.RelayWorld.BLOCKED;
import static dev.allowdns.e2e.RelayWorld.BYTES;
import static dev.allowdns.e2e.RelayWorld.BYTES_HOST;
import static dev.allowdns.e2e.RelayWorld.BYTES_PORT;
import static dev.allowdns.e2e.RelayWorld.CLIENT_SENDS;
import static dev.allowdns.e2e.RelayWorld.NODE;
import static dev.allowdns.e2e.RelayWorld.NODE_HOST;
import static dev.allowdns.e2e.RelayWorld.RECORD_WAIT;
import static dev.allowdns.e2e.RelayWorld.SERVER_SENDS;
import static dev.allowdns.e2e.RelayWorld.UDP_PORT;
import static dev.allowdns.e2e.RelayWorld.UNNAMED;
import static dev.allowdns.e2e.RelayWorld.UNNAMED_FOR_NODE;
import static dev.allowdns.e2e.RelayWorld.WWW;
import static dev.allowdns.e2e.RelayWorld.WWW_HOST;
import static dev.allowdns.e2e.RelayWorld.ZONE;
import static dev.allowdns.e2e.RelayWorld.allowed;
import static dev.allowdns.e2e.RelayWorld.assertAllowedRecord;
import static dev.allowdns.e2e.RelayWorld.assertBlockedRecord;
import static dev.allowdns.e2e.RelayWorld.assertRefusedAtOnce;
import static dev.allowdns.e2e.RelayWorld.dst;
import static dev.allowdns.e2e.RelayWorld.port;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.netns.ByteService;
import dev.allowdns.testing.netns.JsonLinesLog;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The relay's verdicts and the names it checks, end to end in a {@link RelayWorld}: curl, Node.js
 * and raw sockets in the sandbox; allowed and blocked names, IP literals, SNI, IPv6, DNS sent to
 * another resolver, UDP; and names that cannot be checked (two Host headers, two SNI host names, a
 * ClientHello dripped past the peek timeout). How connections end is {@link RelayEndingsIT}.
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
class RelayEndToEndIT {
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
  @Order(1)
  void curlHttpAndHttps_toAllowedName_areRelayedAndRecorded() throws Exception {
    // curl reports what it sent and received on the wire; plain HTTP has no other bytes.
    Output http = world.curl("-4", "-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + WWW + "/");
    assertTrue(http.succeeded(), http.describe());
    List<String> lines = http.stdout().lines().toList();
    assertEquals("hello from " + WWW, lines.get(0), http.describe());
    String[] sizes = lines.get(lines.size() - 1).split(" ");
    long requestBytes = Long.parseLong(sizes[0]);
    long responseBytes = Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]);

    Output https = world.curl("-4", "--cacert", world.ca(), "https://" + WWW + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());

    JsonNode httpRecord =
        world.awaitRecord(r -> port(r, 80) && dst(r, topology.internetV4(WWW_HOST)) && allowed(r));
    assertAllowedRecord(httpRecord, WWW, 80, "http", topology.sandboxV4(), topology.internetV4(WWW_HOST));
    assertTrue(httpRecord.has("sni") && httpRecord.get("sni").isNull(), "http has no SNI: " + httpRecord);
    assertEquals(requestBytes, httpRecord.path("bytes_sent").asLong(), "curl's request: " + httpRecord);
    assertEquals(responseBytes, httpRecord.path("bytes_received").asLong(), "curl's response: " + httpRecord);

    JsonNode httpsRecord =
        world.awaitRecord(r -> port(r, 443) && dst(r, topology.internetV4(WWW_HOST)) && allowed(r));
    assertAllowedRecord(
        httpsRecord, WWW, 443, "https", topology.sandboxV4(), topology.internetV4(WWW_HOST));
    assertEquals(WWW, httpsRecord.path("sni").asText(), httpsRecord.toString());
    assertTrue(
        world.web().accessLog().contains(topology.internetV4(WWW_HOST) + " 443 " + WWW + " " + WWW + " 200"),
        "nginx saw the HTTPS request with its SNI: " + world.web().accessLog());
  }

  @Test
  @Order(2)
  void byteService_countsExactPayloadBytesBothWays() throws Exception {
    Output client =
        world.sandbox("python3", world.byteClient().toString(), "tcp", BYTES, Integer.toString(BYTES_PORT),
            "--send", Integer.toString(CLIENT_SENDS));
    JsonNode done = lastEvent(client, "done");
    assertEquals(CLIENT_SENDS, done.path("sent").asInt(), client.describe());
    assertEquals(SERVER_SENDS, done.path("received").asInt(), client.describe());
    assertTrue(done.path("error").isNull(), client.describe());

    assertTrue(
        world.byteService().await(s -> !s.events("eof", BYTES_PORT).isEmpty(), RECORD_WAIT),
        world.byteService().describe());
    JsonNode eof = world.byteService().events("eof", BYTES_PORT).get(0);
    assertEquals(CLIENT_SENDS, eof.path("received").asInt(), "server side: " + eof);
    assertEquals(SERVER_SENDS, eof.path("sent").asInt(), "server side: " + eof);

    JsonNode record = world.awaitRecord(r -> port(r, BYTES_PORT));
    assertAllowedRecord(
        record, BYTES, BYTES_PORT, "tcp", topology.sandboxV4(), topology.internetV4(BYTES_HOST));
    assertEquals(CLIENT_SENDS, record.path("bytes_sent").asLong(), "bytes_sent: " + record);
    assertEquals(SERVER_SENDS, record.path("bytes_received").asLong(), "bytes_received: " + record);
  }

  @Test
  @Order(3)
  void blockedName_isNxdomain_andCurlCannotResolveIt() throws Exception {
    Output dig = world.sandbox("dig", "+time=3", "+tries=1", BLOCKED, "A");
    assertTrue(dig.succeeded(), dig.describe());
    assertTrue(dig.stdout().contains("status: NXDOMAIN"), dig.describe());
    assertTrue(dig.stdout().contains("EDE: 15 (Blocked)"), "the answer says why:\n" + dig.describe());

    Output curl = world.curl("--cacert", world.ca(), "https://" + BLOCKED + "/");
    assertEquals(6, curl.exitCode(), "curl exit 6 = could not resolve host\n" + curl.describe());
    assertTrue(curl.stderr().contains("Could not resolve host"), curl.describe());
    assertTrue(
        world.web().accessLog().stream().noneMatch(line -> line.contains(" " + BLOCKED + " ")),
        "nginx never saw " + BLOCKED + ": " + world.web().accessLog());
  }

  @Test
  @Order(4)
  void ipLiteral_withoutDnsAnswer_isRefusedAndRecorded() throws Exception {
    String literal = topology.internetV4(UNNAMED);
    long servedBefore = world.servedOn(literal);
    Output curl = world.curl("http://" + literal + "/");
    assertRefusedAtOnce(curl);

    JsonNode record = world.awaitRecord(r -> dst(r, literal) && port(r, 80));
    assertBlockedRecord(record, "no_dns_answer", 80, topology.sandboxV4());
    assertEquals(servedBefore, world.servedOn(literal), "nginx served nothing more on " + literal);
  }

  @Test
  @Order(5)
  void allowedIp_withBlockedSni_isRefused_sniNotAllowed() throws Exception {
    Output dig = world.sandbox("dig", "+time=3", "+tries=1", "+short", API, "A");
    assertEquals(topology.internetV4(API_HOST), dig.stdout().strip(), dig.describe());
    Output control = world.curl("-4", "--cacert", world.ca(), "https://" + API + "/");
    assertTrue(control.succeeded(), "control: the allowed name reaches this IP\n" + control.describe());

    Output curl =
        world.curl("--cacert", world.ca(), "--resolve", BLOCKED + ":443:" + topology.internetV4(API_HOST),
            "https://" + BLOCKED + "/");
    assertRefusedAtOnce(curl);

    JsonNode record =
        world.awaitRecord(r -> dst(r, topology.internetV4(API_HOST)) && BLOCKED.equals(r.path("sni").asText()));
    assertBlockedRecord(record, "sni_not_allowed", 443, topology.sandboxV4());
    assertTrue(
        world.web().accessLog().stream().noneMatch(line -> line.contains(" " + BLOCKED + " ")),
        "nginx never saw " + BLOCKED + ": " + world.web().accessLog());
  }

  @Test
  @Order(6)
  void dnsSentToAnotherResolver_isAnsweredByAllowdns() throws Exception {
    Output www = world.sandbox("dig", "+time=3", "+tries=1", "+short", "@10.99.99.99", WWW, "A");
    assertTrue(www.succeeded(), www.describe());
    assertEquals(topology.internetV4(WWW_HOST), www.stdout().strip(), www.describe());

    // knotd itself would answer this name; only allowdns says NXDOMAIN.
    Output direct =
        world.sandbox("dig", "+time=3", "+tries=1", "@" + topology.internetV4(2), BLOCKED, "A");
    assertTrue(direct.stdout().contains("status: NXDOMAIN"), direct.describe());

    String probe = "probe-" + topology.suffix() + "." + ZONE;
    Output probeDig = world.sandbox("dig", "+time=3", "+tries=1", "@10.99.99.99", probe, "A");
    assertTrue(probeDig.stdout().contains("status: NXDOMAIN"), probeDig.describe());
    JsonLinesLog queries = world.allowdns().queries();
    Optional<JsonNode> logged =
        queries.await(
            q -> probe.equals(q.path("name").asText().replaceAll("\\.$", ""))
                && topology.sandboxV4().equals(q.path("client_ip").asText()),
            RECORD_WAIT);
    assertTrue(logged.isPresent(), "allowdns logged the query sent to 10.99.99.99\n" + queries.describe());
    assertEquals("blocked", logged.get().path("result").asText(), logged.get().toString());
  }

  @Test
  @Order(7)
  void node_fetchOfAllowedNameWorks_ipLiteralIsRefused() throws Exception {
    Output allowed = world.nodeFetch("https://" + NODE + "/");
    assertTrue(allowed.succeeded(), allowed.describe());
    assertEquals("status 200\nhello from " + NODE, allowed.stdout().strip(), allowed.describe());
    JsonNode record = world.awaitRecord(r -> dst(r, topology.internetV4(NODE_HOST)));
    assertAllowedRecord(record, NODE, 443, "https", topology.sandboxV4(), topology.internetV4(NODE_HOST));
    assertEquals(NODE, record.path("sni").asText(), record.toString());

    String literal = topology.internetV4(UNNAMED_FOR_NODE);
    long servedBefore = world.servedOn(literal);
    Output refused = world.nodeHttpGet("http://" + literal + "/");
    assertEquals("error ECONNRESET", refused.stdout().strip(), refused.describe());
    JsonNode blocked = world.awaitRecord(r -> dst(r, literal));
    assertBlockedRecord(blocked, "no_dns_answer", 80, topology.sandboxV4());
    assertEquals(servedBefore, world.servedOn(literal), "nginx served nothing on " + literal);
  }

  @Test
  @Order(8)
  void ipv6_getsTheSameVerdicts() throws Exception {
    Output https = world.curl("-6", "--cacert", world.ca(), "https://" + WWW + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());
    JsonNode record = world.awaitRecord(r -> dst(r, topology.internetV6(WWW_HOST)) && port(r, 443));
    assertAllowedRecord(
        record, WWW, 443, "https", topology.sandboxV6(), topology.internetV6(WWW_HOST));
    assertEquals(WWW, record.path("sni").asText(), record.toString());

    String literal = topology.internetV6(UNNAMED);
    long servedBefore = world.servedOn(literal);
    Output refused = world.curl("-g", "http://[" + literal + "]/");
    assertRefusedAtOnce(refused);
    JsonNode blocked = world.awaitRecord(r -> dst(r, literal));
    assertBlockedRecord(blocked, "no_dns_answer", 80, topology.sandboxV6());
    assertEquals(servedBefore, world.servedOn(literal), "nginx served nothing more on " + literal);

    Output dig = world.sandbox("dig", "-6", "+time=3", "+tries=1", "@" + topology.internetV6(2), BLOCKED, "A");
    assertTrue(dig.stdout().contains("status: NXDOMAIN"), "DNS over IPv6 goes to allowdns too\n" + dig.describe());
  }

  @Test
  @Order(9)
  void udpToOtherPorts_getsNothingThrough() throws Exception {
    for (String target : List.of(topology.internetV4(BYTES_HOST), topology.internetV6(BYTES_HOST))) {
      Output udp =
          world.sandbox("python3", world.byteClient().toString(), "udp", target, Integer.toString(UDP_PORT),
              "--count", "5");
      // A rejected datagram may make sendto fail (ICMP unreachable); either way nothing may arrive.
      assertFalse(udp.timedOut(), udp.describe());
    }
    Thread.sleep(1500);
    assertEquals(
        world.udpDatagramsBeforeFirewall(),
        world.byteService().events("udp", UDP_PORT).size(),
        "datagrams reached the internet namespace:\n" + world.byteService().describe());
  }

  @Test
  @Order(14)
  void uncheckableNames_twoHostHeaders_twoSniHostNames_aDrippedClientHello_areRefused() throws Exception {
    String ip = topology.internetV4(WWW_HOST);
    Output dig = world.sandbox("dig", "+time=3", "+tries=1", "+short", WWW, "A");
    assertEquals(ip, dig.stdout().strip(), "the ledger knows " + WWW + "\n" + dig.describe());

    // curl sends one Host header however many -H say: the request is written raw.
    String request = "GET / HTTP/1.1\r\nHost: " + WWW + "\r\nHost: " + BLOCKED + "\r\nConnection: close\r\n\r\n";
    Output http = world.sandbox("python3", "-c", SEND_RAW, ip, "80", request);
    assertTrue(List.of("reset", "closed").contains(http.stdout().strip()), "refused: " + http.describe());
    JsonNode httpRecord =
        world.awaitRecord(r -> dst(r, ip) && port(r, 80) && "host_not_allowed".equals(r.path("reason").asText()));
    assertBlockedRecord(httpRecord, "host_not_allowed", 80, topology.sandboxV4());
    assertEquals("2 Host headers that differ: " + WWW + ", " + BLOCKED, httpRecord.path("detail").asText(), httpRecord.toString());
    // A Host sent after 16 KiB of other headers, and a head dripped past the peek timeout: both
    // names would be unread. (A whole head that arrives at once is read to its end, however long.)
    String padding = "X-Pad: " + "a".repeat(1_000) + "\r\n";
    Output longHead = world.sandbox("python3", "-c", SEND_RAW, ip, "80",
        "GET / HTTP/1.1\r\n" + padding.repeat(17), "0.5", "Host: " + BLOCKED + "\r\n\r\n");
    assertTrue(List.of("reset", "closed").contains(longHead.stdout().strip()), "refused: " + longHead.describe());
    assertUncheckable(ip, 80, "host_not_allowed", "no complete request head within 16384 bytes");
    Output dripped = world.sandbox("python3", "-c", SEND_RAW, ip, "80", "GET / HTTP/1.1\r\n", "3", "Host: " + BLOCKED + "\r\n\r\n");
    assertTrue(List.of("reset", "closed").contains(dripped.stdout().strip()), "refused: " + dripped.describe());
    assertUncheckable(ip, 80, "host_not_allowed", "no complete request head within 2000 ms");

    // RFC 6066 §3 allows one host_name; no TLS library sends two, so the ClientHello is built.
    Path hello = Path.of("bench/fuzz/client_hello.py").toAbsolutePath();
    Output tls = world.sandbox("python3", hello.toString(), "--connect", ip, "443", WWW, BLOCKED);
    assertTrue(List.of("reset", "closed").contains(tls.stdout().strip()), "refused: " + tls.describe());
    JsonNode tlsRecord =
        world.awaitRecord(r -> dst(r, ip) && port(r, 443) && "sni_not_allowed".equals(r.path("reason").asText()));
    assertBlockedRecord(tlsRecord, "sni_not_allowed", 443, topology.sandboxV4());
    assertEquals("2 SNI host names that differ: " + WWW + ", " + BLOCKED, tlsRecord.path("detail").asText(), tlsRecord.toString());

    // A ClientHello dripped past the peek timeout (2 s) is not relayed unchecked: its name is unread.
    Output drip = world.sandbox("python3", hello.toString(), "--connect", ip, "443", "--drip", "3", BLOCKED);
    assertTrue(List.of("reset", "closed").contains(drip.stdout().strip()), "refused: " + drip.describe());
    JsonNode dripRecord =
        world.awaitRecord(r -> dst(r, ip) && port(r, 443) && r.path("detail").asText().startsWith("no complete ClientHello within"));
    assertBlockedRecord(dripRecord, "sni_not_allowed", 443, topology.sandboxV4());
    assertEquals("no complete ClientHello within 2000 ms", dripRecord.path("detail").asText(), dripRecord.toString());
    assertEquals(11, dripRecord.path("bytes_sent").asLong(), "the bytes it sent before the timeout: " + dripRecord);
    assertTrue(
        world.web().accessLog().stream().noneMatch(line -> line.contains(BLOCKED)),
        "nginx never saw " + BLOCKED + ": " + world.web().accessLog());

    Output control = world.curl("-4", "--cacert", world.ca(), "https://" + WWW + "/");
    assertTrue(control.succeeded(), "control: one name still passes\n" + control.describe());
  }

  /** Asserts a refusal of a connection to {@code ip:port} whose name could not be read, and why. */
  private static void assertUncheckable(String ip, int port, String reason, String detail) throws InterruptedException {
    JsonNode record = world.awaitRecord(r -> dst(r, ip) && port(r, port) && detail.equals(r.path("detail").asText()));
    assertBlockedRecord(record, reason, port, topology.sandboxV4());
  }

  /**
   * Sends argv[3] to argv[1]:argv[2] (and argv[5], argv[4] seconds later) and prints {@code
   * reset}, {@code closed} or what came back.
   */
  private static final String SEND_RAW =
      "import socket, sys, time\n"
          + "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)\n"
          + "try:\n"
          + "    s.sendall(sys.argv[3].encode())\n"
          + "    if len(sys.argv) > 5:  # argv[4] seconds later, the rest: argv[5]\n"
          + "        time.sleep(float(sys.argv[4]))\n"
          + "        s.sendall(sys.argv[5].encode())\n"
          + "    d = s.recv(65536)\n"
          + "    print('closed' if not d else 'data ' + d[:60].decode('latin-1'))\n"
          + "except (ConnectionResetError, BrokenPipeError):\n"
          + "    print('reset')\n"
          + "except socket.timeout:\n"
          + "    print('timeout')\n";

  private static JsonNode lastEvent(Output output, String event) {
    List<JsonNode> events =
        output.stdout().lines().filter(l -> l.startsWith("{")).map(ByteService::parse)
            .filter(e -> event.equals(e.path("event").asText()))
            .toList();
    assertFalse(events.isEmpty(), "no '" + event + "' event\n" + output.describe());
    return events.get(events.size() - 1);
  }
}
