package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.KnotPrimary;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.UpstreamDns;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.Type;

/**
 * One policy for five hosts: a real Knot DNS primary serves the policy zone that {@code zones
 * export} printed, and an RPZ feed; five allowdns secondaries on their own ports and state
 * directories transfer them (TSIG-signed), follow NOTIFY, refuse bad transfers and NOTIFYs, and
 * keep enforcing their last good copy without the primary.
 */
@RequiresPrograms({"knotd", "knotc"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetIT {
  private static final int HOSTS = 5;
  private static final String ORIGIN = "policy.test";
  private static final String RPZ = "rpz.test";
  private static final String KEY = "fleet-key";
  private static final String SECRET = "jetpfpI8Vv9+Ad309kBwtpACvImTVmOazS6CijPKqMU=";
  private static final String POLICY_V1 = "# fleet policy\nallowed.fleet.test\n*.wild.fleet.test\n**.bad.fleet.test\n";
  private static final String POLICY_V2 = POLICY_V1 + "new.fleet.test\n";
  private static final Duration PROPAGATION_BOUND = Duration.ofSeconds(5);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path dir;
  private UpstreamDns upstream;
  private KnotPrimary primary;
  private final List<AllowdnsProcess> hosts = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final List<Path> configs = new ArrayList<>();

  @BeforeAll
  void startPrimaryAndHosts() throws Exception {
    upstream =
        UpstreamDns.builder()
            .zone("fleet.test", "fleet.test. 300 IN SOA ns.fleet.test. h.fleet.test. 1 300 60 600 60\n"
                + "fleet.test. 300 IN NS ns.fleet.test.\n*.fleet.test. 300 IN A 192.0.2.10\n")
            .start();
    Files.createDirectories(dir.resolve("zones"));
    Files.writeString(dir.resolve("zones/fleet.zone"), POLICY_V1);
    Files.writeString(dir.resolve("fleet.key"), "key \"" + KEY + "\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + SECRET + "\";\n};\n");
    for (int i = 0; i < HOSTS; i++) {
      ports.add(FreePorts.udpAndTcp());
    }
    primary = KnotPrimary.start(Map.of(ORIGIN, export(1), RPZ, rpzZone(1, "")), java.util.Set.of(RPZ), KEY, SECRET, ports);
    for (int i = 0; i < HOSTS; i++) {
      Path config = dir.resolve("host" + i + ".yaml");
      Files.writeString(config, """
          policy_source: {primary: "%1$s", zone: %2$s, tsig_key_file: "%3$s"}
          rpz: [{primary: "%1$s", zone: %4$s, tsig_key_file: "%3$s"}]
          state_dir: "%5$s"
          """.formatted(primary.address(), ORIGIN, dir.resolve("fleet.key"), RPZ, dir.resolve("state" + i)));
      configs.add(config);
      hosts.add(startHost(i));
    }
  }

  private AllowdnsProcess startHost(int i) {
    return AllowdnsProcess.builder()
        .upstream(upstream.address())
        .config(readQuietly(configs.get(i)))
        .flag("--listen", "127.0.0.1:" + ports.get(i))
        .start();
  }

  @AfterAll
  void stopAll() {
    hosts.forEach(AllowdnsProcess::close);
    if (primary != null) {
      primary.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  private String export(long serial) {
    CommandResult result =
        AllowdnsCli.run(dir, "zones", "export", "--origin", ORIGIN, "--zones", "zones", "--serial", Long.toString(serial), "--refresh", "1h");
    assertEquals(0, result.exitCode(), result::describe);
    return result.stdout();
  }

  /** The RPZ feed: no NOTIFY, refreshed every 2 s by the SOA timer. */
  private static String rpzZone(long serial, String more) {
    return "rpz.test. 300 IN SOA ns.rpz.test. h.rpz.test. " + serial + " 2 1 600 60\n"
        + more
        + "rpz.test. 300 IN NS ns.rpz.test.\n"
        + "evil.wild.fleet.test.rpz.test. 300 IN CNAME .\n"
        + "*.bad.fleet.test.rpz.test. 300 IN CNAME *.\n"
        + "ok.bad.fleet.test.rpz.test. 300 IN CNAME rpz-passthru.\n"
        + "32.2.0.0.127.rpz-ip.rpz.test. 300 IN CNAME .\n";
  }

  @Test
  @Order(1)
  void everyHost_startsWithTheTransferredPolicyAndItsSerial() throws Exception {
    for (int i = 0; i < HOSTS; i++) {
      assertTrue(hosts.get(i).readyLine().contains("policy serial 1 of " + ORIGIN), hosts.get(i).readyLine());
      assertEquals(Rcode.NOERROR, rcode(i, "allowed.fleet.test"));
      assertEquals(Rcode.NXDOMAIN, rcode(i, "new.fleet.test"));
      JsonNode health = JSON.readTree(get(i, "/healthz"));
      assertEquals(1, health.path("policy_serial").asLong(), health.toString());
      assertEquals(List.of("status", "generation", "policy_serial"), fieldNames(health));
      assertEquals(1.0, metric(i, "allowdns_policy_serial"));
    }
  }

  @Test
  @Order(2)
  void oneRuleChange_reachesEveryHostWithinASecondOfTheNotify_byIxfr() throws Exception {
    Files.writeString(dir.resolve("zones/fleet.zone"), POLICY_V2);
    primary.replaceZone(ORIGIN, export(2));
    long[] before = new long[HOSTS];
    for (int i = 0; i < HOSTS; i++) {
      before[i] = (long) metric(i, "allowdns_zone_transfers_total{type=\"ixfr\"}");
    }
    primary.reload(ORIGIN);
    long start = System.nanoTime();
    long[] reachedNanos = new long[HOSTS];
    int reached = 0;
    while (reached < HOSTS && System.nanoTime() - start < PROPAGATION_BOUND.toNanos()) {
      for (int i = 0; i < HOSTS; i++) {
        if (reachedNanos[i] == 0 && rcode(i, "new.fleet.test") == Rcode.NOERROR) {
          reachedNanos[i] = System.nanoTime() - start;
          reached++;
        }
      }
      Thread.sleep(5);
    }
    List<Double> millis = new ArrayList<>();
    for (long nanos : reachedNanos) {
      millis.add(nanos / 1e6);
    }
    System.out.println("FleetIT propagation after knotc zone-reload, ms per host: " + millis);
    assertEquals(HOSTS, reached, "hosts enforcing the new rule within " + PROPAGATION_BOUND + ": " + millis + "\n" + primary.log());
    List<Long> fromNotify = new ArrayList<>();
    for (int i = 0; i < HOSTS; i++) {
      fromNotify.add(notifyToApplied(hosts.get(i).stderr(), 2));
    }
    System.out.println("FleetIT propagation from NOTIFY received to serial 2 in force, ms per host (host logs): " + fromNotify);
    for (long ms : fromNotify) {
      assertTrue(ms < PROPAGATION_BOUND.toMillis(), fromNotify::toString);
    }
    for (int i = 0; i < HOSTS; i++) {
      assertTrue(metric(i, "allowdns_zone_transfers_total{type=\"ixfr\"}") > before[i], "host " + i + " used IXFR\n" + hosts.get(i).stderr());
      assertEquals(2, JSON.readTree(get(i, "/healthz")).path("policy_serial").asLong());
    }
  }

  @Test
  @Order(3)
  void check_ofASecondary_decidesByItsCopyWithTheSameFileLine() {
    CommandResult direct = AllowdnsCli.run(dir, "check", "new.fleet.test", "--zones", "zones");
    CommandResult secondary = AllowdnsCli.run(dir, "check", "new.fleet.test", "--config", configs.get(0).toString());
    assertEquals(0, secondary.exitCode(), secondary::describe);
    assertTrue(direct.stdout().contains("zones/fleet.zone:5"), direct::describe);
    assertEquals(direct.stdout(), secondary.stdout());
    CommandResult validate = AllowdnsCli.run(dir, "validate", "--config", configs.get(0).toString());
    assertEquals(0, validate.exitCode(), validate::describe);
  }

  @Test
  @Order(4)
  void notifyFromAStrangerOrWithAWrongKey_isIgnored_andTheRightOneIsAnswered() throws Exception {
    Name origin = Name.fromString(ORIGIN + ".");
    TSIG right = new TSIG(TSIG.HMAC_SHA256, Name.fromString(KEY + "."), SECRET);
    byte[] otherSecret = new byte[32];
    java.util.Arrays.fill(otherSecret, (byte) 7);
    TSIG wrong = new TSIG(TSIG.HMAC_SHA256, Name.fromString(KEY + "."), otherSecret);
    long generation = JSON.readTree(get(0, "/healthz")).path("generation").asLong();

    assertThrows(IOException.class, () -> notify(0, origin, wrong, "127.0.0.1", false));
    assertThrows(IOException.class, () -> notify(0, origin, right, "127.0.0.2", false));
    assertEquals(1.0, metric(0, "allowdns_notify_ignored_total{reason=\"bad_tsig\"}"));
    assertEquals(1.0, metric(0, "allowdns_notify_ignored_total{reason=\"stranger\"}"));

    for (boolean tcp : new boolean[] {false, true}) {
      Message answer = notify(0, origin, right, "127.0.0.1", tcp);
      assertEquals(Opcode.NOTIFY, answer.getHeader().getOpcode());
      assertTrue(answer.getHeader().getFlag(Flags.QR) && answer.getHeader().getFlag(Flags.AA));
      assertEquals(Rcode.NOERROR, answer.getRcode());
      assertTrue(answer.isVerified(), "the acknowledgement is signed with the key");
    }
    Thread.sleep(500); // the accepted NOTIFYs find the copy current: nothing changes
    assertEquals(generation, JSON.readTree(get(0, "/healthz")).path("generation").asLong());
  }

  @Test
  @Order(5)
  void zoneWithABadRule_keepsTheOldPolicyOnEveryHost_andIsReported() throws Exception {
    String bad = export(3).replace("\"*.wild.fleet.test\"", "\"*.com\"");
    long[] generations = new long[HOSTS];
    for (int i = 0; i < HOSTS; i++) {
      generations[i] = JSON.readTree(get(i, "/healthz")).path("generation").asLong();
    }
    primary.replaceZone(ORIGIN, bad);
    primary.reload(ORIGIN);
    primary.awaitSerial(ORIGIN, 2);
    for (int i = 0; i < HOSTS; i++) {
      long deadline = System.nanoTime() + PROPAGATION_BOUND.toNanos();
      while (metric(i, "allowdns_policy_transfers_total{feed=\"policy\",outcome=\"rejected\"}") < 1 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(1.0, metric(i, "allowdns_policy_transfers_total{feed=\"policy\",outcome=\"rejected\"}"), hosts.get(i).stderr());
      assertTrue(hosts.get(i).stderr().contains("zones/fleet.zone:3: '*.com' allows a whole public suffix"), hosts.get(i).stderr());
      JsonNode health = JSON.readTree(get(i, "/healthz"));
      assertEquals(generations[i], health.path("generation").asLong());
      assertEquals(2, health.path("policy_serial").asLong());
      assertEquals(Rcode.NOERROR, rcode(i, "x.wild.fleet.test"));
    }
  }

  @Test
  @Order(6)
  void rpzFeed_deniesANameTheAllowlistAllows_andPassthruLeavesItToTheAllowlist() throws Exception {
    Message evil = query(0, "evil.wild.fleet.test");
    assertEquals(Rcode.NXDOMAIN, evil.getRcode());
    List<EDNSOption> ede = evil.getOPT().getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR);
    ExtendedErrorCodeOption blocked = (ExtendedErrorCodeOption) ede.get(0);
    assertEquals(ExtendedErrorCodeOption.BLOCKED, blocked.getErrorCode());
    assertTrue(blocked.getText().contains("RPZ zone " + RPZ), blocked.getText());
    assertEquals(Rcode.NXDOMAIN, rcode(0, "x.bad.fleet.test"));
    assertEquals(Rcode.NOERROR, rcode(0, "ok.bad.fleet.test"));
    assertEquals(Rcode.NOERROR, rcode(0, "other.wild.fleet.test"));
    JsonNode record = hosts.get(0).queryLog().awaitFirst("evil.wild.fleet.test", "A");
    assertEquals("rpz", record.path("reason").asText());
    assertEquals("rpz:" + RPZ, record.path("allowlist_rule").asText());
    assertEquals(2, record.path("policy_serial").asLong());
  }

  @Test
  @Order(7)
  void rpzChangeWithoutNotify_reachesEveryHostOnTheSoaRefreshTimer() throws Exception {
    assertEquals(Rcode.NOERROR, rcode(0, "late.wild.fleet.test"));
    primary.replaceZone(RPZ, rpzZone(2, "late.wild.fleet.test.rpz.test. 300 IN CNAME .\n"));
    primary.reload(RPZ);
    long deadline = System.nanoTime() + Duration.ofSeconds(8).toNanos();
    for (int i = 0; i < HOSTS; i++) {
      while (rcode(i, "late.wild.fleet.test") != Rcode.NXDOMAIN && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(Rcode.NXDOMAIN, rcode(i, "late.wild.fleet.test"), hosts.get(i).stderr());
      assertEquals(2.0, metric(i, "allowdns_rpz_serial{zone=\"rpz.test\"}"));
    }
  }

  @Test
  @Order(8)
  void secondaryWithAWrongKeyAndNoCopy_refusesToStart_sayingWhy() throws Exception {
    Path wrongKey = dir.resolve("wrong.key");
    Files.writeString(wrongKey, "key \"" + KEY + "\" { algorithm hmac-sha256; secret \"" + java.util.Base64.getEncoder().encodeToString(new byte[32]) + "\"; };\n");
    Path config = dir.resolve("wrong.yaml");
    Files.writeString(config, """
        policy_source: {primary: "%s", zone: %s, tsig_key_file: "%s"}
        state_dir: "%s"
        """.formatted(primary.address(), ORIGIN, wrongKey, dir.resolve("state-wrong")));
    CommandResult serve =
        AllowdnsCli.run(dir, "serve", "--config", config.toString(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0");
    assertEquals(2, serve.exitCode(), serve::describe);
    assertTrue(serve.stderr().contains("transfer of policy zone " + ORIGIN), serve::describe);
    assertTrue(serve.stderr().contains("no copy of policy zone " + ORIGIN + " yet"), serve::describe);
  }

  @Test
  @Order(9)
  void export_ofZonesWithErrors_exitsTwoWithEveryFileLineReason() throws Exception {
    Files.createDirectories(dir.resolve("bad-zones"));
    Files.writeString(dir.resolve("bad-zones/bad.zone"), "ok.fleet.test\n*.com\na b\n");
    CommandResult result = AllowdnsCli.run(dir, "zones", "export", "--origin", ORIGIN, "--zones", "bad-zones");
    assertEquals(2, result.exitCode(), result::describe);
    assertEquals("", result.stdout());
    assertTrue(result.stderr().contains("bad-zones/bad.zone:2: '*.com' allows a whole public suffix"), result::describe);
    assertTrue(result.stderr().contains("bad-zones/bad.zone:3: "), result::describe);
  }

  @Test
  @Order(10)
  void hostRestartedWithoutThePrimary_enforcesItsLastGoodCopy() throws Exception {
    primary.stop();
    hosts.get(HOSTS - 1).close();
    AllowdnsProcess restarted = startHost(HOSTS - 1);
    hosts.set(HOSTS - 1, restarted);
    assertTrue(restarted.readyLine().contains("policy serial 2"), restarted.readyLine());
    assertTrue(restarted.stderr().contains("transfer of policy zone " + ORIGIN), restarted.stderr());
    assertEquals(Rcode.NOERROR, rcode(HOSTS - 1, "new.fleet.test"));
    assertEquals(Rcode.NXDOMAIN, rcode(HOSTS - 1, "evil.wild.fleet.test"));
    assertEquals(Rcode.NXDOMAIN, rcode(HOSTS - 1, "unlisted.fleet.test"));
  }

  // --- helpers

  private Message query(int host, String name) throws IOException {
    SimpleResolver resolver = new SimpleResolver(new InetSocketAddress("127.0.0.1", ports.get(host)));
    resolver.setTimeout(Duration.ofSeconds(2));
    Message query = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN));
    query.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
    return resolver.send(query);
  }

  private int rcode(int host, String name) throws IOException {
    return query(host, name).getRcode();
  }

  private Message notify(int host, Name zone, TSIG key, String from, boolean tcp) throws IOException {
    SimpleResolver resolver = new SimpleResolver(new InetSocketAddress("127.0.0.1", ports.get(host)));
    resolver.setLocalAddress(new InetSocketAddress(from, 0));
    resolver.setTimeout(Duration.ofMillis(800));
    resolver.setTCP(tcp);
    resolver.setTSIGKey(key);
    Message notify = new Message();
    notify.getHeader().setOpcode(Opcode.NOTIFY);
    notify.getHeader().setFlag(Flags.AA);
    notify.addRecord(Record.newRecord(zone, Type.SOA, DClass.IN), Section.QUESTION);
    return resolver.send(notify);
  }

  private String get(int host, String path) throws Exception {
    HttpResponse<String> response =
        HTTP.send(HttpRequest.newBuilder(URI.create("http://" + hosts.get(host).adminAddress() + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response::body);
    return response.body();
  }

  /** Returns the value of the metric line starting with {@code series} (0 when absent). */
  private double metric(int host, String series) throws Exception {
    String name = series.contains("{") ? series.substring(0, series.indexOf('{')) : series;
    List<String> tags = new ArrayList<>();
    if (series.contains("{")) {
      for (String tag : series.substring(series.indexOf('{') + 1, series.length() - 1).split(",")) {
        tags.add(tag);
      }
    }
    for (String line : get(host, "/metrics").split("\n")) {
      Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$").matcher(line);
      if (m.matches() && tags.stream().allMatch(t -> m.group(1) != null && m.group(1).contains(t))) {
        return Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }

  /** Returns the ms between the last NOTIFY a host logged before {@code serial} came in force, and that. */
  private static long notifyToApplied(String log, long serial) {
    java.time.Instant notified = null;
    for (String line : log.split("\n")) {
      if (line.contains("NOTIFY for " + ORIGIN)) {
        notified = java.time.Instant.parse(line.substring(0, line.indexOf(' ')));
      } else if (line.contains("policy zone " + ORIGIN) && line.contains(": serial " + serial + " in force") && notified != null) {
        return Duration.between(notified, java.time.Instant.parse(line.substring(0, line.indexOf(' ')))).toMillis();
      }
    }
    throw new AssertionError("no NOTIFY then serial " + serial + " in the host's log:\n" + log);
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

}
