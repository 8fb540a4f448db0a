package dev.allowdns.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.logs.RecordFilter;
import dev.allowdns.logs.RecordReader;
import dev.allowdns.testing.AuditLines;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tables over real record files, queried through the real engine. */
class RecordTablesTest {
  private static final Instant T = Instant.parse("2026-04-21T14:00:00Z");

  @TempDir Path dir;
  private final List<String> problems = new ArrayList<>();

  @BeforeEach
  void writeLogs() throws Exception {
    AuditLines.gzip(
        dir.resolve("connections.2026-04-20.0.jsonl.gz"),
        List.of(
            AuditLines.connection(T.minusSeconds(86_400), "vm-1", "t-1", "ann", "default:npm", "registry.npmjs.org", "104.16.1.34", 10, 5_000, "allowed", null)));
    AuditLines.write(
        dir.resolve("connections.jsonl"),
        List.of(
            AuditLines.connection(T, "vm-1", "t-1", "ann", "default:npm", "registry.npmjs.org", "104.16.1.35", 20, 7_000, "allowed", null),
            AuditLines.connection(T, "vm-2", "t-2", "bob", "default:gh", "github.com", "140.82.112.3", 30, 9_000, "allowed", null),
            "{\"timestamp\":\"2026-04-21T14:00:01Z\",\"bytes_sent\":\"many\"}",
            AuditLines.connection(T, "vm-2", "t-2", "bob", null, null, "203.0.113.9", 0, 0, "blocked", "no_dns_answer"),
            AuditLines.connection(T, "vm-2", "t-2", "bob", null, null, "203.0.113.9", 0, 0, "blocked", "no_dns_answer")));
    AuditLines.write(
        dir.resolve("queries.jsonl"),
        List.of(AuditLines.query(T, "vm-1", "registry.npmjs.org", "allowed", null, List.of("A 104.16.1.34"))));
  }

  private RecordTables load(RecordFilter filter) throws Exception {
    return RecordTables.load(RecordReader.open(dir, problems::add), filter);
  }

  @Test
  void query_bytesPerDomain_sumsCurrentAndRotatedFiles_andReportsTheDamagedLine() throws Exception {
    Answer answer;
    try (RecordTables tables = load(RecordFilter.ALL)) {
      answer =
          tables.query(
              "SELECT domain, SUM(bytes_received) AS total FROM connections GROUP BY domain ORDER BY total DESC");
    }

    assertEquals(List.of("domain", "total"), answer.columns());
    assertEquals(
        List.of(
            List.of("registry.npmjs.org", BigInteger.valueOf(12_000)),
            List.of("github.com", BigInteger.valueOf(9_000)),
            java.util.Arrays.asList(null, BigInteger.ZERO)),
        answer.rows());
    assertTrue(answer.isNumber(1));
    assertFalse(answer.isNumber(0));
    assertEquals(
        List.of(dir.resolve("connections.jsonl") + ":3: field 'bytes_sent': expected a whole number, got \"many\""),
        problems);
  }

  @Test
  void query_blockedByDestination_countsEachAttempt() throws Exception {
    try (RecordTables tables = load(RecordFilter.ALL)) {
      Answer answer =
          tables.query(
              "SELECT dst_ip, COUNT(*) AS n FROM connections WHERE result='blocked' GROUP BY dst_ip ORDER BY n DESC");
      assertEquals(List.of(List.of("203.0.113.9", 2L)), answer.rows());
    }
  }

  @Test
  void query_typedColumns_timesAsIsoTextAndAnswersAsAList() throws Exception {
    try (RecordTables tables = load(RecordFilter.ALL)) {
      Answer answer = tables.query("SELECT timestamp, answers, cached, typeof(timestamp) FROM queries");
      assertEquals(
          List.of(List.of("2026-04-21T14:00:00Z", List.of("A 104.16.1.34"), false, "TIMESTAMP WITH TIME ZONE")),
          answer.rows());
    }
  }

  @Test
  void load_sinceAndSandbox_keepOnlyTheRecordsTheyAccept() throws Exception {
    try (RecordTables tables = load(new RecordFilter(T.minusSeconds(60), "vm-1"))) {
      Answer answer = tables.query("SELECT sandbox, bytes_received FROM connections");
      assertEquals(List.of(List.of("vm-1", 7_000L)), answer.rows());
    }
  }

  @Test
  void load_fieldsANewerWriterAdds_areColumnsOfTheirOwnWithTheirTypes() throws Exception {
    AuditLines.write(
        dir.resolve("connections.jsonl"),
        List.of(
            "{\"timestamp\":\"2026-04-21T14:00:00Z\",\"via\":\"proxy\",\"packets\":3,\"process\":{\"exe\":\"/usr/bin/curl\"},\"tally\":1}",
            "{\"timestamp\":\"2026-04-21T14:00:01Z\",\"via\":\"direct\",\"packets\":4,\"tally\":\"two\",\"Odd-Name\":1,\"other_fields\":5}"));
    try (RecordTables tables = load(RecordFilter.ALL)) {
      Answer answer =
          tables.query(
              "SELECT via, SUM(packets) AS packets, typeof(any_value(tally)) AS tally_type,"
                  + " any_value(process->>'exe') AS exe, any_value(other_fields->>'$.\"Odd-Name\"') AS odd"
                  + " FROM connections WHERE via IS NOT NULL GROUP BY via ORDER BY via");
      assertEquals(
          List.of(
              java.util.Arrays.asList("direct", BigInteger.valueOf(4), "VARCHAR", null, "1"),
              java.util.Arrays.asList("proxy", BigInteger.valueOf(3), "VARCHAR", "/usr/bin/curl", null)),
          answer.rows());
    }
  }

  @Test
  void query_badSql_throwsWithTheEnginesMessage() throws Exception {
    try (RecordTables tables = load(RecordFilter.ALL)) {
      SQLException e = assertThrows(SQLException.class, () -> tables.query("SELECT nope FROM connections"));
      assertTrue(e.getMessage().contains("nope"), e.getMessage());
      // The tables stay usable after a failed statement.
      assertEquals(List.of(List.of(1L)), tables.query("SELECT COUNT(*) FROM queries").rows());
    }
  }

  @Test
  void close_removesTheEnginesFiles() throws Exception {
    Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
    List<Path> before = workDirs(tmp);
    RecordTables tables = load(RecordFilter.ALL);
    List<Path> during = workDirs(tmp);
    tables.close();

    assertEquals(before.size() + 1, during.size(), "one work directory while open: " + during);
    assertEquals(before, workDirs(tmp));
  }

  private static List<Path> workDirs(Path tmp) throws Exception {
    try (Stream<Path> files = Files.list(tmp)) {
      return files.filter(p -> p.getFileName().toString().startsWith("allowdns-sql-")).sorted().toList();
    }
  }
}
