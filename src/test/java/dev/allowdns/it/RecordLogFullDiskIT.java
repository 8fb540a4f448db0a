package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.RawDns;
import dev.allowdns.testing.TempDirs;
import dev.allowdns.testing.UpstreamDns;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The record logs on a 2 MiB tmpfs that the test fills: the records are held in memory, and once
 * the hold is full allowdns fails closed (SERVFAIL with EDE, relay and proxy refusals with {@code
 * log_unavailable}, {@code /healthz} degraded) or, with {@code --on-log-failure open}, answers
 * and counts each lost record. Once space is freed every held record reaches the file, in order.
 * Mounting needs root (hence {@link RequiresNetworkNamespaces}, which checks for it and the
 * programs: skipped outside CI without them, failed in CI).
 */
@RequiresNetworkNamespaces(
    programs = {"mount", "umount", "knotd", "dig", "curl"},
    packages = {"mount", "knot", "bind9-dnsutils", "curl"})
class RecordLogFullDiskIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Queries and requests sent before the hold must be full: far more than 64 KiB of records. */
  private static final int MAX_TRIES = 5_000;
  private static UpstreamDns upstream;

  @BeforeAll
  static void startUpstream() {
    upstream =
        UpstreamDns.builder()
            .zone("full.test", "$TTL 300\n@ SOA ns h 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n* A 192.0.2.1\n")
            .start();
  }

  @AfterAll
  static void stopUpstream() {
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void fullDisk_failsClosedUntilFreed_thenEveryHeldRecordArrivesInOrder() throws Exception {
    int relayPort = FreePorts.udpAndTcp();
    int proxyPort = FreePorts.udpAndTcp();
    try (SmallDisk disk = SmallDisk.mount();
        AllowdnsProcess allowdns =
            serverOn(disk, "64KB")
                .flag("--relay-listen", "127.0.0.1:" + relayPort)
                .flag("--proxy-listen", "127.0.0.1:" + proxyPort)
                .start()) {
      RawDns dns = RawDns.at(allowdns.port());
      awaitLines(allowdns.logDir().resolve("queries.jsonl"), 1); // the warm-up's record
      disk.fill();

      // Queries are answered, their records held, until the hold is full.
      int answered = 0;
      int rcode = Rcode.NOERROR;
      while (answered < MAX_TRIES && (rcode = dns.udpQuery(query("q" + answered + ".full.test")).getRcode()) == Rcode.NOERROR) {
        answered++;
      }
      assertEquals(Rcode.SERVFAIL, rcode, "after " + answered + " answers the query log's hold is full");
      assertTrue(answered > 100, "64 KiB hold " + answered + " records first");
      DigResult refused = Dig.at(allowdns.port()).query("refused.full.test", "A");
      assertEquals("SERVFAIL", refused.status(), refused::describe);
      String ede = refused.response().ede().orElse("");
      assertTrue(ede.contains("EDE: 0 (Other)") && ede.contains("queries log cannot be written")
          && ede.contains("No space left on device"), () -> "EDE names the cause: " + refused.describe());

      // Proxy requests are refused by the policy (403), their records held, until that hold is full.
      int refusedByPolicy = 0;
      int status = 403;
      while (refusedByPolicy < MAX_TRIES && (status = proxyStatus(proxyPort, "r" + refusedByPolicy + ".other.test")) == 403) {
        refusedByPolicy++;
      }
      assertEquals(503, status, "after " + refusedByPolicy + " refusals the connection log's hold is full");
      String curl = curlThroughProxy(proxyPort, "http://late.other.test/");
      assertTrue(curl.startsWith("HTTP/1.1 503") && curl.contains("X-Allowdns-Reason: log_unavailable"), curl);
      assertTrue(transparentConnectionIsCut(relayPort), "the relay refuses a new connection");

      HttpResponse<String> health = admin(allowdns, "/healthz");
      assertEquals(503, health.statusCode(), health::body);
      JsonNode healthBody = JSON.readTree(health.body());
      assertEquals("degraded", healthBody.path("status").asText(), health::body);
      assertTrue(healthBody.path("degraded").toString().contains("queries log")
          && healthBody.path("degraded").toString().contains("connections log"), health::body);
      String metrics = admin(allowdns, "/metrics").body();
      assertEquals(1, metric(metrics, "allowdns_record_log_unavailable\\{log=\"queries\"\\}"), metrics);
      assertEquals(1, metric(metrics, "allowdns_relay_connections_total\\{path=\"transparent\",reason=\"log_unavailable\",result=\"blocked\"\\}"), metrics);

      disk.free();
      Path queries = allowdns.logDir().resolve("queries.jsonl");
      List<JsonNode> records = awaitLines(queries, 1 + answered);
      List<String> names = records.stream().map(r -> r.path("name").asText()).toList();
      List<String> expected = new ArrayList<>(List.of("warm.full.test"));
      for (int i = 0; i < answered; i++) {
        expected.add("q" + i + ".full.test");
      }
      assertEquals(expected, names, "every answered query has its record, in order; the refused ones none");
      List<JsonNode> connections = awaitLines(allowdns.logDir().resolve("connections.jsonl"), refusedByPolicy);
      for (int i = 0; i < refusedByPolicy; i++) {
        String record = connections.get(i).toString();
        assertTrue(record.contains("\"r" + i + ".other.test") && record.contains("\"blocked\""), "in order: " + record);
      }
      awaitTrue(() -> admin(allowdns, "/healthz").statusCode() == 200, "healthy once the holds drained");
      assertEquals(Rcode.NOERROR, dns.udpQuery(query("after.full.test")).getRcode());
      String after = admin(allowdns, "/metrics").body();
      // Lost: the two refused queries' records, and the refused connections' records.
      assertEquals(1 + 1, metric(after, "allowdns_record_log_dropped_total\\{log=\"queries\"\\}"), after);
      assertEquals(3, metric(after, "allowdns_record_log_dropped_total\\{log=\"connections\"\\}"), after);
      System.out.printf(
          "RecordLogFullDiskIT: closed: %d queries and %d proxy refusals held on a full disk, all written once freed%n",
          answered, refusedByPolicy);
    }
  }

  @Test
  void fullDisk_failingOpen_answersAndCountsEachLostRecord() throws Exception {
    try (SmallDisk disk = SmallDisk.mount();
        AllowdnsProcess allowdns = serverOn(disk, "32KB").flag("--on-log-failure", "open").start()) {
      RawDns dns = RawDns.at(allowdns.port());
      Path queries = allowdns.logDir().resolve("queries.jsonl");
      awaitLines(queries, 1);
      disk.fill();
      int sent = 1_000; // some 300 KB of records: ten times the hold
      for (int i = 0; i < sent; i++) {
        assertEquals(Rcode.NOERROR, dns.udpQuery(query("o" + i + ".full.test")).getRcode(), "failing open answers");
      }
      assertEquals(503, admin(allowdns, "/healthz").statusCode(), "degraded while records are lost");
      double dropped = metric(admin(allowdns, "/metrics").body(), "allowdns_record_log_dropped_total\\{log=\"queries\"\\}");
      assertTrue(dropped > 0, "records were lost and counted");

      disk.free();
      awaitTrue(
          () -> metric(admin(allowdns, "/metrics").body(), "allowdns_record_log_written\\{log=\"queries\"\\}") + dropped == 1 + sent,
          "each answered query is written or counted lost");
      List<JsonNode> records = awaitLines(queries, 1 + sent - (int) dropped);
      int previous = -1;
      for (JsonNode record : records.subList(1, records.size())) {
        int i = Integer.parseInt(record.path("name").asText().replaceAll("^o(\\d+)\\..*", "$1"));
        assertTrue(i > previous, "in order: " + i + " after " + previous);
        previous = i;
      }
      System.out.printf("RecordLogFullDiskIT: open: %d queries answered on a full disk, %d records lost and counted%n", sent, (long) dropped);
    }
  }

  /** A server of {@code **.full.test} whose logs are on {@code disk}, with a small hold. */
  private static AllowdnsProcess.Builder serverOn(SmallDisk disk, String holdSize) throws IOException {
    return AllowdnsProcess.builder()
        .zoneFile("full.zone", "**.full.test\n")
        .upstream(upstream.address())
        .logDir(disk.dir())
        .flag("--log-hold-size", holdSize)
        .warmUp("warm.full.test");
  }

  private static Message query(String name) throws IOException {
    Message query = Message.newQuery(Record.newRecord(Name.fromString(name + "."), Type.A, DClass.IN));
    query.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
    return query;
  }

  /** Sends one absolute-form GET through the explicit proxy and returns the status code. */
  private static int proxyStatus(int proxyPort, String host) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), proxyPort)) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET http://" + host + "/ HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      return Integer.parseInt(head.substring(9, 12));
    }
  }

  private static String curlThroughProxy(int proxyPort, String url) throws IOException, InterruptedException {
    Process curl =
        new ProcessBuilder("curl", "-s", "-i", "--max-time", "5", "-x", "http://127.0.0.1:" + proxyPort, url)
            .redirectErrorStream(true)
            .start();
    assertTrue(curl.waitFor(10, TimeUnit.SECONDS), "curl did not finish");
    return new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  /** Connects to the transparent relay and returns whether it cuts the connection at once. */
  private static boolean transparentConnectionIsCut(int relayPort) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), relayPort), 5_000);
      socket.setSoTimeout(5_000);
      try (InputStream in = socket.getInputStream()) {
        return in.read() == -1;
      } catch (java.net.SocketException reset) {
        return true;
      }
    }
  }

  private static HttpResponse<String> admin(AllowdnsProcess allowdns, String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://" + allowdns.adminAddress() + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException | InterruptedException e) {
      throw new AssertionError("admin " + path + ": " + e, e);
    }
  }

  private static double metric(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  /** Waits (up to 20 s) until {@code file} has {@code count} lines and returns them parsed. */
  private static List<JsonNode> awaitLines(Path file, int count) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    List<String> lines = List.of();
    while (System.nanoTime() < deadline) {
      lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
      if (lines.size() >= count) {
        break;
      }
      Thread.sleep(20);
    }
    assertEquals(count, lines.size(), "records in " + file);
    List<JsonNode> records = new ArrayList<>();
    for (String line : lines) {
      records.add(JSON.readTree(line));
    }
    return records;
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertFalse(System.nanoTime() > deadline, "not within 20 s: " + what);
      Thread.sleep(50);
    }
  }

  /** A 2 MiB tmpfs in a temporary directory, filled and freed by a file of its own. */
  private static final class SmallDisk implements AutoCloseable {
    private final Path mountPoint;
    private final Path filler;

    private SmallDisk(Path mountPoint) {
      this.mountPoint = mountPoint;
      this.filler = mountPoint.resolve("filler");
    }

    static SmallDisk mount() throws Exception {
      Path dir = Files.createTempDirectory("records-tmpfs-");
      run("mount", "-t", "tmpfs", "-o", "size=2m", "records-tmpfs", dir.toString());
      return new SmallDisk(dir);
    }

    Path dir() throws IOException {
      return Files.createDirectories(mountPoint.resolve("logs"));
    }

    /** Writes the filler until the disk takes no more. */
    void fill() throws IOException {
      byte[] block = new byte[4096];
      try (OutputStream out = Files.newOutputStream(filler)) {
        for (int i = 0; i < 1024; i++) { // 4 MiB at most: twice the disk
          out.write(block);
          out.flush();
        }
        throw new AssertionError("a 2 MiB disk took 4 MiB");
      } catch (IOException full) {
        if (!String.valueOf(full.getMessage()).contains("No space left")) {
          throw full;
        }
      }
    }

    void free() throws IOException {
      Files.deleteIfExists(filler);
    }

    @Override
    public void close() throws Exception {
      run("umount", "-l", mountPoint.toString());
      TempDirs.deleteQuietly(mountPoint);
    }

    private static void run(String... command) throws Exception {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), () -> String.join(" ", command) + ": " + out);
    }
  }
}
