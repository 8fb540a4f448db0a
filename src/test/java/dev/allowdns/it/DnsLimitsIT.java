package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.Fixtures;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.UpstreamDns;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Per-sandbox DNS limits through the real server, Knot upstream and real clients (DESIGN.md,
 * "Limits"): sandboxes are loopback source addresses 127.0.0.2–6 registered in the config file,
 * each its own budget. dnsperf floods from one while another keeps its rate and latency; a
 * tunnel-like client of unique labels runs into the name budget while a build's names stay far
 * below it; a reload changes a limit on the fly.
 */
@RequiresPrograms({"knotd", "dnsperf", "dig", "python3"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsLimitsIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int QPS = 300;
  private static final int NAMES = 200;
  private static final String CONFIG =
      """
      limits: {dns_qps: %d, names_per_domain_per_hour: %d}
      sandboxes:
        - {cidr: 127.0.0.2/32, id: vm-hot}
        - {cidr: 127.0.0.3/32, id: vm-calm}
        - {cidr: 127.0.0.4/32, id: vm-tunnel}
        - {cidr: 127.0.0.5/32, id: vm-build}
        - {cidr: 127.0.0.6/32, id: vm-reload}
      """;
  private static final List<String> BUILD_ZONES =
      List.of("npmjs.org", "github.com", "githubusercontent.com", "pypi.org", "pythonhosted.org");

  private static UpstreamDns upstream;
  private static AllowdnsProcess allowdns;
  private static Path work;

  @BeforeAll
  static void start() {
    UpstreamDns.Builder zones = UpstreamDns.builder().zone("lim.test", wildcardZone("lim.test"));
    BUILD_ZONES.forEach(zone -> zones.zone(zone, wildcardZone(zone)));
    upstream = zones.start();
    StringBuilder allow = new StringBuilder("**.lim.test\n");
    BUILD_ZONES.forEach(zone -> allow.append(zone).append("\n**.").append(zone).append('\n'));
    allowdns =
        AllowdnsProcess.builder()
            .zoneFile("lim.zone", allow.toString())
            .upstream(upstream.address())
            .config(CONFIG.formatted(QPS, NAMES))
            .warmUp("www.lim.test")
            .start();
    try {
      work = Files.createTempDirectory("allowdns-limits-it-");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable started : new AutoCloseable[] {allowdns, upstream}) {
      if (started != null) {
        started.close();
      }
    }
    if (work != null) {
      dev.allowdns.testing.TempDirs.deleteQuietly(work);
    }
  }

  private static String wildcardZone(String origin) {
    return "$TTL 300\n@ SOA ns." + origin + ". h." + origin + ". 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\n"
        + "@ A 192.0.2.10\n* A 192.0.2.11\n";
  }

  @Test
  @Order(1)
  void dnsQps_theFloodingSandboxIsRefused_theOtherLosesNothingAndKeepsItsLatency() throws Exception {
    Path names = Files.writeString(work.resolve("cached.txt"), "www.lim.test A\napi.lim.test A\ncdn.lim.test A\n");
    Perf.run(allowdns.port(), "127.0.0.3", names, 150, 3); // warm-up: the JIT, the cache
    Perf unloaded = Perf.run(allowdns.port(), "127.0.0.3", names, 150, 6); // half its limit
    assertEquals(0, unloaded.lost(), unloaded.report());
    assertEquals(unloaded.completed(), unloaded.noerror(), unloaded.report());

    // The flood: as fast as dnsperf goes (bounded: 8 s, 20,000/s), from vm-hot beside vm-calm.
    Perf.Running flood = Perf.start(allowdns.port(), "127.0.0.2", names, 20_000, 8);
    Thread.sleep(1_000);
    Perf loaded = Perf.run(allowdns.port(), "127.0.0.3", names, 150, 6);
    Perf hot = Perf.finish(flood);

    assertEquals(0, loaded.lost(), loaded.report());
    assertEquals(loaded.completed(), loaded.noerror(), "vm-calm within its limit: every answer NOERROR\n" + loaded.report());
    assertTrue(hot.refused() > hot.noerror(), "vm-hot over dns_qps " + QPS + ": mostly REFUSED\n" + hot.report());
    // Admitted: its 2 s burst, then QPS a second (8 s), with a second of slack for timing.
    assertTrue(hot.noerror() <= 2 * QPS + 9 * QPS, hot.report());
    // A floor of 1 ms on the unloaded p99: loopback answers take ~0.1 ms, below the jitter of a
    // shared two-core machine; the bound is what a sandbox would notice.
    double bound = 2 * Math.max(unloaded.p99Seconds(), 0.001);
    assertTrue(
        loaded.p99Seconds() <= bound,
        "vm-calm p99 " + loaded.p99Seconds() + " s under vm-hot's flood, unloaded " + unloaded.p99Seconds() + " s");
    System.out.printf(
        "DnsLimitsIT: vm-calm p99 %.3f ms unloaded, %.3f ms beside the flood; vm-hot %d NOERROR, %d REFUSED%n",
        unloaded.p99Seconds() * 1e3, loaded.p99Seconds() * 1e3, hot.noerror(), hot.refused());

    DigResult refused = Dig.at(allowdns.port()).query("www.lim.test", "A", "-b", "127.0.0.2");
    assertTrue(refused.stdout().contains("allowdns: sandbox vm-hot is over dns_qps " + QPS + "/s")
        || refused.status().equals("NOERROR"), refused.stdout()); // refilled by now, or still over

    // Records: one summary per second, whose counts add up to the refusals dnsperf saw.
    // dnsperf counts the answers it saw in time; the server also refused those it stopped waiting
    // for (lost), and dig's query above.
    List<JsonNode> summaries = awaitSummaries("vm-hot", hot.refused(), hot.refused() + hot.lost() + 1);
    assertTrue(summaries.size() <= 11, summaries.size() + " summaries for an 8 s flood");
    for (JsonNode s : summaries) {
      assertEquals("refused", s.path("result").asText());
      assertEquals("rate_limited", s.path("reason").asText());
      assertEquals("dns_qps", s.path("limit").asText());
      assertTrue(s.path("timestamp").asText().endsWith(":00.000Z") || s.path("timestamp").asText().matches(".*:\\d\\d\\.000Z"), s::toString);
    }
    assertTrue(
        allowdns.queryLog().entries().stream()
            .noneMatch(e -> e.path("sandbox").asText().equals("vm-hot") && e.path("reason").asText().equals("rate_limited") && !e.has("count")),
        "no rate-limited query has a record of its own");
    String metrics = http("GET", "/metrics");
    assertTrue(metrics.matches("(?s).*allowdns_limit_hits_total\\{limit=\"dns_qps\",policy=\"default\"[^}]*} [1-9].*"), metrics);
  }

  @Test
  @Order(2)
  void nameBudget_aTunnelIsCutOffAtTheBudget_aBuildStaysFarBelow() throws Exception {
    List<String[]> tunnel = names("127.0.0.4", "--unique", "lim.test", Integer.toString(NAMES + 50));
    for (int i = 0; i < NAMES; i++) {
      assertEquals("NOERROR", tunnel.get(i)[1], () -> Arrays.toString(tunnel.get(NAMES - 1)));
    }
    for (int i = NAMES; i < tunnel.size(); i++) {
      String[] line = tunnel.get(i);
      assertEquals("NXDOMAIN", line[1], String.join(" ", line));
      assertEquals(
          "allowdns: sandbox vm-tunnel is over names_per_domain_per_hour " + NAMES + " for lim.test", line[2]);
    }
    // A name counted before keeps resolving; another registrable domain has its own budget.
    Path seen = Files.writeString(work.resolve("seen.txt"), tunnel.get(7)[0] + "\nregistry.npmjs.org\n");
    assertEquals(List.of("NOERROR", "NOERROR"), names("127.0.0.4", "--file", seen.toString()).stream().map(l -> l[1]).toList());
    JsonNode refusal = allowdns.queryLog().awaitFirst(tunnel.get(NAMES)[0], "A");
    assertEquals("name_budget", refusal.path("reason").asText(), refusal::toString);
    assertEquals("NXDOMAIN", refusal.path("rcode").asText(), refusal::toString);

    Path build = Files.writeString(work.resolve("build.txt"), Fixtures.text("/it/limits/build-names.txt"));
    List<String[]> answers = names("127.0.0.5", "--file", build.toString());
    assertTrue(answers.stream().allMatch(l -> l[1].equals("NOERROR")), () -> answers.stream().map(l -> String.join(" ", l)).toList().toString());
    JsonNode use = sandbox("vm-build").path("use");
    int busiest = use.path("busiest_domain_names").asInt();
    assertTrue(busiest > 0 && busiest * 20 <= NAMES, "a build's busiest domain has " + busiest + " names: " + use);
    assertEquals(String.valueOf(NAMES), sandbox("vm-build").path("limits").path("names_per_domain_per_hour").asText());
    assertEquals(NAMES, sandbox("vm-tunnel").path("use").path("busiest_domain_names").asInt());
  }

  @Test
  @Order(3)
  void reload_changesALimitOnTheFly() throws Exception {
    Path config = allowdns.workDir().resolve("allowdns.yaml");
    String before = Files.readString(config);
    try {
      Files.writeString(config, CONFIG.formatted(2, NAMES));
      JsonNode reload = JSON.readTree(http("POST", "/reload"));
      assertTrue(reload.path("applied").asBoolean(), reload::toString);
      assertEquals("2", sandbox("vm-reload").path("limits").path("dns_qps").asText());
      List<String> statuses = new ArrayList<>();
      DigResult last = null;
      for (int i = 0; i < 8; i++) { // the burst of dns_qps 2 is 4 queries
        last = Dig.at(allowdns.port()).query("www.lim.test", "A", "-b", "127.0.0.6");
        statuses.add(last.status());
      }
      assertTrue(statuses.contains("REFUSED"), statuses.toString());
      assertTrue(last.stdout().contains("allowdns: sandbox vm-reload is over dns_qps 2/s"), last.stdout());
    } finally {
      Files.writeString(config, before);
      http("POST", "/reload");
    }
    assertEquals(String.valueOf(QPS), sandbox("vm-reload").path("limits").path("dns_qps").asText());
  }

  /** Waits until the summaries of {@code sandbox} count at least {@code least} refusals, and at most {@code most}. */
  private static List<JsonNode> awaitSummaries(String sandbox, long least, long most) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    List<JsonNode> found = List.of();
    long counted = 0;
    while (System.nanoTime() < deadline) {
      Thread.sleep(1_500); // a second's summary is written once the second is over
      found =
          allowdns.queryLog().entries().stream()
              .filter(e -> e.path("sandbox").asText().equals(sandbox) && e.has("count"))
              .toList();
      counted = found.stream().mapToLong(e -> e.path("count").asLong()).sum();
      if (counted >= least && counted <= most) {
        return found;
      }
    }
    throw new AssertionError(
        "summaries of " + sandbox + " count " + counted + ", expected " + least + ".." + most + ": " + found);
  }

  private static JsonNode sandbox(String id) throws Exception {
    for (JsonNode s : JSON.readTree(http("GET", "/sandboxes"))) {
      if (s.path("id").asText().equals(id)) {
        return s;
      }
    }
    throw new AssertionError("no sandbox " + id);
  }

  private static String http(String method, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + allowdns.adminAddress() + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build();
    HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response::body);
    return response.body();
  }

  /** Runs names.py (the fixture's client) from {@code source}; its lines as name, rcode, EDE text. */
  private static List<String[]> names(String source, String... args) throws IOException, InterruptedException {
    Path script = work.resolve("names.py");
    Files.writeString(script, Fixtures.text("/it/limits/names.py"));
    List<String> command = new ArrayList<>(List.of("python3", script.toString(), "127.0.0.1", Integer.toString(allowdns.port()), source));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "names.py did not finish");
    assertEquals(0, p.exitValue(), out);
    return out.lines().map(l -> l.split("\t", -1)).toList();
  }

  /** One dnsperf run's report, with each answer's latency ({@code -v}). */
  private record Perf(String report, long completed, long lost, long noerror, long refused, double p99Seconds) {
    /** A dnsperf running, its output going to a file: a pipe nobody reads would stall it. */
    record Running(Process process, Path out) {}

    static Running start(int port, String source, Path names, int qps, int seconds) throws IOException {
      Path out = Files.createTempFile(work, "dnsperf-" + source + "-", ".out");
      Process process = new ProcessBuilder(
              "dnsperf", "-s", "127.0.0.1", "-p", Integer.toString(port), "-a", source, "-d", names.toString(),
              "-l", Integer.toString(seconds), "-Q", Integer.toString(qps), "-t", "2", "-q", "100", "-v")
          .redirectErrorStream(true)
          .redirectOutput(out.toFile())
          .start();
      return new Running(process, out);
    }

    static Perf run(int port, String source, Path names, int qps, int seconds) throws Exception {
      return finish(start(port, source, names, qps, seconds));
    }

    static Perf finish(Running dnsperf) throws Exception {
      assertTrue(dnsperf.process().waitFor(30, TimeUnit.SECONDS), "dnsperf did not finish");
      String out = Files.readString(dnsperf.out());
      List<Double> latencies = new ArrayList<>();
      Matcher each = Pattern.compile("(?m)^> \\S+ .* ([0-9]+\\.[0-9]+)$").matcher(out);
      while (each.find()) {
        latencies.add(Double.parseDouble(each.group(1)));
      }
      latencies.sort(null);
      double p99 = latencies.isEmpty() ? Double.NaN : latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1);
      String report = out.substring(Math.max(0, out.indexOf("Statistics:")));
      return new Perf(report, number(out, "Queries completed:\\s+(\\d+)"), number(out, "Queries lost:\\s+(\\d+)"),
          code(out, "NOERROR"), code(out, "REFUSED"), p99);
    }

    private static long code(String out, String rcode) {
      Matcher m = Pattern.compile("Response codes:[^\\n]*\\b" + rcode + " (\\d+)").matcher(out);
      return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long number(String out, String regex) {
      Matcher m = Pattern.compile(regex).matcher(out);
      assertTrue(m.find(), "no " + regex + " in: " + out);
      return Long.parseLong(m.group(1));
    }
  }
}
