package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.Fixtures;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code allowdns logs top|blocked|suggest} over record files, through the real jar: a log
 * directory with the current file, a rotated {@code .gz} file, a damaged one and a garbage line
 * (written by the test, timestamps relative to now for {@code --since}); and the audit fixture in
 * {@code /logs/audit} for {@code suggest}.
 */
class LogsCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Path logs;
  private static Path auditLogs;
  private static Path brokenGzip;
  private static Path current;

  @BeforeAll
  static void writeLogs() throws IOException {
    logs = Files.createDirectories(dir.resolve("logs"));
    Instant now = Instant.now();
    Instant recent = now.minus(Duration.ofMinutes(10));
    Instant hoursAgo = now.minus(Duration.ofHours(3));
    Instant yesterday = now.minus(Duration.ofHours(20));
    current = logs.resolve("connections.jsonl");
    Files.writeString(
        current,
        String.join(
                "\n",
                connection(
                    recent,
                    "vm-7",
                    "registry.npmjs.org",
                    "104.16.1.34",
                    1024,
                    458_752,
                    "allowed",
                    null),
                connection(
                    recent,
                    "vm-7",
                    "registry.npmjs.org",
                    "104.16.1.35",
                    2048,
                    1_048_576,
                    "allowed",
                    null),
                connection(
                    hoursAgo,
                    "vm-8",
                    "files.pythonhosted.org",
                    "151.101.0.223",
                    500,
                    3_000_000,
                    "allowed",
                    null),
                connection(recent, "vm-7", null, "203.0.113.9", 0, 0, "blocked", "no_dns_answer"),
                "not json at all",
                connection(recent, "vm-7", null, "203.0.113.9", 0, 0, "blocked", "no_dns_answer"),
                connection(recent, "vm-7", null, "203.0.113.9", 0, 0, "blocked", "no_dns_answer"))
            + "\n");
    LocalDate rotatedDay = LocalDate.ofInstant(yesterday, ZoneOffset.UTC);
    gzip(
        logs.resolve("connections." + rotatedDay + ".0.jsonl.gz"),
        connection(yesterday, "vm-7", "github.com", "140.82.112.3", 10, 20_480, "allowed", null));
    brokenGzip = logs.resolve("connections." + rotatedDay + ".1.jsonl.gz");
    Files.writeString(brokenGzip, "this was never gzip\n");
    Files.writeString(
        logs.resolve("queries.jsonl"),
        String.join(
                "\n",
                query(recent, "vm-7", "evil.example", "blocked", "not_allowed"),
                query(recent.plusSeconds(1), "vm-7", "evil.example", "blocked", "not_allowed"),
                query(hoursAgo, "vm-7", "gist.githubusercontent.com", "blocked", "denied"),
                query(recent, "unknown", "probe.example", "refused", "unknown_sandbox"),
                query(recent, "vm-7", "registry.npmjs.org", "allowed", null),
                query(recent, "vm-7", "audit-only.example", "would_block", "not_allowed"))
            + "\n");

    auditLogs = Files.createDirectories(dir.resolve("audit-logs"));
    for (String file : List.of("queries.jsonl", "connections.jsonl")) {
      Files.writeString(auditLogs.resolve(file), Fixtures.text("/logs/audit/" + file));
    }
  }

  private static String connection(
      Instant at,
      String sandbox,
      String domain,
      String dstIp,
      long sent,
      long received,
      String result,
      String reason)
      throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("timestamp", at.toString());
    r.put("task_id", null);
    r.put("user", null);
    r.put("direction", "egress");
    r.put("domain", domain);
    r.put("port", 443);
    r.put("protocol", "https");
    r.put("sni", domain);
    r.put("bytes_sent", sent);
    r.put("bytes_received", received);
    r.put("duration_ms", 30);
    r.put("result", result);
    r.put("allowlist_rule", null);
    r.put("sandbox", sandbox);
    r.put("client_ip", "172.16.0.2");
    r.put("dst_ip", dstIp);
    r.put("reason", reason);
    return JSON.writeValueAsString(r);
  }

  private static String query(Instant at, String sandbox, String name, String result, String reason)
      throws IOException {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("timestamp", at.toString());
    r.put("sandbox", sandbox);
    r.put("client_ip", "172.16.0.2");
    r.put("name", name);
    r.put("type", "A");
    r.put("result", result);
    r.put("rcode", "allowed".equals(result) ? "NOERROR" : "NXDOMAIN");
    r.put("reason", reason);
    return JSON.writeValueAsString(r);
  }

  private static void gzip(Path file, String line) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private static CommandResult allowdns(String... args) {
    return AllowdnsCli.run(dir, args);
  }

  @Test
  void top_readsCurrentAndRotatedFiles_sumsPerDomainInHumanUnits_andReportsTheDamage() {
    CommandResult result = allowdns("logs", "top", "--log-dir", logs.toString());

    assertEquals(0, result.exitCode(), result::describe);
    assertEquals(
        List.of(
            List.of("DOMAIN", "CONNECTIONS", "BYTES_SENT", "BYTES_RECEIVED"),
            List.of("files.pythonhosted.org", "1", "500 B", "2.9 MiB"),
            List.of("registry.npmjs.org", "2", "3.0 KiB", "1.4 MiB"),
            List.of("github.com", "1", "10 B", "20.0 KiB"),
            List.of("203.0.113.9", "3", "0 B", "0 B")),
        result.tableCells(),
        result::describe);
    assertTrue(result.stderr().contains(brokenGzip + ": skipped"), result::describe);
    assertTrue(result.stderr().contains(current + ":5: not a JSON record"), result::describe);
  }

  @Test
  void top_json_sinceAnHour_givesExactCountsOfRecentRecordsOnly() throws Exception {
    CommandResult result =
        allowdns("logs", "top", "--log-dir", logs.toString(), "--since", "1h", "--json");

    assertEquals(0, result.exitCode(), result::describe);
    JsonNode rows = JSON.readTree(result.stdout());
    assertEquals(2, rows.size(), result::describe);
    assertEquals("registry.npmjs.org", rows.get(0).path("domain").asText(), result::describe);
    assertEquals(2, rows.get(0).path("connections").asLong(), result::describe);
    assertEquals(3072, rows.get(0).path("bytes_sent").asLong(), result::describe);
    assertEquals(1_507_328, rows.get(0).path("bytes_received").asLong(), result::describe);
    assertEquals("203.0.113.9", rows.get(1).path("domain").asText(), result::describe);
    assertEquals(3, rows.get(1).path("connections").asLong(), result::describe);
  }

  @Test
  void top_bySandboxAndByConnectionsWithLimit_narrowTheAnswer() {
    CommandResult oneSandbox =
        allowdns("logs", "top", "--log-dir", logs.toString(), "--sandbox", "vm-8");
    CommandResult byConnections =
        allowdns(
            "logs", "top", "--log-dir", logs.toString(), "--by", "connections", "--limit", "1");

    assertEquals(0, oneSandbox.exitCode(), oneSandbox::describe);
    List<List<String>> sandboxRows = oneSandbox.tableCells();
    assertEquals(2, sandboxRows.size(), oneSandbox::describe);
    assertEquals("files.pythonhosted.org", sandboxRows.get(1).get(0), oneSandbox::describe);
    assertEquals(0, byConnections.exitCode(), byConnections::describe);
    List<List<String>> connectionRows = byConnections.tableCells();
    assertEquals(2, connectionRows.size(), byConnections::describe);
    assertEquals(
        List.of("203.0.113.9", "3", "0 B", "0 B"), connectionRows.get(1), byConnections::describe);
  }

  @Test
  void blocked_countsRefusedQueriesAndConnections_mostFrequentFirst() throws Exception {
    CommandResult result = allowdns("logs", "blocked", "--log-dir", logs.toString(), "--json");

    assertEquals(0, result.exitCode(), result::describe);
    JsonNode rows = JSON.readTree(result.stdout());
    List<String> summary = new ArrayList<>();
    for (JsonNode row : rows) {
      summary.add(
          row.path("count").asLong()
              + " "
              + row.path("kind").asText()
              + " "
              + row.path("target").asText()
              + " "
              + row.path("reason").asText());
    }
    assertEquals(
        List.of(
            "3 connection 203.0.113.9 no_dns_answer",
            "2 query evil.example not_allowed",
            "1 query probe.example unknown_sandbox",
            "1 query gist.githubusercontent.com denied"),
        summary,
        result::describe);
    assertFalse(rows.get(0).path("last_seen").asText().isEmpty(), result::describe);
  }

  @Test
  void blocked_since_leavesOutOlderRefusals() {
    CommandResult result =
        allowdns("logs", "blocked", "--log-dir", logs.toString(), "--since", "1h");

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains("evil.example"), result::describe);
    assertFalse(result.stdout().contains("gist.githubusercontent.com"), result::describe);
  }

  @Test
  void suggest_writesAZoneThatValidatesAndAllowsWhatAuditModeLetThrough() throws Exception {
    CommandResult result = allowdns("logs", "suggest", "--log-dir", auditLogs.toString());

    assertEquals(0, result.exitCode(), result::describe);
    List<String> rules =
        result
            .stdout()
            .lines()
            .filter(l -> !l.startsWith("#") && !l.isBlank())
            .map(l -> l.split("\\s+")[0])
            .toList();
    assertEquals(
        List.of(
            "alpha.com",
            "beta.com",
            "**.deep.example.com",
            "gamma.com",
            "api.service.example.net",
            "*.cdn.example.org"),
        rules,
        result::describe);
    assertTrue(
        result.stdout().startsWith("# Suggested by `allowdns logs suggest`"), result::describe);
    assertTrue(result.stdout().contains("# ip:203.0.113.50"), result::describe);

    Path zones = Files.createDirectories(dir.resolve("suggested-zones"));
    Files.writeString(zones.resolve("audit.zone"), result.stdout());
    CommandResult validate = allowdns("validate", "--zones", zones.toString());
    CommandResult seen = allowdns("check", "b.cdn.example.org", "--zones", zones.toString());
    CommandResult widened = allowdns("check", "new.cdn.example.org", "--zones", zones.toString());
    CommandResult wasBlocked =
        allowdns("check", "blocked-only.example.net", "--zones", zones.toString());
    CommandResult publicSuffix = allowdns("check", "delta.com", "--zones", zones.toString());

    assertEquals(0, validate.exitCode(), validate::describe);
    assertEquals(0, seen.exitCode(), seen::describe);
    assertEquals(0, widened.exitCode(), widened::describe);
    assertEquals(1, wasBlocked.exitCode(), wasBlocked::describe);
    assertEquals(1, publicSuffix.exitCode(), publicSuffix::describe);
  }

  @Test
  void suggest_sandbox_usesOnlyThatSandboxsRecords() {
    CommandResult result =
        allowdns("logs", "suggest", "--log-dir", auditLogs.toString(), "--sandbox", "vm-b");

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains("**.deep.example.com"), result::describe);
    assertFalse(result.stdout().contains("cdn.example.org"), result::describe);
    assertTrue(result.stdout().contains("sandbox vm-b"), result::describe);
  }

  @ParameterizedTest(name = "logs {0} with a missing --log-dir exits 2")
  @ValueSource(strings = {"top", "blocked", "suggest"})
  void missingLogDirectory_exits2NamingIt(String command) {
    Path missing = dir.resolve("no-such-logs");

    CommandResult result = allowdns("logs", command, "--log-dir", missing.toString());

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("no log directory " + missing), result::describe);
    assertEquals("", result.stdout(), result::describe);
  }

  @Test
  void top_badSince_isAUsageError() {
    CommandResult result =
        allowdns("logs", "top", "--log-dir", logs.toString(), "--since", "yesterday");

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("--since"), result::describe);
  }
}
