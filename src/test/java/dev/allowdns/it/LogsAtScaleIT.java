package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.AuditLines;
import dev.allowdns.testing.CommandResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code allowdns logs sql} and {@code logs top --group-by} through the real jar, over a log
 * directory written by the test: two rotated {@code .gz} files, the current files, and a corrupt
 * line in the current connections file.
 */
class LogsAtScaleIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BYTES_BY_DOMAIN =
      "SELECT domain, SUM(bytes_received) AS total FROM connections GROUP BY domain ORDER BY total DESC";
  private static final String BLOCKED_BY_DOMAIN =
      "SELECT domain, COUNT(*) AS n FROM connections WHERE result='blocked' GROUP BY domain ORDER BY n DESC";

  @TempDir static Path dir;
  private static Path logs;
  private static Path current;

  @BeforeAll
  static void writeLogs() throws IOException {
    logs = Files.createDirectories(dir.resolve("logs"));
    Instant now = Instant.now();
    Instant dayBefore = now.minus(Duration.ofDays(2));
    Instant yesterday = now.minus(Duration.ofDays(1));
    AuditLines.gzip(
        logs.resolve("connections.2026-04-19.0.jsonl.gz"),
        List.of(
            AuditLines.connection(dayBefore, "vm-1", "task-a", "ann", "default:npm", "registry.npmjs.org", "104.16.1.34", 100, 400_000, "allowed", null),
            AuditLines.connection(dayBefore, "vm-2", "task-b", "bob", null, "evil.example", "203.0.113.9", 0, 0, "blocked", "sni_not_allowed")));
    AuditLines.gzip(
        logs.resolve("connections.2026-04-20.0.jsonl.gz"),
        List.of(
            AuditLines.connection(yesterday, "vm-2", "task-b", "bob", "default:gh", "github.com", "140.82.112.3", 50, 600_000, "allowed", null),
            AuditLines.connection(yesterday, "vm-2", "task-b", "bob", null, "evil.example", "203.0.113.9", 0, 0, "blocked", "sni_not_allowed")));
    current = logs.resolve("connections.jsonl");
    AuditLines.write(
        current,
        List.of(
            AuditLines.connection(now, "vm-1", "task-a", "ann", "default:npm", "registry.npmjs.org", "104.16.1.35", 200, 500_000, "allowed", null),
            "{\"timestamp\":\"" + now + "\",\"domain\":\"broken\"", // a crash cut it short
            AuditLines.connection(now, "vm-3", "task-c", "ann", null, "paste.example", "198.51.100.7", 0, 0, "blocked", "sni_not_allowed"),
            AuditLines.connection(now, "vm-2", "task-b", "bob", null, "evil.example", "203.0.113.9", 0, 0, "blocked", "sni_not_allowed")));
    AuditLines.write(
        logs.resolve("queries.jsonl"),
        List.of(
            AuditLines.query(now, "vm-1", "registry.npmjs.org", "allowed", null, List.of("A 104.16.1.35")),
            AuditLines.query(now, "vm-2", "evil.example", "blocked", "not_allowed", List.of())));
  }

  private static CommandResult allowdns(String... args) {
    return AllowdnsCli.run(dir, args);
  }

  @Test
  void sql_bytesByDomain_readsRotatedAndCurrentFiles_andReportsTheCorruptLine() {
    CommandResult result = allowdns("logs", "sql", "--log-dir", logs.toString(), BYTES_BY_DOMAIN);

    assertEquals(0, result.exitCode(), result::describe);
    assertEquals(
        List.of(
            List.of("domain", "total"),
            List.of("registry.npmjs.org", "900000"),
            List.of("github.com", "600000"),
            List.of("evil.example", "0"),
            List.of("paste.example", "0")),
        result.tableCells(),
        result::describe);
    assertTrue(result.stderr().contains(current + ":2: not a JSON record"), result::describe);
  }

  @Test
  void sql_blockedByDomain_json_isAnArrayOfObjects() throws Exception {
    CommandResult result =
        allowdns("logs", "sql", "--log-dir", logs.toString(), "--json", BLOCKED_BY_DOMAIN);

    assertEquals(0, result.exitCode(), result::describe);
    JsonNode rows = JSON.readTree(result.stdout());
    assertEquals(
        JSON.readTree("[{\"domain\":\"evil.example\",\"n\":3},{\"domain\":\"paste.example\",\"n\":1}]"),
        rows,
        result::describe);
    assertTrue(result.stderr().contains(current + ":2: "), result::describe);
  }

  @Test
  void sql_csv_quotesWhatMustBeQuoted() {
    CommandResult result =
        allowdns(
            "logs", "sql", "--log-dir", logs.toString(), "--csv",
            "SELECT name, answers, result, timestamp IS NOT NULL AS timed FROM queries ORDER BY name");

    assertEquals(0, result.exitCode(), result::describe);
    assertEquals(
        List.of(
            "name,answers,result,timed",
            "evil.example,[],blocked,true",
            "registry.npmjs.org,\"[\"\"A 104.16.1.35\"\"]\",allowed,true"),
        result.stdout().lines().toList(),
        result::describe);
  }

  @Test
  void sql_badQuery_exits2WithTheEnginesMessage() {
    CommandResult result =
        allowdns("logs", "sql", "--log-dir", logs.toString(), "SELECT domian FROM connections");

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("logs sql: Binder Error"), result::describe);
    assertTrue(result.stderr().contains("domian"), result::describe);
    assertEquals("", result.stdout(), result::describe);
  }

  @Test
  void top_groupByTask_sumsBytesPerTask() {
    CommandResult result =
        allowdns("logs", "top", "--log-dir", logs.toString(), "--group-by", "task");

    assertEquals(0, result.exitCode(), result::describe);
    assertEquals(
        List.of(
            List.of("TASK_ID", "CONNECTIONS", "BYTES_SENT", "BYTES_RECEIVED"),
            List.of("task-a", "2", "300 B", "878.9 KiB"),
            List.of("task-b", "4", "50 B", "585.9 KiB"),
            List.of("task-c", "1", "0 B", "0 B")),
        result.tableCells(),
        result::describe);
  }

  @Test
  void top_groupByUserByConnections_json_namesTheGroupByItsField() throws Exception {
    CommandResult result =
        allowdns(
            "logs", "top", "--log-dir", logs.toString(), "--group-by", "user", "--by", "connections",
            "--json");

    assertEquals(0, result.exitCode(), result::describe);
    assertEquals(
        JSON.readTree(
            "[{\"user\":\"bob\",\"connections\":4,\"bytes_sent\":50,\"bytes_received\":600000},"
                + "{\"user\":\"ann\",\"connections\":3,\"bytes_sent\":300,\"bytes_received\":900000}]"),
        JSON.readTree(result.stdout()),
        result::describe);
  }

  @Test
  void top_groupByRule_countsConnectionsWithoutARuleUnderUnknown() {
    CommandResult result =
        allowdns("logs", "top", "--log-dir", logs.toString(), "--group-by", "rule");

    assertEquals(0, result.exitCode(), result::describe);
    assertEquals(
        List.of(
            List.of("ALLOWLIST_RULE", "CONNECTIONS", "BYTES_SENT", "BYTES_RECEIVED"),
            List.of("default:npm", "2", "300 B", "878.9 KiB"),
            List.of("default:gh", "1", "50 B", "585.9 KiB"),
            List.of("(unknown)", "4", "0 B", "0 B")),
        result.tableCells(),
        result::describe);
  }

  @Test
  void top_groupByUnknown_isAUsageError() {
    CommandResult result =
        allowdns("logs", "top", "--log-dir", logs.toString(), "--group-by", "host");

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("expected domain, sandbox, task, user, rule or path, got 'host'"), result::describe);
  }
}
