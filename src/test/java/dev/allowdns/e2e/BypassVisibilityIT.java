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
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.io.IOException;
import java.net.InetAddress;
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
 * Every attempt leaves a trace (DESIGN.md, "Bypass visibility"), end to end in network
 * namespaces: the sandbox's UDP other than DNS reaches the UDP sink by TPROXY and is recorded per
 * flow; refused TCP connections and UDP flows name the sandbox process that made them.
 *
 * <pre>
 *  sandbox (dig, python3, node, bash)  ──  host (allowdns serve + iptables apply --udp-sink-port)
 *                                                ──  internet (knotd)
 * </pre>
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "ip6tables", "knotd", "dig", "node", "python3", "bash", "curl"},
    packages = {"iproute2", "iptables", "knot", "bind9-dnsutils", "nodejs", "python3", "bash", "curl"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BypassVisibilityIT {
  private static final String ZONE = "bypass.test";
  private static final String H3 = "h3.bypass.test";
  private static final int H3_HOST = 10;
  /** Addresses no DNS answer names. */
  private static final int UNNAMED = 11;
  private static final int FLOOD_HOST = 12;
  private static final int DNS_PORT = 1053;
  private static final int RELAY_PORT = 15001;
  private static final int SINK_PORT = 15353;
  private static final int MAX_FLOWS = 1000;
  private static final int FLOOD_PACKETS = 50_000;
  private static final String SANDBOX_ID = "vm-bypass";
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(20);
  /** A flow's record is written once it has been quiet 10 s; the sink sweeps twice a second. */
  private static final Duration FLOW_RECORD_WAIT = Duration.ofSeconds(25);
  private static final Duration RECORD_WAIT = Duration.ofSeconds(5);

  private static Path dir;
  private static Path jar;
  private static SandboxTopology topology;
  private static Path client;
  private static AllowdnsInNamespace allowdns;
  private static long trackedAfterFlood;

  @BeforeAll
  static void buildTopologyAndStartAllowdns() throws Exception {
    jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-bypass-");
    topology = SandboxTopology.create();
    for (int host : List.of(H3_HOST, UNNAMED, FLOOD_HOST)) {
      topology.addInternetHost(host);
    }
    AuthoritativeDns.start(
        topology.internet(),
        Files.createDirectories(dir.resolve("knotd")),
        List.of(topology.internetV4(2)),
        ZONE,
        String.join(
            "\n",
            "$ORIGIN " + ZONE + ".",
            "$TTL 300",
            "@ SOA ns." + ZONE + ". hostmaster." + ZONE + ". 1 3600 600 86400 60",
            "@ NS ns",
            "ns A " + topology.internetV4(2),
            "h3 A " + topology.internetV4(H3_HOST),
            ""));
    client = ByteService.installUdpClient(dir);
    allowdns = startAllowdns("allowdns", List.of());
    Output apply =
        allowdns.command(
            Duration.ofSeconds(30),
            "iptables", "apply",
            "--sandbox-interface", topology.hostSandboxInterface(),
            "--dns-port", Integer.toString(DNS_PORT),
            "--relay-port", Integer.toString(RELAY_PORT),
            "--udp-sink-port", Integer.toString(SINK_PORT));
    assertTrue(apply.succeeded(), "allowdns iptables apply failed:\n" + apply.describe());
  }

  private static AllowdnsInNamespace startAllowdns(String name, List<String> extraArgs)
      throws IOException, InterruptedException {
    String netns = ", netns: " + topology.sandbox().name() + "}";
    String config =
        "udp_sink_max_flows: " + MAX_FLOWS + "\n"
            + "sandboxes:\n"
            + "  - {cidr: " + topology.sandboxV4() + "/32, id: " + SANDBOX_ID + netns + "\n"
            + "  - {cidr: \"" + topology.sandboxV6() + "/128\", id: " + SANDBOX_ID + netns + "\n";
    List<String> args =
        new ArrayList<>(
            List.of(
                "--listen", "[::]:" + DNS_PORT,
                "--relay-listen", "[::]:" + RELAY_PORT,
                "--udp-sink-listen", "[::]:" + SINK_PORT,
                "--shutdown-grace", "1s",
                "--upstream", topology.internetV4(2) + ":53"));
    args.addAll(extraArgs);
    return AllowdnsInNamespace.start(
        topology.host(),
        jar,
        Files.createDirectories(dir.resolve(name)),
        Map.of("bypass.zone", "@allow-private\n" + H3 + "\n"),
        config,
        args);
  }

  @AfterAll
  static void tearDown() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }


  @Test
  @Order(1)
  void udpAttempts_eachGiveOneFlowRecord_shownLiveByLogsFollow() throws Exception {
    ChildProcess follow = allowdns.startCommand("follow", "logs", "follow");
    String dnsServer = topology.internetV4(2);
    String unnamed = topology.internetV4(UNNAMED);
    String unnamedV6 = topology.internetV6(UNNAMED);

    // A resolver on port 5353 of an internet address: dig gets nothing back.
    Output dig = sandbox("dig", "+time=2", "+tries=1", "-p", "5353", "@" + dnsServer, "x." + ZONE);
    assertFalse(dig.succeeded(), "nothing answers on 5353 through allowdns\n" + dig.describe());
    JsonNode ntp = lastLine(sandbox("python3", client.toString(), "ntp", unnamed, "123"));
    Output resolve = sandbox("dig", "+time=3", "+tries=1", "+short", H3, "A");
    assertEquals(topology.internetV4(H3_HOST), resolve.stdout().strip(), resolve.describe());
    JsonNode quic =
        lastLine(sandbox("python3", client.toString(), "quic", topology.internetV4(H3_HOST), "443"));
    JsonNode v6 = lastLine(sandbox("python3", client.toString(), "udp", unnamedV6, "7777", "3"));

    JsonNode digRecord = awaitOneFlow(dnsServer, 5353);
    assertFlow(digRecord, "udp", 1, null, dnsServer);
    assertEquals(realPath("dig"), digRecord.path("process").path("exe").asText(), digRecord.toString());

    JsonNode ntpRecord = awaitOneFlow(unnamed, 123);
    assertFlow(ntpRecord, "udp", 1, null, unnamed);
    assertEquals(48, ntpRecord.path("bytes_sent").asLong(), ntpRecord.toString());
    assertEquals(ntp.path("exe").asText(), ntpRecord.path("process").path("exe").asText(), ntpRecord.toString());

    JsonNode quicRecord = awaitOneFlow(topology.internetV4(H3_HOST), 443);
    assertFlow(quicRecord, "quic", 1, H3, topology.internetV4(H3_HOST));
    assertEquals(1200, quicRecord.path("bytes_sent").asLong(), quicRecord.toString());
    assertEquals(quic.path("exe").asText(), quicRecord.path("process").path("exe").asText());

    JsonNode v6Record = awaitOneFlow(unnamedV6, 7777);
    assertFlow(v6Record, "udp", 3, null, unnamedV6);
    assertEquals(15, v6Record.path("bytes_sent").asLong(), v6Record.toString());
    assertEquals(v6.path("exe").asText(), v6Record.path("process").path("exe").asText());

    assertTrue(
        follow
            .awaitStdoutLine(
                line -> line.contains(unnamed + ":123 packets 1") && line.contains("udp_not_relayed"),
                RECORD_WAIT)
            .isPresent(),
        "logs follow shows the UDP attempt live\n" + follow.describe());
    follow.close();
  }

  @Test
  @Order(2)
  void refusedTcp_fromNodeAndPython_namesTheProcessAndItsParents() throws Exception {
    String literal = topology.internetV4(UNNAMED);
    String bash = realPath("bash");
    // bash -c with a second command forks: bash stays the parent, in the namespace.
    Output node =
        sandbox(
            "bash", "-c",
            "node -e \"setTimeout(() => process.exit(4), 5000); fetch('http://" + literal
                + ":8080/').then(() => process.exit(0), () => process.exit(3))\"; true");
    assertFalse(node.timedOut(), node.describe());
    JsonNode nodeRecord = awaitRecord(r -> dst(r, literal) && port(r, 8080));
    assertEquals("no_dns_answer", nodeRecord.path("reason").asText(), nodeRecord.toString());
    JsonNode nodeProcess = nodeRecord.path("process");
    assertEquals(realPath("node"), nodeProcess.path("exe").asText(), nodeRecord.toString());
    assertEquals("node", nodeProcess.path("cmdline").path(0).asText(), nodeRecord.toString());
    assertEquals(bash, nodeProcess.path("parents").path(0).asText(), nodeRecord.toString());
    assertEquals(1, nodeProcess.path("parents").size(), "up to the namespace's first process: " + nodeRecord);
    assertEquals(0, nodeProcess.path("uid").asLong(), nodeRecord.toString());
    assertFalse(nodeProcess.path("ambiguous").asBoolean(), nodeRecord.toString());

    Output python = sandbox("bash", "-c", "python3 " + client + " connect " + literal + " 8081; true");
    JsonNode said = lastLine(python);
    assertTrue(said.has("error"), "the relay refused with a reset: " + said);
    JsonNode pythonRecord = awaitRecord(r -> dst(r, literal) && port(r, 8081));
    JsonNode pythonProcess = pythonRecord.path("process");
    assertEquals(said.path("exe").asText(), pythonProcess.path("exe").asText(), pythonRecord.toString());
    assertEquals(bash, pythonProcess.path("parents").path(0).asText(), pythonRecord.toString());
  }

  @Test
  @Order(3)
  void logsBlocked_showsUdpFlowsByDestinationWithProtocolAndTheProgram() {
    Output blocked =
        allowdns.command(Duration.ofSeconds(30), "logs", "blocked", "--log-dir", allowdns.logDir().toString());
    assertTrue(blocked.succeeded(), blocked.describe());
    List<String> lines = blocked.stdout().lines().toList();
    String header = lines.get(0);
    assertTrue(header.contains("PROTOCOL") && header.contains("PACKETS") && header.contains("EXE"), blocked.stdout());
    assertTrue(header.contains("PATH"), "records carry their path: " + blocked.stdout());
    assertTrue(
        lines.stream().anyMatch(l -> l.contains(" quic ") && l.contains(" transparent ")),
        "a UDP flow came the transparent way: " + blocked.stdout());
    assertTrue(
        lines.stream().anyMatch(l -> l.contains(" quic ") && l.contains(H3 + ":443") && l.contains("udp_not_relayed")),
        blocked.stdout());
    assertTrue(
        lines.stream().anyMatch(l -> l.contains(topology.internetV4(UNNAMED) + ":123") && l.contains(" udp ")),
        blocked.stdout());
    assertTrue(lines.stream().anyMatch(l -> l.contains("no_dns_answer") && l.endsWith(realPath("node"))), blocked.stdout());
    assertTrue(blocked.stdout().contains("quic: HTTP/3 is never relayed"), blocked.stdout());
  }

  @Test
  @Order(4)
  void flood_ofUdpToRandomPorts_staysWithinTheFlowBound_andDnsKeepsAnswering() throws Exception {
    long cpuBefore = cpuTicks(allowdns.pid());
    ChildProcess flood =
        topology.sandbox().start(
            "flood", dir, Map.of(),
            List.of("python3", client.toString(), "flood", topology.internetV4(FLOOD_HOST), "0",
                Integer.toString(FLOOD_PACKETS), "30"));
    Output during = sandbox("dig", "+time=3", "+tries=2", "+short", H3, "A");
    assertTrue(flood.awaitExit(Duration.ofSeconds(40)).isPresent(), flood.describe());
    long cpuAfter = cpuTicks(allowdns.pid());
    JsonNode sent = lastLine(flood.stdout());
    assertEquals(FLOOD_PACKETS, sent.path("sent").asInt(), flood.describe());
    assertEquals(topology.internetV4(H3_HOST), during.stdout().strip(), "DNS answers during the flood\n" + during.describe());
    Output after = sandbox("dig", "+time=3", "+tries=1", "+short", H3, "A");
    assertEquals(topology.internetV4(H3_HOST), after.stdout().strip(), after.describe());

    Thread.sleep(1000); // the sink reads what the socket buffer still holds
    String metrics = metrics();
    long tracked = (long) metric(metrics, "allowdns_udp_flows_tracked");
    double untracked = metric(metrics, "allowdns_udp_flows_untracked_total");
    double packets = metric(metrics, "allowdns_udp_packets_total\\{protocol=\"udp\"\\}");
    assertEquals(MAX_FLOWS, tracked, "the table is full and no larger:\n" + metrics);
    assertTrue(untracked > 0, "flows past the bound are counted:\n" + metrics);
    assertTrue(packets <= FLOOD_PACKETS + 100, metrics);
    trackedAfterFlood = tracked;
    System.out.printf(
        "UDP sink under a flood of %d datagrams: %d ticks of CPU (%d Hz), %.0f datagrams read, %.0f untracked%n",
        FLOOD_PACKETS, cpuAfter - cpuBefore, 100, packets, untracked);
  }

  @Test
  @Order(5)
  void shutdown_writesTheRecordOfEveryFlowStillTracked() throws Exception {
    allowdns.signal("TERM");
    assertTrue(allowdns.awaitExit(Duration.ofSeconds(20)).isPresent(), allowdns.describe());
    System.out.println("allowdns output:\n" + allowdns.describe()); // the next test starts another
    long floodRecords =
        allowdns.connections().records().stream()
            .filter(r -> dst(r, topology.internetV4(FLOOD_HOST)))
            .count();
    assertEquals(trackedAfterFlood, floodRecords, "one record per tracked flow, written at shutdown");
  }

  @Test
  @Order(6)
  void processIdentityOff_recordsNoProcess() throws Exception {
    allowdns = startAllowdns("allowdns-off", List.of("--process-identity", "off"));
    String literal = topology.internetV4(UNNAMED);
    Output python = sandbox("bash", "-c", "python3 " + client + " connect " + literal + " 8082; true");
    assertTrue(lastLine(python).has("error"), python.describe());
    JsonNode record = awaitRecord(r -> dst(r, literal) && port(r, 8082));
    assertEquals("no_dns_answer", record.path("reason").asText(), record.toString());
    assertTrue(record.path("process").isNull() || record.path("process").isMissingNode(), record.toString());
  }

  // --- helpers ---

  private static JsonNode awaitOneFlow(String address, int port) throws InterruptedException {
    Predicate<JsonNode> flow = r -> dst(r, address) && port(r, port) && r.path("packets").isNumber();
    List<JsonNode> records =
        allowdns.connections().await(flow, FLOW_RECORD_WAIT).isPresent()
            ? allowdns.connections().records().stream().filter(flow).toList()
            : List.of();
    assertEquals(1, records.size(), "one record for the flow to " + address + ":" + port + "\n"
        + allowdns.connections().describe());
    return records.get(0);
  }

  private static void assertFlow(JsonNode record, String protocol, long packets, String domain, String dst) {
    String text = record.toString();
    assertEquals(protocol, record.path("protocol").asText(), text);
    assertEquals(packets, record.path("packets").asLong(), text);
    assertEquals("blocked", record.path("result").asText(), text);
    assertEquals("udp_not_relayed", record.path("reason").asText(), text);
    assertEquals(SANDBOX_ID, record.path("sandbox").asText(), text);
    assertTrue(dst(record, dst), text);
    if (domain == null) {
      assertTrue(record.path("domain").isNull(), text);
    } else {
      assertEquals(domain, record.path("domain").asText(), text);
    }
  }

  private static JsonNode awaitRecord(Predicate<JsonNode> wanted) throws InterruptedException {
    return EndToEnd.awaitConnection(allowdns, wanted, RECORD_WAIT);
  }

  private static boolean port(JsonNode record, int port) {
    return record.path("port").asInt() == port;
  }

  private static boolean dst(JsonNode record, String address) {
    try {
      return InetAddress.getByName(record.path("dst_ip").asText("0.0.0.0"))
          .equals(InetAddress.getByName(address));
    } catch (IOException e) {
      return false;
    }
  }

  private static Output sandbox(String... command) {
    return topology.sandbox().run(CLIENT_TIMEOUT, command);
  }

  /** Returns the real path of a program as the sandbox finds it on PATH: what /proc/PID/exe shows. */
  private static String realPath(String program) {
    Output found = sandbox("bash", "-c", "readlink -f \"$(command -v " + program + ")\"");
    assertTrue(found.succeeded(), found.describe());
    return found.stdout().strip();
  }

  private static JsonNode lastLine(Output output) {
    assertFalse(output.timedOut(), output.describe());
    return lastLine(output.stdout());
  }

  private static JsonNode lastLine(String stdout) {
    List<String> lines = stdout.lines().filter(l -> l.startsWith("{")).toList();
    assertFalse(lines.isEmpty(), "no JSON line in:\n" + stdout);
    return ByteService.parse(lines.get(lines.size() - 1));
  }

  private static String metrics() {
    Output scrape = topology.host().run(Duration.ofSeconds(10), "curl", "-sS", "http://127.0.0.1:9153/metrics");
    assertTrue(scrape.succeeded(), scrape.describe());
    return scrape.stdout();
  }

  private static double metric(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
    assertTrue(m.find(), name + " not in:\n" + metrics);
    return Double.parseDouble(m.group(1));
  }

  /** Returns utime + stime of a process, in clock ticks (proc(5)). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
