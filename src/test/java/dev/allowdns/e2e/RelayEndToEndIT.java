package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.AuthoritativeDns;
import dev.allowdns.testing.netns.ByteService;
import dev.allowdns.testing.netns.JsonLinesLog;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The relay end to end, in network namespaces, with real clients in a sandbox:
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
 * IP-literal cases: a destination that an allowed answer produced earlier in the class is in the
 * ledger, and an IP-literal Host naming it passes by design.
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
  private static final String ZONE = "e2e.test";
  private static final String WWW = "www.e2e.test";
  private static final String API = "api.e2e.test";
  private static final String BLOCKED = "blocked.e2e.test";
  private static final String BYTES = "bytes.e2e.test";
  private static final String NODE = "node.e2e.test";

  /** Last numbers of the internet namespace's service addresses (10.201.X.N, fd00:201::N). */
  private static final int WWW_HOST = 10;
  private static final int API_HOST = 11;
  private static final int BLOCKED_HOST = 12;
  private static final int BYTES_HOST = 13;
  private static final int NODE_HOST = 14;
  private static final int UNNAMED = 20;
  private static final int UNNAMED_FOR_NODE = 21;

  private static final int BYTES_PORT = 9000;
  private static final int HOLD_PORT = 9001;
  /** A port of the byte service's address where the internet namespace drops every SYN. */
  private static final int SILENT_PORT = 9002;
  /** A port of the byte service for connections left idle until the relay closes them. */
  private static final int IDLE_PORT = 9003;
  /** A port of the byte service's address where nothing listens: the kernel answers a reset. */
  private static final int CLOSED_PORT = 9004;
  private static final Duration RELAY_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Longer than the SIGTERM case holds its connections idle before it signals. */
  private static final Duration RELAY_IDLE_TIMEOUT = Duration.ofSeconds(5);
  private static final int UDP_PORT = 9999;
  /** What the byte service sends on every connection, and what the byte client sends. */
  private static final int SERVER_SENDS = 123_456;
  private static final int CLIENT_SENDS = 54_321;

  private static final int DNS_PORT = 1053;
  private static final int RELAY_PORT = 15001;
  private static final String SANDBOX_ID = "vm-e2e";
  private static final String TASK_ID = "task_e2e";
  private static final String USER = "e2e@example.com";
  private static final String RULE = "default:e2e";

  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);
  /** Records are written asynchronously, when a connection closes. */
  private static final Duration RECORD_WAIT = Duration.ofSeconds(5);

  private static Path dir;
  private static SandboxTopology topology;
  private static WebServer web;
  private static ByteService byteService;
  private static TestCertificates certificates;
  private static Path byteClient;
  private static AllowdnsInNamespace allowdns;
  private static int udpDatagramsBeforeFirewall;

  @BeforeAll
  static void buildTopologyAndStartAllowdns() throws Exception {
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
  private static void checkTopologyForwardsWithoutFirewall() throws InterruptedException {
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

  @AfterAll
  static void tearDown() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }


  @Test
  @Order(1)
  void curlHttpAndHttps_toAllowedName_areRelayedAndRecorded() throws Exception {
    // curl reports what it sent and received on the wire; plain HTTP has no other bytes.
    Output http = curl("-4", "-w", "\n%{size_request} %{size_header} %{size_download}", "http://" + WWW + "/");
    assertTrue(http.succeeded(), http.describe());
    List<String> lines = http.stdout().lines().toList();
    assertEquals("hello from " + WWW, lines.get(0), http.describe());
    String[] sizes = lines.get(lines.size() - 1).split(" ");
    long requestBytes = Long.parseLong(sizes[0]);
    long responseBytes = Long.parseLong(sizes[1]) + Long.parseLong(sizes[2]);

    Output https = curl("-4", "--cacert", ca(), "https://" + WWW + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());

    JsonNode httpRecord =
        awaitRecord(r -> port(r, 80) && dst(r, topology.internetV4(WWW_HOST)) && allowed(r));
    assertAllowedRecord(httpRecord, WWW, 80, "http", topology.sandboxV4(), topology.internetV4(WWW_HOST));
    assertTrue(httpRecord.has("sni") && httpRecord.get("sni").isNull(), "http has no SNI: " + httpRecord);
    assertEquals(requestBytes, httpRecord.path("bytes_sent").asLong(), "curl's request: " + httpRecord);
    assertEquals(responseBytes, httpRecord.path("bytes_received").asLong(), "curl's response: " + httpRecord);

    JsonNode httpsRecord =
        awaitRecord(r -> port(r, 443) && dst(r, topology.internetV4(WWW_HOST)) && allowed(r));
    assertAllowedRecord(
        httpsRecord, WWW, 443, "https", topology.sandboxV4(), topology.internetV4(WWW_HOST));
    assertEquals(WWW, httpsRecord.path("sni").asText(), httpsRecord.toString());
    assertTrue(
        web.accessLog().contains(topology.internetV4(WWW_HOST) + " 443 " + WWW + " " + WWW + " 200"),
        "nginx saw the HTTPS request with its SNI: " + web.accessLog());
  }

  @Test
  @Order(2)
  void byteService_countsExactPayloadBytesBothWays() throws Exception {
    Output client =
        sandbox("python3", byteClient.toString(), "tcp", BYTES, Integer.toString(BYTES_PORT),
            "--send", Integer.toString(CLIENT_SENDS));
    JsonNode done = lastEvent(client, "done");
    assertEquals(CLIENT_SENDS, done.path("sent").asInt(), client.describe());
    assertEquals(SERVER_SENDS, done.path("received").asInt(), client.describe());
    assertTrue(done.path("error").isNull(), client.describe());

    assertTrue(
        byteService.await(s -> !s.events("eof", BYTES_PORT).isEmpty(), RECORD_WAIT),
        byteService.describe());
    JsonNode eof = byteService.events("eof", BYTES_PORT).get(0);
    assertEquals(CLIENT_SENDS, eof.path("received").asInt(), "server side: " + eof);
    assertEquals(SERVER_SENDS, eof.path("sent").asInt(), "server side: " + eof);

    JsonNode record = awaitRecord(r -> port(r, BYTES_PORT));
    assertAllowedRecord(
        record, BYTES, BYTES_PORT, "tcp", topology.sandboxV4(), topology.internetV4(BYTES_HOST));
    assertEquals(CLIENT_SENDS, record.path("bytes_sent").asLong(), "bytes_sent: " + record);
    assertEquals(SERVER_SENDS, record.path("bytes_received").asLong(), "bytes_received: " + record);
  }

  @Test
  @Order(3)
  void blockedName_isNxdomain_andCurlCannotResolveIt() throws Exception {
    Output dig = sandbox("dig", "+time=3", "+tries=1", BLOCKED, "A");
    assertTrue(dig.succeeded(), dig.describe());
    assertTrue(dig.stdout().contains("status: NXDOMAIN"), dig.describe());
    assertTrue(dig.stdout().contains("EDE: 15 (Blocked)"), "the answer says why:\n" + dig.describe());

    Output curl = curl("--cacert", ca(), "https://" + BLOCKED + "/");
    assertEquals(6, curl.exitCode(), "curl exit 6 = could not resolve host\n" + curl.describe());
    assertTrue(curl.stderr().contains("Could not resolve host"), curl.describe());
    assertTrue(
        web.accessLog().stream().noneMatch(line -> line.contains(" " + BLOCKED + " ")),
        "nginx never saw " + BLOCKED + ": " + web.accessLog());
  }

  @Test
  @Order(4)
  void ipLiteral_withoutDnsAnswer_isRefusedAndRecorded() throws Exception {
    String literal = topology.internetV4(UNNAMED);
    long servedBefore = servedOn(literal);
    Output curl = curl("http://" + literal + "/");
    assertRefusedAtOnce(curl);

    JsonNode record = awaitRecord(r -> dst(r, literal) && port(r, 80));
    assertBlockedRecord(record, "no_dns_answer", 80, topology.sandboxV4());
    assertEquals(servedBefore, servedOn(literal), "nginx served nothing more on " + literal);
  }

  @Test
  @Order(5)
  void allowedIp_withBlockedSni_isRefused_sniNotAllowed() throws Exception {
    Output dig = sandbox("dig", "+time=3", "+tries=1", "+short", API, "A");
    assertEquals(topology.internetV4(API_HOST), dig.stdout().strip(), dig.describe());
    Output control = curl("-4", "--cacert", ca(), "https://" + API + "/");
    assertTrue(control.succeeded(), "control: the allowed name reaches this IP\n" + control.describe());

    Output curl =
        curl("--cacert", ca(), "--resolve", BLOCKED + ":443:" + topology.internetV4(API_HOST),
            "https://" + BLOCKED + "/");
    assertRefusedAtOnce(curl);

    JsonNode record =
        awaitRecord(r -> dst(r, topology.internetV4(API_HOST)) && BLOCKED.equals(r.path("sni").asText()));
    assertBlockedRecord(record, "sni_not_allowed", 443, topology.sandboxV4());
    assertTrue(
        web.accessLog().stream().noneMatch(line -> line.contains(" " + BLOCKED + " ")),
        "nginx never saw " + BLOCKED + ": " + web.accessLog());
  }

  @Test
  @Order(6)
  void dnsSentToAnotherResolver_isAnsweredByAllowdns() throws Exception {
    Output www = sandbox("dig", "+time=3", "+tries=1", "+short", "@10.99.99.99", WWW, "A");
    assertTrue(www.succeeded(), www.describe());
    assertEquals(topology.internetV4(WWW_HOST), www.stdout().strip(), www.describe());

    // knotd itself would answer this name; only allowdns says NXDOMAIN.
    Output direct =
        sandbox("dig", "+time=3", "+tries=1", "@" + topology.internetV4(2), BLOCKED, "A");
    assertTrue(direct.stdout().contains("status: NXDOMAIN"), direct.describe());

    String probe = "probe-" + topology.suffix() + "." + ZONE;
    Output probeDig = sandbox("dig", "+time=3", "+tries=1", "@10.99.99.99", probe, "A");
    assertTrue(probeDig.stdout().contains("status: NXDOMAIN"), probeDig.describe());
    JsonLinesLog queries = allowdns.queries();
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
    Output allowed = nodeFetch("https://" + NODE + "/");
    assertTrue(allowed.succeeded(), allowed.describe());
    assertEquals("status 200\nhello from " + NODE, allowed.stdout().strip(), allowed.describe());
    JsonNode record = awaitRecord(r -> dst(r, topology.internetV4(NODE_HOST)));
    assertAllowedRecord(record, NODE, 443, "https", topology.sandboxV4(), topology.internetV4(NODE_HOST));
    assertEquals(NODE, record.path("sni").asText(), record.toString());

    String literal = topology.internetV4(UNNAMED_FOR_NODE);
    long servedBefore = servedOn(literal);
    Output refused = nodeHttpGet("http://" + literal + "/");
    assertEquals("error ECONNRESET", refused.stdout().strip(), refused.describe());
    JsonNode blocked = awaitRecord(r -> dst(r, literal));
    assertBlockedRecord(blocked, "no_dns_answer", 80, topology.sandboxV4());
    assertEquals(servedBefore, servedOn(literal), "nginx served nothing on " + literal);
  }

  @Test
  @Order(8)
  void ipv6_getsTheSameVerdicts() throws Exception {
    Output https = curl("-6", "--cacert", ca(), "https://" + WWW + "/");
    assertTrue(https.succeeded(), https.describe());
    assertEquals("hello from " + WWW, https.stdout().strip());
    JsonNode record = awaitRecord(r -> dst(r, topology.internetV6(WWW_HOST)) && port(r, 443));
    assertAllowedRecord(
        record, WWW, 443, "https", topology.sandboxV6(), topology.internetV6(WWW_HOST));
    assertEquals(WWW, record.path("sni").asText(), record.toString());

    String literal = topology.internetV6(UNNAMED);
    long servedBefore = servedOn(literal);
    Output refused = curl("-g", "http://[" + literal + "]/");
    assertRefusedAtOnce(refused);
    JsonNode blocked = awaitRecord(r -> dst(r, literal));
    assertBlockedRecord(blocked, "no_dns_answer", 80, topology.sandboxV6());
    assertEquals(servedBefore, servedOn(literal), "nginx served nothing more on " + literal);

    Output dig = sandbox("dig", "-6", "+time=3", "+tries=1", "@" + topology.internetV6(2), BLOCKED, "A");
    assertTrue(dig.stdout().contains("status: NXDOMAIN"), "DNS over IPv6 goes to allowdns too\n" + dig.describe());
  }

  @Test
  @Order(9)
  void udpToOtherPorts_getsNothingThrough() throws Exception {
    for (String target : List.of(topology.internetV4(BYTES_HOST), topology.internetV6(BYTES_HOST))) {
      Output udp =
          sandbox("python3", byteClient.toString(), "udp", target, Integer.toString(UDP_PORT),
              "--count", "5");
      // A rejected datagram may make sendto fail (ICMP unreachable); either way nothing may arrive.
      assertFalse(udp.timedOut(), udp.describe());
    }
    Thread.sleep(1500);
    assertEquals(
        udpDatagramsBeforeFirewall,
        byteService.events("udp", UDP_PORT).size(),
        "datagrams reached the internet namespace:\n" + byteService.describe());
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
    Output client = sandbox("python3", "-c", giveUp);
    assertTrue(client.succeeded(), client.describe());

    JsonNode record = awaitRecord(r -> port(r, SILENT_PORT));
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
    Output curl = curl("http://" + BYTES + ":" + CLOSED_PORT + "/");
    assertRefusedAtOnce(curl);

    JsonNode record = awaitRecord(r -> port(r, CLOSED_PORT));
    assertBlockedRecord(record, "connect_failed", CLOSED_PORT, topology.sandboxV4());
    assertEquals(BYTES, record.path("domain").asText(), "the policy allowed it: " + record);
    assertEquals(RULE, record.path("allowlist_rule").asText(), record.toString());
    assertEquals(0, record.path("bytes_received").asLong(), record.toString());
  }

  @Test
  @Order(12)
  void destinationSilent_isRecordedAsConnectFailed_afterTheConnectTimeout() throws Exception {
    dropSynsTo(SILENT_PORT);
    Output curl = curl("http://" + BYTES + ":" + SILENT_PORT + "/");
    assertRefusedAtOnce(curl);

    JsonNode record = awaitRecord(r -> port(r, SILENT_PORT) && "connect_failed".equals(r.path("reason").asText()));
    assertBlockedRecord(record, "connect_failed", SILENT_PORT, topology.sandboxV4());
    assertEndedAfter(RELAY_CONNECT_TIMEOUT, "--relay-connect-timeout", record);
  }

  @Test
  @Order(13)
  void idleConnection_isClosedAfterTheIdleTimeout_withExactBytes() throws Exception {
    int sends = 777;
    Output client =
        sandbox(
            "python3", byteClient.toString(), "tcp", BYTES, Integer.toString(IDLE_PORT),
            "--send", Integer.toString(sends), "--hold", "30", "--expect", Integer.toString(SERVER_SENDS));
    assertTrue(client.succeeded(), client.describe());
    assertTrue(client.stdout().contains("\"holding\""), "the exchange finished first\n" + client.describe());
    assertTrue(
        client.stdout().contains("\"event\": \"done\", \"sent\": " + sends + ", \"received\": " + SERVER_SENDS + ", \"error\": null"),
        "the relay ended the connection (EOF) long before the client's 30 s\n" + client.describe());

    JsonNode record = awaitRecord(r -> port(r, IDLE_PORT));
    assertEquals("allowed", record.path("result").asText(), record.toString());
    assertEquals("idle_timeout", record.path("reason").asText(), record.toString());
    assertEquals(sends, record.path("bytes_sent").asLong(), record.toString());
    assertEquals(SERVER_SENDS, record.path("bytes_received").asLong(), record.toString());
    assertEndedAfter(RELAY_IDLE_TIMEOUT, "--relay-idle-timeout", record);
  }

  @Test
  @Order(14)
  void uncheckableNames_twoHostHeaders_twoSniHostNames_aDrippedClientHello_areRefused() throws Exception {
    String ip = topology.internetV4(WWW_HOST);
    Output dig = sandbox("dig", "+time=3", "+tries=1", "+short", WWW, "A");
    assertEquals(ip, dig.stdout().strip(), "the ledger knows " + WWW + "\n" + dig.describe());

    // curl sends one Host header however many -H say: the request is written raw.
    String request = "GET / HTTP/1.1\r\nHost: " + WWW + "\r\nHost: " + BLOCKED + "\r\nConnection: close\r\n\r\n";
    Output http = sandbox("python3", "-c", SEND_RAW, ip, "80", request);
    assertTrue(List.of("reset", "closed").contains(http.stdout().strip()), "refused: " + http.describe());
    JsonNode httpRecord =
        awaitRecord(r -> dst(r, ip) && port(r, 80) && "host_not_allowed".equals(r.path("reason").asText()));
    assertBlockedRecord(httpRecord, "host_not_allowed", 80, topology.sandboxV4());
    assertEquals("2 Host headers that differ: " + WWW + ", " + BLOCKED, httpRecord.path("detail").asText(), httpRecord.toString());

    // RFC 6066 §3 allows one host_name; no TLS library sends two, so the ClientHello is built.
    Path hello = Path.of("bench/fuzz/client_hello.py").toAbsolutePath();
    Output tls = sandbox("python3", hello.toString(), "--connect", ip, "443", WWW, BLOCKED);
    assertTrue(List.of("reset", "closed").contains(tls.stdout().strip()), "refused: " + tls.describe());
    JsonNode tlsRecord =
        awaitRecord(r -> dst(r, ip) && port(r, 443) && "sni_not_allowed".equals(r.path("reason").asText()));
    assertBlockedRecord(tlsRecord, "sni_not_allowed", 443, topology.sandboxV4());
    assertEquals("2 SNI host names that differ: " + WWW + ", " + BLOCKED, tlsRecord.path("detail").asText(), tlsRecord.toString());

    // A ClientHello dripped past the peek timeout (2 s) is not relayed unchecked: its name is unread.
    Output drip = sandbox("python3", hello.toString(), "--connect", ip, "443", "--drip", "3", BLOCKED);
    assertTrue(List.of("reset", "closed").contains(drip.stdout().strip()), "refused: " + drip.describe());
    JsonNode dripRecord =
        awaitRecord(r -> dst(r, ip) && port(r, 443) && r.path("detail").asText().startsWith("no complete ClientHello within"));
    assertBlockedRecord(dripRecord, "sni_not_allowed", 443, topology.sandboxV4());
    assertEquals("no complete ClientHello within 2000 ms", dripRecord.path("detail").asText(), dripRecord.toString());
    assertEquals(11, dripRecord.path("bytes_sent").asLong(), "the bytes it sent before the timeout: " + dripRecord);
    assertTrue(
        web.accessLog().stream().noneMatch(line -> line.contains(BLOCKED)),
        "nginx never saw " + BLOCKED + ": " + web.accessLog());

    Output control = curl("-4", "--cacert", ca(), "https://" + WWW + "/");
    assertTrue(control.succeeded(), "control: one name still passes\n" + control.describe());
  }

  /** Sends argv[3] to argv[1]:argv[2] and prints {@code reset}, {@code closed} or what came back. */
  private static final String SEND_RAW =
      "import socket, sys\n"
          + "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)\n"
          + "try:\n"
          + "    s.sendall(sys.argv[3].encode())\n"
          + "    d = s.recv(65536)\n"
          + "    print('closed' if not d else 'data ' + d[:60].decode('latin-1'))\n"
          + "except (ConnectionResetError, BrokenPipeError):\n"
          + "    print('reset')\n"
          + "except socket.timeout:\n"
          + "    print('timeout')\n";

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
              dir,
              Map.of(),
              List.of("python3", byteClient.toString(), "tcp", BYTES, Integer.toString(HOLD_PORT),
                  "--send", Integer.toString(sends), "--hold", "60",
                  "--expect", Integer.toString(SERVER_SENDS))));
    }
    for (ChildProcess client : clients) {
      assertTrue(
          client.awaitStdoutLine(line -> line.contains("\"holding\""), CLIENT_TIMEOUT).isPresent(),
          "client holds its connection open after the exchange\n" + client.describe());
    }
    assertTrue(
        byteService.await(
            s -> s.events("recv", HOLD_PORT).stream()
                    .filter(e -> e.path("total").asInt() == sends)
                    .map(e -> e.path("peer").asText())
                    .distinct()
                    .count() == connections,
            RECORD_WAIT),
        "the server received every client's bytes\n" + byteService.describe());
    assertTrue(
        allowdns.connections().records().stream().noneMatch(r -> port(r, HOLD_PORT)),
        "no record before the connections close\n" + allowdns.connections().describe());

    allowdns.signal("TERM");
    assertTrue(
        allowdns.awaitExit(Duration.ofSeconds(30)).isPresent(),
        "allowdns exits after SIGTERM\n" + allowdns.describe());

    List<JsonNode> records = allowdns.connections().records().stream().filter(r -> port(r, HOLD_PORT)).toList();
    assertEquals(
        connections, records.size(), "one record per open connection\n" + allowdns.connections().describe());
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

  /**
   * Asserts curl was cut off by the relay: the connection reset or closed without a reply (exit
   * 7 when the reset beat curl's own view of the connect, 35 TLS handshake failed, 52 empty
   * reply, 56 receive failure), not left to time out (28). The record shows it was the relay.
   */
  private static void assertRefusedAtOnce(Output curl) {
    assertTrue(
        List.of(7, 35, 52, 56).contains(curl.exitCode()),
        "expected a reset or empty reply\n" + curl.describe());
    assertFalse(curl.stdout().contains("hello from"), curl.describe());
  }

  // --- assertions on records ---

  private static void assertAllowedRecord(
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

  private static void assertBlockedRecord(JsonNode record, String reason, int port, String clientIp) {
    String text = record.toString();
    assertEquals("blocked", record.path("result").asText(), text);
    assertEquals(reason, record.path("reason").asText(), text);
    assertEquals(port, record.path("port").asInt(), text);
    assertEquals("egress", record.path("direction").asText(), text);
    assertIdentity(record, clientIp);
  }

  /** Asserts the connection lasted the timeout {@code flag} set, and not much longer. */
  private static void assertEndedAfter(Duration timeout, String flag, JsonNode record) {
    long duration = record.path("duration_ms").asLong();
    assertTrue(
        duration >= timeout.toMillis() && duration < timeout.toMillis() + 4_000,
        "ended when " + flag + " " + timeout.toSeconds() + "s ran out: " + record);
  }

  private static void assertIdentity(JsonNode record, String clientIp) {
    String text = record.toString();
    assertEquals(SANDBOX_ID, record.path("sandbox").asText(), text);
    assertEquals(TASK_ID, record.path("task_id").asText(), text);
    assertEquals(USER, record.path("user").asText(), text);
    assertTrue(sameAddress(record.path("client_ip").asText(), clientIp), "client_ip " + clientIp + ": " + text);
  }

  private static JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  private static boolean port(JsonNode record, int port) {
    return record.path("port").asInt() == port;
  }

  private static boolean allowed(JsonNode record) {
    return "allowed".equals(record.path("result").asText());
  }

  private static boolean dst(JsonNode record, String address) {
    return sameAddress(record.path("dst_ip").asText(), address);
  }

  /**
   * Compares addresses as written: IPv4 exactly (a v4-mapped {@code ::ffff:a.b.c.d} is not the
   * sandbox's address as the contract shows it), IPv6 by value, since zeros may be compressed.
   */
  private static boolean sameAddress(String recorded, String expected) {
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

  private static Output sandbox(String... command) {
    return topology.sandbox().run(CLIENT_TIMEOUT, command);
  }

  private static Output curl(String... args) {
    return EndToEnd.curl(topology, CLIENT_TIMEOUT, args);
  }

  /** Runs {@code fetch(url)} in Node.js and prints {@code status CODE} and the body, or the error. */
  private static Output nodeFetch(String url) {
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
  private static Output nodeHttpGet(String url) {
    return node(
        "const t = setTimeout(() => { console.log('timeout'); process.exit(4); }, 15000);"
            + "require('http').get(process.argv[1], r => { console.log('status ' + r.statusCode);"
            + " process.exit(0); })"
            + ".on('error', e => { console.log('error ' + e.code); process.exit(3); });",
        url);
  }

  private static Output node(String script, String url) {
    return topology.sandbox().run(
        CLIENT_TIMEOUT,
        Map.of("NODE_EXTRA_CA_CERTS", ca()),
        List.of("node", "-e", script, url));
  }

  private static String ca() {
    return certificates.caCertificate().toString();
  }

  private static JsonNode lastEvent(Output output, String event) {
    List<JsonNode> events =
        output.stdout().lines().filter(l -> l.startsWith("{")).map(ByteService::parse)
            .filter(e -> event.equals(e.path("event").asText()))
            .toList();
    assertFalse(events.isEmpty(), "no '" + event + "' event\n" + output.describe());
    return events.get(events.size() - 1);
  }

  /** Counts nginx access-log lines for requests that reached {@code address}. */
  private static long servedOn(String address) throws IOException {
    return web.accessLog().stream().filter(line -> sameAddress(line.split(" ")[0], address)).count();
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
        "www AAAA " + topology.internetV6(WWW_HOST),
        "api A " + topology.internetV4(API_HOST),
        "blocked A " + topology.internetV4(BLOCKED_HOST),
        "bytes A " + topology.internetV4(BYTES_HOST),
        "node A " + topology.internetV4(NODE_HOST),
        "");
  }

  private static String allowdnsZone() {
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

  private static String sandboxConfig() {
    String identity = ", id: " + SANDBOX_ID + ", task_id: " + TASK_ID + ", user: " + USER + "}";
    return "sandboxes:\n"
        + "  - {cidr: " + topology.sandboxV4() + "/32" + identity + "\n"
        + "  - {cidr: \"" + topology.sandboxV6() + "/128\"" + identity + "\n";
  }
}
