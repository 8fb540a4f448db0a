package dev.allowdns.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.it.DescriptorsIT;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.ByteService;
import dev.allowdns.testing.netns.EndToEnd;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The transparent relay's counterpart of {@link DescriptorsIT}, in network namespaces: 10,000
 * concurrent connections from the sandbox to one destination, redirected by real iptables rules
 * into the relay, under this machine's hard descriptor limit. The relay holds what its descriptor
 * budget (two descriptors a connection) has room for and resets the rest at once, each with its
 * record ({@code blocked}, {@code too_many_open}); the admin API answers while every relay
 * descriptor is in use; the process never reaches its limit. The destination is allowed by an
 * {@code ip:} rule, so no DNS is involved; per-sandbox limits are off, so only descriptors refuse.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "curl", "python3", "ss"},
    packages = {"iproute2", "iptables", "curl", "python3"})
class TransparentDescriptorsIT {
  private static final int CONNECTIONS = 10_000;
  /** The DNS-over-TCP bound the budget leaves room for ({@code DnsServer.MAX_TCP_CONNECTIONS}). */
  private static final int DNS_TCP = 1024;
  private static final int HOLD_HOST = 20;
  private static final int RELAY_PORT = 15001;
  private static final String ADMIN = "http://127.0.0.1:9153";
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration RECORD_WAIT = Duration.ofSeconds(60);

  private static Path dir;
  private static SandboxTopology topology;
  private static AllowdnsInNamespace allowdns;
  private static ChildProcess holder;
  private static int destination;

  @BeforeAll
  static void start() throws Exception {
    Path jar = Path.of(System.getProperty("allowdns.jar", "target/allowdns.jar"));
    assertTrue(Files.isRegularFile(jar), "allowdns jar not found at " + jar + " (run mvn package)");
    dir = Files.createTempDirectory("allowdns-tfds-");
    topology = SandboxTopology.create();
    topology.addInternetHost(HOLD_HOST);
    String holdAddress = topology.internetV4(HOLD_HOST);
    holder = topology.internet().start("holder", dir, Map.of(),
        List.of("python3", "-c", DescriptorsIT.HOLDER, holdAddress));
    destination = Integer.parseInt(holder.awaitStdoutLine(line -> line.matches("\\d+"), Duration.ofSeconds(10))
        .orElseThrow(() -> new AssertionError("holder did not start:\n" + holder.describe())).strip());

    allowdns =
        AllowdnsInNamespace.start(
            topology.host(), jar, Files.createDirectories(dir.resolve("allowdns")),
            Map.of("hold.zone", "@allow-private\nip:" + topology.internetV4(0) + "/24\n"),
            "sandboxes:\n"
                + "  - {cidr: " + topology.sandboxV4() + "/32, id: vm-a, policy: hold}\n"
                // Unlimited: the descriptor budget is the only thing that may refuse here.
                + "limits: {connections_per_second: 0, open_connections: 0}\n"
                + "policies:\n"
                + "  hold: {zones: [hold]}\n",
            List.of(
                "--listen", "0.0.0.0:1053",
                "--relay-listen", "0.0.0.0:" + RELAY_PORT,
                // Neither the client nor the holder sends anything: decided on the destination.
                "--relay-peek-timeout", "200ms",
                "--upstream", topology.internetV4(2) + ":53"));
    Output apply =
        allowdns.command(Duration.ofSeconds(30), "iptables", "apply",
            "--sandbox-interface", topology.hostSandboxInterface(),
            "--dns-port", "1053", "--relay-port", Integer.toString(RELAY_PORT));
    assertTrue(apply.succeeded(), "allowdns iptables apply failed:\n" + apply.describe());
  }

  @AfterAll
  static void tearDown() {
    EndToEnd.tearDown(topology, allowdns, dir);
  }

  @Test
  void tenThousandRedirected_relayWhatFits_resetTheRest_eachRecorded_adminStillAnswers() throws Exception {
    long limit = DescriptorsIT.openFilesLimit(allowdns.pid());
    int capacity = (int) ((limit - Math.min(1024, limit / 8) - DNS_TCP) / 2);
    assertTrue(
        allowdns.readyLine().contains("descriptors " + limit + ": " + capacity + " relayed connections"),
        allowdns.readyLine());
    int fits = Math.min(CONNECTIONS, capacity);

    Path client = ByteService.installDescriptorsClient(dir);
    long started = System.nanoTime();
    ChildProcess clients =
        topology.sandbox().start("clients", dir, Map.of(),
            List.of("python3", client.toString(), "hold", topology.internetV4(HOLD_HOST),
                Integer.toString(destination), "--count", Integer.toString(CONNECTIONS),
                "--settle", "3", "--seconds", "120"));
    try {
      JsonNode holding = event(clients, "holding");
      System.out.printf(
          "TransparentDescriptorsIT: %d connections in %.1f s (settled %.1f s later), limit %d, capacity %d:"
              + " %d open, %d refused, other %s%n",
          CONNECTIONS, holding.path("connect_seconds").asDouble(), holding.path("settle_seconds").asDouble(),
          limit, capacity, holding.path("open").asInt(), holding.path("refused").asInt(), holding.path("other"));
      assertEquals(0, holding.path("other").size(), holding.toString());
      assertEquals(fits, holding.path("open").asInt(), "relayed up to the capacity: " + holding);
      assertEquals(CONNECTIONS - fits, holding.path("refused").asInt(), "reset past it: " + holding);
      // Each one held is relayed: the destination holds as many, established.
      assertEquals(fits, establishedAtHolder(), "connections the holder holds");

      // Every relay descriptor is in use: the admin API still answers, from the reserve.
      int fds = DescriptorsIT.openDescriptors(allowdns.pid());
      System.out.printf("TransparentDescriptorsIT: %d descriptors open in allowdns (limit %d)%n", fds, limit);
      assertTrue(fds < limit - 256, "descriptors open " + fds + ", limit " + limit);
      assertEquals("200", admin("-o", "/dev/null", "-w", "%{http_code}", ADMIN + "/healthz"));
      String metrics = admin(ADMIN + "/metrics");
      assertEquals(capacity, DescriptorsIT.gauge(metrics, "allowdns_relay_connection_capacity"), metrics);
      assertEquals(fits, DescriptorsIT.gauge(metrics, "allowdns_relay_connections_held"), metrics);
      assertEquals(
          CONNECTIONS - fits, DescriptorsIT.gauge(metrics, "allowdns_relay_refused_too_many_open_total"), metrics);
      // By PID, not close(): that closes the pipes first, and the client's last line is lost.
      clients.signal("TERM");
      assertEquals(0, clients.awaitExit(Duration.ofSeconds(30)).orElse(-1), clients.describe());
    } finally {
      clients.close();
    }
    assertEquals(fits, event(clients, "released").path("count").asInt(), clients.describe());

    List<JsonNode> records =
        allowdns.connections().awaitCount(r -> r.path("port").asInt() == destination, CONNECTIONS, RECORD_WAIT);
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    Map<String, Long> outcomes =
        records.stream()
            .collect(Collectors.groupingBy(
                r -> r.path("result").asText() + "/" + r.path("reason").asText(), Collectors.counting()));
    System.out.printf("TransparentDescriptorsIT: records %s, %d s from the first connect%n", outcomes, seconds);
    assertEquals(CONNECTIONS, records.size(), "one record per connection");
    assertEquals(
        DescriptorsIT.withoutZeros(
            Map.of("allowed/null", (long) fits, "blocked/too_many_open", (long) (CONNECTIONS - fits))),
        outcomes);
    for (JsonNode r : records) {
      assertEquals("transparent", r.path("path").asText(), r.toString());
      assertEquals("vm-a", r.path("sandbox").asText(), r.toString());
      assertFalse(r.has("count"), "a refusal for descriptors is recorded per connection: " + r);
    }
    assertEquals(0, DescriptorsIT.gauge(admin(ADMIN + "/metrics"), "allowdns_relay_connections_held"),
        "every permit given back");
    assertEquals("200", admin("-o", "/dev/null", "-w", "%{http_code}", ADMIN + "/healthz"));
    assertTrue(allowdns.isAlive(), allowdns::describe);
    assertFalse(allowdns.describe().contains("Too many open files"), allowdns::describe);
  }

  /** The connections established at the holder's port, counted in the internet namespace. */
  private static int establishedAtHolder() {
    Output ss = topology.internet().run(Duration.ofSeconds(30), "ss", "-Htn", "state", "established",
        "sport = :" + destination);
    assertTrue(ss.succeeded(), ss.describe());
    return (int) ss.stdout().lines().filter(l -> !l.isBlank()).count();
  }

  /** Runs curl against the admin API, from the host namespace it listens in; returns stdout. */
  private static String admin(String... args) {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "10"));
    command.addAll(List.of(args));
    Output out = topology.host().run(Duration.ofSeconds(15), Map.of(), command);
    assertTrue(out.succeeded(), out.describe());
    return out.stdout();
  }

  private static JsonNode event(ChildProcess process, String event) throws InterruptedException {
    return process.awaitStdoutLine(l -> l.contains("\"" + event + "\""), CLIENT_TIMEOUT).map(ByteService::parse)
        .orElseThrow(() -> new AssertionError("no " + event + " event:\n" + process.describe()));
  }
}
