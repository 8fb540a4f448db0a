package dev.allowdns.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allowdns.logs.BlockedSummary.Row;
import dev.allowdns.logs.BlockedSummary.Source;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BlockedSummaryTest {
  private static final Instant T1 = Instant.parse("2026-04-21T10:00:00Z");
  private static final Instant T2 = Instant.parse("2026-04-21T11:00:00Z");
  private static final Instant T3 = Instant.parse("2026-04-21T12:00:00Z");

  private static QueryEntry query(Instant at, String name, String result, String reason) {
    return new QueryEntry(at, "vm", name, "A", result, "NXDOMAIN", reason);
  }

  private static ConnectionEntry connection(
      Instant at, String domain, String dstIp, String result, String reason) {
    return new ConnectionEntry(at, "vm", domain, null, dstIp, 443, "tcp", 0, 0, result, reason, null, null, null, null, null, null);
  }

  @ParameterizedTest(name = "query {0} counted: {1}")
  @CsvSource({
    "blocked, true",
    "refused, true",
    "allowed, false",
    "error, false",
    "would_block, false"
  })
  void add_query_countsOnlyBlockedAndRefused(String result, boolean counted) {
    BlockedSummary summary = new BlockedSummary();

    summary.add(query(T1, "x.test", result, "why"));

    assertEquals(counted ? 1 : 0, summary.top(0).size());
  }

  @ParameterizedTest(name = "connection {0} counted: {1}")
  @CsvSource({"blocked, true", "allowed, false", "would_block, false"})
  void add_connection_countsOnlyBlocked(String result, boolean counted) {
    BlockedSummary summary = new BlockedSummary();

    summary.add(connection(T1, "x.test", "192.0.2.1", result, "why"));

    assertEquals(counted ? 1 : 0, summary.top(0).size());
  }

  @Test
  void add_limitSummaries_countTheRefusalsTheyStandFor() throws Exception {
    BlockedSummary summary = new BlockedSummary();
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    summary.add(QueryEntry.from(json.readTree(
        "{\"timestamp\":\"2026-04-21T10:00:00Z\",\"sandbox\":\"vm-7\",\"name\":\"a.test\",\"result\":\"refused\","
            + "\"reason\":\"rate_limited\",\"count\":812,\"limit\":\"dns_qps\"}")));
    summary.add(QueryEntry.from(json.readTree(
        "{\"timestamp\":\"2026-04-21T10:00:01Z\",\"sandbox\":\"vm-7\",\"name\":\"a.test\",\"result\":\"refused\","
            + "\"reason\":\"rate_limited\",\"count\":188,\"limit\":\"dns_qps\"}")));
    summary.add(ConnectionEntry.from(json.readTree(
        "{\"timestamp\":\"2026-04-21T10:00:01Z\",\"sandbox\":\"vm-7\",\"domain\":\"x.test\",\"result\":\"blocked\","
            + "\"reason\":\"too_many_open\",\"count\":7,\"limit\":\"open_connections\"}")));

    assertEquals(
        List.of(
            new Row(Source.QUERY, "a.test", "rate_limited (dns_qps)", 1000, Instant.parse("2026-04-21T10:00:01Z")),
            new Row(Source.CONNECTION, "x.test", "too_many_open (open_connections)", 7, Instant.parse("2026-04-21T10:00:01Z"))),
        summary.top(0));
  }

  @Test
  void top_groupsByTargetAndReason_mostFrequentFirst_withLastSeen() {
    BlockedSummary summary = new BlockedSummary();
    summary.add(query(T1, "evil.test", "blocked", "not_allowed"));
    summary.add(query(T3, "evil.test", "blocked", "not_allowed"));
    summary.add(query(T2, "evil.test", "blocked", "not_allowed"));
    summary.add(query(T1, "evil.test", "blocked", "denied"));
    summary.add(query(T2, "who.test", "refused", "unknown_sandbox"));
    summary.add(connection(T1, null, "203.0.113.9", "blocked", "no_dns_answer"));
    summary.add(connection(T3, null, "203.0.113.9", "blocked", "no_dns_answer"));
    summary.add(connection(T2, "api.test", "192.0.2.7", "blocked", "sni_not_allowed"));

    List<Row> rows = summary.top(0);

    assertEquals(
        List.of(
            new Row(Source.QUERY, "evil.test", "not_allowed", 3, T3),
            new Row(Source.CONNECTION, "203.0.113.9", "no_dns_answer", 2, T3),
            new Row(Source.CONNECTION, "api.test", "sni_not_allowed", 1, T2),
            new Row(Source.QUERY, "who.test", "unknown_sandbox", 1, T2),
            new Row(Source.QUERY, "evil.test", "denied", 1, T1)),
        rows);
  }

  @Test
  void top_recordWithoutReason_isGroupedUnderItsResult_queriesBeforeConnectionsOnTies() {
    BlockedSummary summary = new BlockedSummary();
    summary.add(query(T1, "quiet.test", "refused", null));
    summary.add(connection(T1, "quiet.test", "192.0.2.1", "blocked", null));

    assertEquals(
        List.of(
            new Row(Source.QUERY, "quiet.test", "refused", 1, T1),
            new Row(Source.CONNECTION, "quiet.test", "blocked", 1, T1)),
        summary.top(0));
  }

  @Test
  void top_limit_keepsTheMostFrequent() {
    BlockedSummary summary = new BlockedSummary();
    summary.add(query(T1, "once.test", "blocked", "not_allowed"));
    summary.add(query(T1, "twice.test", "blocked", "not_allowed"));
    summary.add(query(T2, "twice.test", "blocked", "not_allowed"));

    assertEquals(
        List.of(new Row(Source.QUERY, "twice.test", "not_allowed", 2, T2)), summary.top(1));
  }

  @Test
  void add_udpFlows_groupedByDestinationAndPortWithProtocolPacketsAndProgram() {
    BlockedSummary summary = new BlockedSummary();
    ConnectionEntry quic =
        new ConnectionEntry(T1, "vm", "h3.test", null, "10.0.0.9", 443, "quic", 1200, 0, "blocked",
            "udp_not_relayed", null, null, null, 2L, "/usr/bin/curl", "transparent");
    ConnectionEntry ntp =
        new ConnectionEntry(T2, "vm", null, null, "10.0.0.8", 123, "udp", 48, 0, "blocked",
            "udp_not_relayed", null, null, null, 1L, null, null);
    summary.add(quic);
    summary.add(quic);
    summary.add(ntp);

    assertEquals(
        List.of(
            new Row(Source.CONNECTION, "h3.test:443", "udp_not_relayed", 2, T1, "quic", 4,
                "/usr/bin/curl", "transparent"),
            new Row(Source.CONNECTION, "10.0.0.8:123", "udp_not_relayed", 1, T2, "udp", 1, null, null)),
        summary.top(0));
  }
}
