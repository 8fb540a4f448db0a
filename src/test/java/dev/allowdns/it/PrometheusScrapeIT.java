package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.Fixtures;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.Programs;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.UpstreamDns;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus server scrapes a real {@code allowdns serve} (in front of a real knotd) every
 * second, with {@code deploy/prometheus/allowdns-alerts.yml} loaded; the test sends allowed and
 * blocked queries with dig and asks Prometheus's HTTP API what it has seen. This proves the series
 * names and labels the dashboards and alert rules rely on are the ones allowdns really exposes, and
 * that the rules evaluate without error against them.
 */
@RequiresPrograms({"knotd", "dig", "prometheus"})
class PrometheusScrapeIT {
  private static final String RULE = "default:web";
  private static final List<String> ALLOWED_A = List.of("www.it.test", "www.it.test", "www.it.test");
  private static final List<String> ALLOWED_AAAA = List.of("dual.it.test");
  private static final List<String> BLOCKED =
      List.of("unlisted.it.test", "nope-1.it.test", "nope-2.it.test", "nope-3.it.test");
  private static final int QUERIES = ALLOWED_A.size() + ALLOWED_AAAA.size() + BLOCKED.size();
  private static final Duration SEEN_TIMEOUT = Duration.ofSeconds(30);

  private static UpstreamDns upstream;
  private static AllowdnsProcess allowdns;
  private static String admin;
  private static PrometheusServer prometheus;

  @BeforeAll
  static void startAndQuery() {
    upstream =
        UpstreamDns.builder().zone("it.test", Fixtures.text("/it/upstream/it.test.zone")).start();
    allowdns =
        AllowdnsProcess.builder()
            .zoneFile("web.zone", "www.it.test\ndual.it.test\n")
            .upstream(upstream.address())
            .start();
    admin = adminAddress(allowdns.readyLine());
    prometheus = PrometheusServer.start(DeployTools.repoFile(DeployAlertRulesTest.RULES), admin);

    Dig dig = Dig.at(allowdns.port());
    for (String name : ALLOWED_A) {
      expectStatus(dig.query(name, "A"), "NOERROR");
    }
    for (String name : ALLOWED_AAAA) {
      expectStatus(dig.query(name, "AAAA"), "NOERROR");
    }
    for (String name : BLOCKED) {
      expectStatus(dig.query(name, "A"), "NXDOMAIN");
    }
    // Every query is in one scrape once the total is; later assertions need no more waiting.
    prometheus.awaitValue(
        "sum(allowdns_dns_queries_total{job=\"allowdns\"})", v -> v == QUERIES, SEEN_TIMEOUT);
  }

  @AfterAll
  static void stop() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (allowdns != null) {
      allowdns.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void up_isOneForTheAllowdnsJob() {
    assertEquals(1.0, prometheus.value("up{job=\"allowdns\",instance=\"" + admin + "\"}"));
  }

  @Test
  void queriesTotal_countsBlockedQueriesUnderRuleNone() {
    assertEquals(
        BLOCKED.size(),
        prometheus.value("allowdns_dns_queries_total{job=\"allowdns\",result=\"blocked\",type=\"A\",rule=\"none\"}"));
    assertEquals(
        BLOCKED.size(), prometheus.value("sum(allowdns_dns_queries_total{result=\"blocked\"})"));
  }

  @Test
  void queriesTotal_countsAllowedQueriesByTypeUnderTheirRule() {
    assertEquals(
        ALLOWED_A.size(),
        prometheus.value("allowdns_dns_queries_total{result=\"allowed\",type=\"A\",rule=\"" + RULE + "\"}"));
    assertEquals(
        ALLOWED_AAAA.size(),
        prometheus.value("allowdns_dns_queries_total{result=\"allowed\",type=\"AAAA\",rule=\"" + RULE + "\"}"));
  }

  @Test
  void firstSeenNames_countEachAllowedNameOnceAndNoBlockedName() {
    // www.it.test (asked three times) and dual.it.test; the blocked names were never resolved.
    assertEquals(
        2.0, prometheus.value("allowdns_dns_first_seen_names_total{job=\"allowdns\",policy=\"default\"}"));
  }

  @Test
  void queryDuration_histogramCountsEveryQuery() {
    assertEquals(QUERIES, prometheus.value("allowdns_dns_query_duration_seconds_count{job=\"allowdns\"}"));
    assertTrue(
        prometheus.value("count(allowdns_dns_query_duration_seconds_bucket{job=\"allowdns\"})") > 1,
        "the query duration should be a histogram with buckets, for histogram_quantile()");
  }

  @Test
  void upstreamSeries_countTheTwoForwardedQuestionsAndNoFailure() {
    String upstreamLabel = "upstream=\"" + upstream.address() + "\"";
    // www.it.test A once (the other two come from the cache), dual.it.test AAAA once.
    assertEquals(
        2.0, prometheus.value("allowdns_upstream_request_duration_seconds_count{" + upstreamLabel + "}"));
    assertEquals(0.0, prometheus.value("sum(allowdns_upstream_failures_total) or vector(0)"));
  }

  @Test
  void cacheSeries_countTheRepeatedQuestionAsHits() {
    assertTrue(
        prometheus.value("cache_gets_total{cache=\"allowdns_dns_cache\",result=\"hit\"}") >= ALLOWED_A.size() - 1,
        "the second and third www.it.test A should be cache hits");
  }

  @Test
  void policyGenerationAndRecordLog_showTheLoadedPolicyAndEveryQueryWritten() {
    assertEquals(1.0, prometheus.value("allowdns_policy_generation{job=\"allowdns\"}"));
    prometheus.awaitValue(
        "allowdns_record_log_written{log=\"queries\"}", v -> v == QUERIES, SEEN_TIMEOUT);
    assertEquals(0.0, prometheus.value("allowdns_record_log_backlog{log=\"queries\"}"));
  }

  @Test
  void rules_loadFromTheDeployFileAndEvaluateWithoutError() throws IOException {
    Set<String> expected = new TreeSet<>();
    for (JsonNode alert : DeployAlertRulesTest.alerts(DeployTools.repoFile(DeployAlertRulesTest.RULES))) {
      expected.add(alert.path("alert").asText());
    }

    // A rule has health "unknown" until its first evaluation; then "ok", or "err" with lastError.
    JsonNode groups =
        prometheus.awaitJson(
            "/api/v1/rules?type=alert",
            data -> rules(data).stream().noneMatch(r -> r.path("health").asText().equals("unknown")),
            SEEN_TIMEOUT);
    Set<String> loaded = new TreeSet<>();
    List<String> unhealthy = new ArrayList<>();
    for (JsonNode rule : rules(groups)) {
      loaded.add(rule.path("name").asText());
      if (!rule.path("health").asText().equals("ok")) {
        unhealthy.add(rule.path("name").asText() + ": " + rule.path("lastError").asText());
      }
    }
    assertEquals(expected, loaded, () -> "rule groups: " + groups);
    assertTrue(unhealthy.isEmpty(), () -> "rules that failed to evaluate: " + unhealthy);
  }

  @Test
  void reloadFailedAlert_firesWhenAReloadFailsValidation() throws Exception {
    Path broken = allowdns.zonesDir().resolve("broken.zone");
    Files.writeString(broken, "*.com\n", StandardCharsets.UTF_8); // a whole public suffix: an error
    try {
      HttpResponse<String> reload =
          PrometheusServer.HTTP.send(
              HttpRequest.newBuilder(URI.create("http://" + admin + "/reload"))
                  .timeout(Duration.ofSeconds(10))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(422, reload.statusCode(), reload::body);

      JsonNode alerts =
          prometheus.awaitJson(
              "/api/v1/alerts",
              data -> firing(data, "AllowdnsReloadFailed").isPresent(),
              SEEN_TIMEOUT);
      JsonNode alert = firing(alerts, "AllowdnsReloadFailed").orElseThrow();
      assertEquals("warning", alert.path("labels").path("severity").asText(), alert::toString);
      assertEquals(admin, alert.path("labels").path("instance").asText(), alert::toString);
      assertEquals(
          "A policy reload failed on " + admin, alert.path("annotations").path("summary").asText());
      assertEquals(1.0, prometheus.value("allowdns_policy_generation{job=\"allowdns\"}"));
    } finally {
      Files.deleteIfExists(broken);
    }
  }

  private static List<JsonNode> rules(JsonNode data) {
    List<JsonNode> rules = new ArrayList<>();
    for (JsonNode group : data.path("groups")) {
      group.path("rules").forEach(rules::add);
    }
    return rules;
  }

  private static Optional<JsonNode> firing(JsonNode data, String alertName) {
    for (JsonNode alert : data.path("alerts")) {
      if (alert.path("labels").path("alertname").asText().equals(alertName)
          && alert.path("state").asText().equals("firing")) {
        return Optional.of(alert);
      }
    }
    return Optional.empty();
  }

  private static void expectStatus(DigResult result, String status) {
    assertEquals(status, result.status(), result::describe);
  }

  /** Returns the admin address from serve's ready line ({@code ...; admin 127.0.0.1:PORT; ...}). */
  private static String adminAddress(String readyLine) {
    Matcher m = Pattern.compile("; admin (\\S+);").matcher(readyLine);
    assertTrue(m.find(), () -> "no admin address in the ready line: " + readyLine);
    return m.group(1);
  }

  /**
   * {@code prometheus} as a subprocess on 127.0.0.1 and a free port, with its own config and
   * storage in a temporary directory, scraping one target every second. Ended by its own PID.
   */
  static final class PrometheusServer implements AutoCloseable {
    static final HttpClient HTTP =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;

    private final Path dir;
    private final Process process;
    private final String address;
    private final Thread reaper;

    private PrometheusServer(Path dir, Process process, String address) {
      this.dir = dir;
      this.process = process;
      this.address = address;
      this.reaper = new Thread(this::terminate, "prometheus-reaper");
      Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts Prometheus with {@code rules} loaded and the job {@code allowdns} on {@code target}. */
    static PrometheusServer start(Path rules, String target) {
      Path binary = Programs.require("prometheus");
      List<String> failures = new ArrayList<>();
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        Path dir = null;
        try {
          dir = Files.createTempDirectory("allowdns-prometheus-");
          Path config = dir.resolve("prometheus.yml");
          Files.writeString(
              config,
              """
              global:
                scrape_interval: 1s
                scrape_timeout: 1s
                evaluation_interval: 1s
              rule_files:
                - "%s"
              scrape_configs:
                - job_name: allowdns
                  static_configs:
                    - targets: ["%s"]
              """
                  .formatted(rules, target),
              StandardCharsets.UTF_8);
          String address = "127.0.0.1:" + FreePorts.udpAndTcp();
          Path log = dir.resolve("prometheus.log");
          Process process =
              new ProcessBuilder(
                      binary.toString(),
                      "--config.file=" + config,
                      "--storage.tsdb.path=" + dir.resolve("data"),
                      "--web.listen-address=" + address)
                  .directory(dir.toFile())
                  .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                  .redirectErrorStream(true)
                  .redirectOutput(log.toFile())
                  .start();
          PrometheusServer server = new PrometheusServer(dir, process, address);
          if (server.awaitReady()) {
            return server;
          }
          String output = Files.readString(log, StandardCharsets.UTF_8);
          failures.add("attempt " + attempt + " on " + address + ":\n" + output);
          server.close();
          if (!output.contains("address already in use")) {
            break;
          }
        } catch (IOException e) {
          failures.add("attempt " + attempt + ": " + e);
          deleteQuietly(dir);
        }
      }
      throw new IllegalStateException("prometheus did not become ready:\n" + String.join("\n", failures));
    }

    private boolean awaitReady() {
      long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline && process.isAlive()) {
        try {
          HttpResponse<String> ready =
              HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://" + address + "/-/ready"))
                      .timeout(Duration.ofSeconds(2))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (ready.statusCode() == 200) {
            return true;
          }
        } catch (IOException notYet) {
          // Not listening yet.
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
        sleep(Duration.ofMillis(200));
      }
      return false;
    }

    /** Returns the value of an instant query that must yield exactly one series. */
    double value(String promql) {
      JsonNode result = query(promql).path("result");
      assertEquals(1, result.size(), () -> promql + " should give one series: " + result + "\n" + log());
      return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    /** Waits until an instant query yields one series whose value {@code wanted} accepts. */
    void awaitValue(String promql, Predicate<Double> wanted, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      JsonNode last;
      do {
        last = query(promql).path("result");
        if (last.size() == 1 && wanted.test(Double.parseDouble(last.get(0).path("value").get(1).asText()))) {
          return;
        }
        sleep(Duration.ofMillis(250));
      } while (System.nanoTime() < deadline);
      throw new AssertionError(
          promql + " did not reach the expected value within " + timeout + "; last: " + last + "\n" + log());
    }

    /** Waits until the {@code data} of an API endpoint satisfies {@code wanted}, and returns it. */
    JsonNode awaitJson(String path, Predicate<JsonNode> wanted, Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      JsonNode data;
      do {
        data = get(path);
        if (wanted.test(data)) {
          return data;
        }
        sleep(Duration.ofMillis(250));
      } while (System.nanoTime() < deadline);
      throw new AssertionError(path + " did not change as expected within " + timeout + "; last: " + data);
    }

    private JsonNode query(String promql) {
      return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    }

    /** GETs an API path and returns its {@code data}, failing on anything but success. */
    private JsonNode get(String path) {
      try {
        HttpResponse<String> response =
            HTTP.send(
                HttpRequest.newBuilder(URI.create("http://" + address + path))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        assertEquals("success", body.path("status").asText(), () -> path + " -> " + response.body());
        return body.path("data");
      } catch (IOException e) {
        throw new IllegalStateException("cannot GET " + path + " from prometheus\n" + log(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }

    private String log() {
      try {
        return "--- prometheus log ---\n" + Files.readString(dir.resolve("prometheus.log"));
      } catch (IOException e) {
        return "(no prometheus log: " + e + ")";
      }
    }

    /** SIGTERM to this process only, SIGKILL if it has not exited 10 s later. */
    private void terminate() {
      if (!process.isAlive()) {
        return;
      }
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      terminate();
      try {
        Runtime.getRuntime().removeShutdownHook(reaper);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or has run: nothing to remove.
      }
      deleteQuietly(dir);
    }

    private static void sleep(Duration duration) {
      try {
        Thread.sleep(duration.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }

    private static void deleteQuietly(Path dir) {
      if (dir == null || !Files.exists(dir)) {
        return;
      }
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // Best effort: the OS cleans /tmp eventually.
      }
    }
  }
}
