package dev.allowdns.testing.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The namespace support on its own, without allowdns: the topology forwards, and the servers and
 * clients the end-to-end tests rely on measure what they claim to — so a failure of those tests
 * points at allowdns, not at the harness.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "knotd", "nginx", "curl", "dig", "python3", "openssl"},
    packages = {"iproute2", "knot", "nginx", "curl", "bind9-dnsutils", "python3", "openssl"})
class SandboxTopologyIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final int WEB = 10;
  private static final int BYTES = 13;

  private static Path dir;
  private static SandboxTopology topology;
  private static TestCertificates certificates;
  private static WebServer web;
  private static ByteService bytes;
  private static Path client;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("allowdns-netns-");
    topology = SandboxTopology.create();
    topology.addInternetHost(WEB);
    topology.addInternetHost(BYTES);
    AuthoritativeDns.start(
        topology.internet(),
        Files.createDirectories(dir.resolve("knotd")),
        List.of(topology.internetV4(2), topology.internetV6(2)),
        "t.test",
        "$ORIGIN t.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\n"
            + "ns A " + topology.internetV4(2) + "\n"
            + "www A " + topology.internetV4(WEB) + "\nwww AAAA " + topology.internetV6(WEB) + "\n");
    certificates =
        TestCertificates.create(Files.createDirectories(dir.resolve("tls")), List.of("www.t.test"));
    web = WebServer.start(topology.internet(), Files.createDirectories(dir.resolve("nginx")), certificates);
    bytes =
        ByteService.start(
            topology.internet(),
            Files.createDirectories(dir.resolve("bytes")),
            7777,
            List.of(
                topology.internetV4(BYTES) + ":9000", "[" + topology.internetV6(BYTES) + "]:9000"),
            List.of(topology.internetV4(BYTES) + ":9999"));
    client = ByteService.installClient(dir);
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (topology != null) {
        topology.close();
      }
    } finally {
      if (dir != null) {
        try (Stream<Path> paths = Files.walk(dir)) {
          paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  @Test
  void sandbox_resolvConf_namesTheHost() {
    Output cat = topology.sandbox().runChecked(TIMEOUT, "cat", "/etc/resolv.conf");
    assertTrue(
        cat.stdout().contains("nameserver " + topology.hostSandboxSideV4()), cat.describe());
  }

  @Test
  void authoritativeDns_answersTheSandbox_overV4AndV6() {
    Output a =
        topology.sandbox().run(
            TIMEOUT, "dig", "+short", "+time=2", "+tries=1", "@" + topology.internetV4(2),
            "www.t.test", "A");
    assertEquals(topology.internetV4(WEB), a.stdout().strip(), a.describe());
    Output aaaa =
        topology.sandbox().run(
            TIMEOUT, "dig", "+short", "+time=2", "+tries=1", "@" + topology.internetV6(2),
            "www.t.test", "AAAA");
    assertEquals(topology.internetV6(WEB), aaaa.stdout().strip(), aaaa.describe());
  }

  @Test
  void webServer_servesHttpsWithTheTestCa_overV4AndV6() throws IOException {
    for (String address : List.of(topology.internetV4(WEB), "[" + topology.internetV6(WEB) + "]")) {
      Output https =
          topology.sandbox().run(
              TIMEOUT, "curl", "-sS", "-m", "10", "--cacert", certificates.caCertificate().toString(),
              "--resolve", "www.t.test:443:" + address, "https://www.t.test/");
      assertTrue(https.succeeded(), https.describe());
      assertEquals("hello from www.t.test", https.stdout().strip());
    }
    assertTrue(
        web.accessLog().contains(topology.internetV4(WEB) + " 443 www.t.test www.t.test 200"),
        String.join("\n", web.accessLog()));
  }

  @Test
  void webServer_certificate_isRejectedWithoutTheTestCa() {
    Output https =
        topology.sandbox().run(
            TIMEOUT, "curl", "-sS", "-m", "10", "--resolve",
            "www.t.test:443:" + topology.internetV4(WEB), "https://www.t.test/");
    assertEquals(60, https.exitCode(), "curl exit 60 = certificate not trusted\n" + https.describe());
  }

  @Test
  void byteService_andClient_agreeOnExactCounts() throws Exception {
    Output run =
        topology.sandbox().run(
            TIMEOUT, "python3", client.toString(), "tcp", topology.internetV4(BYTES), "9000",
            "--send", "4242");
    JsonNode done = ByteService.parse(run.stdout().lines().reduce((a, b) -> b).orElse("{}"));
    assertEquals(4242, done.path("sent").asInt(), run.describe());
    assertEquals(7777, done.path("received").asInt(), run.describe());
    assertTrue(bytes.await(s -> !s.events("eof", 9000).isEmpty(), TIMEOUT), bytes.describe());
    JsonNode eof = bytes.events("eof", 9000).get(0);
    assertEquals(4242, eof.path("received").asInt(), eof.toString());
    assertEquals(7777, eof.path("sent").asInt(), eof.toString());
  }

  @Test
  void byteService_countsDatagrams() throws Exception {
    Output run =
        topology.sandbox().run(
            TIMEOUT, "python3", client.toString(), "udp", topology.internetV4(BYTES), "9999",
            "--count", "3");
    assertTrue(run.succeeded(), run.describe());
    assertTrue(bytes.await(s -> s.events("udp", 9999).size() == 3, TIMEOUT), bytes.describe());
  }

  @Test
  void close_removesNamespacesAndTheirEtcDirectory() {
    SandboxTopology other = SandboxTopology.create();
    List<String> names =
        List.of(other.sandbox().name(), other.host().name(), other.internet().name());
    names.forEach(name -> assertTrue(Namespace.exists(name), name));
    assertTrue(Files.exists(Path.of("/etc/netns", other.sandbox().name(), "resolv.conf")));
    other.close();
    names.forEach(name -> assertFalse(Namespace.exists(name), name + " still exists"));
    assertFalse(Files.exists(Path.of("/etc/netns", other.sandbox().name())));
  }
}
