package dev.allowdns.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.allowdns.logs.TrafficByGroup.Grouping;
import dev.allowdns.logs.TrafficByGroup.Measure;
import dev.allowdns.logs.TrafficByGroup.Total;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TrafficByGroupTest {
  private static final Instant T = Instant.parse("2026-04-21T10:00:00Z");

  private static ConnectionEntry connection(
      String domain, String dstIp, long sent, long received, String result) {
    return new ConnectionEntry(
        T, "vm", domain, null, dstIp, 443, "https", sent, received, result, null, null, null, null, null, null, null);
  }

  private static ConnectionEntry attributed(
      String sandbox, String task, String user, String rule, long received) {
    return new ConnectionEntry(
        T, sandbox, "x.test", null, "192.0.2.1", 443, "https", 1, received, "allowed", null, task, user,
        rule, null, null, null);
  }

  /** vm-1 runs task a for alice (npm rule), vm-2 runs tasks b and c for bob; one record has nothing. */
  private static List<ConnectionEntry> attributedSample() {
    return List.of(
        attributed("vm-1", "task-a", "alice", "default:npm", 1_000),
        attributed("vm-1", "task-a", "alice", "default:npm", 2_000),
        attributed("vm-2", "task-b", "bob", "default:github", 500),
        attributed("vm-2", "task-c", "bob", "default:npm", 2_600),
        attributed(null, null, null, null, 7));
  }

  static Stream<Arguments> groupings() {
    return Stream.of(
        Arguments.of(
            Grouping.SANDBOX,
            List.of(new Total("vm-2", 2, 2, 3_100), new Total("vm-1", 2, 2, 3_000), new Total("(unknown)", 1, 1, 7))),
        Arguments.of(
            Grouping.TASK,
            List.of(
                new Total("task-a", 2, 2, 3_000),
                new Total("task-c", 1, 1, 2_600),
                new Total("task-b", 1, 1, 500),
                new Total("(unknown)", 1, 1, 7))),
        Arguments.of(
            Grouping.USER,
            List.of(new Total("bob", 2, 2, 3_100), new Total("alice", 2, 2, 3_000), new Total("(unknown)", 1, 1, 7))),
        Arguments.of(
            Grouping.RULE,
            List.of(
                new Total("default:npm", 3, 3, 5_600),
                new Total("default:github", 1, 1, 500),
                new Total("(unknown)", 1, 1, 7))));
  }

  @ParameterizedTest(name = "by {0}")
  @MethodSource("groupings")
  void top_groupedBy_sumsEachGroupsConnections(Grouping grouping, List<Total> expected) {
    TrafficByGroup traffic = new TrafficByGroup(grouping);
    attributedSample().forEach(traffic::add);

    assertEquals(expected, traffic.top(Measure.BYTES_RECEIVED, 0));
  }

  @Test
  void top_groupedByPath_tellsTheProxyPathFromTheTransparentOne() {
    TrafficByGroup traffic = new TrafficByGroup(Grouping.PATH);
    for (String path : List.of("proxy", "transparent", "transparent")) {
      traffic.add(
          new ConnectionEntry(
              T, "vm", "x.test", null, "192.0.2.1", 443, "https", 1, 100, "allowed", null, null, null,
              null, null, null, path));
    }
    assertEquals(
        List.of(new Total("transparent", 2, 2, 200), new Total("proxy", 1, 1, 100)),
        traffic.top(Measure.BYTES_RECEIVED, 0));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "domain, DOMAIN",
    "sandbox, SANDBOX",
    "task, TASK",
    "task_id, TASK",
    "USER, USER",
    "rule, RULE",
    "allowlist_rule, RULE",
    "path, PATH"
  })
  void groupingParse_acceptsTheNamesAndTheFieldNames(String label, Grouping expected) {
    assertEquals(expected, Grouping.parse(label));
  }

  @Test
  void groupingParse_unknownName_namesTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Grouping.parse("host"));

    assertEquals("expected domain, sandbox, task, user, rule or path, got 'host'", e.getMessage());
  }

  /** big.test gets the most bytes back, chatty.test sends the most, 203.0.113.7 connects most. */
  private static TrafficByGroup sample() {
    TrafficByGroup traffic = new TrafficByGroup();
    traffic.add(connection("big.test", "192.0.2.1", 100, 900_000, "allowed"));
    traffic.add(connection("big.test", "192.0.2.2", 50, 100_000, "allowed"));
    traffic.add(connection("chatty.test", "192.0.2.3", 5_000_000, 10, "allowed"));
    for (int i = 0; i < 3; i++) {
      traffic.add(connection(null, "203.0.113.7", 1, 2, "blocked"));
    }
    return traffic;
  }

  static Stream<Arguments> orders() {
    return Stream.of(
        Arguments.of(Measure.BYTES_RECEIVED, List.of("big.test", "chatty.test", "203.0.113.7")),
        Arguments.of(Measure.BYTES_SENT, List.of("chatty.test", "big.test", "203.0.113.7")),
        Arguments.of(Measure.CONNECTIONS, List.of("203.0.113.7", "big.test", "chatty.test")));
  }

  @ParameterizedTest(name = "by {0}: {1}")
  @MethodSource("orders")
  void top_sortsByTheMeasureHighestFirst(Measure by, List<String> expected) {
    List<String> order = sample().top(by, 0).stream().map(Total::group).toList();

    assertEquals(expected, order);
  }

  @Test
  void top_sumsBytesAndCountsConnectionsPerDestination() {
    List<Total> totals = sample().top(Measure.BYTES_RECEIVED, 0);

    assertEquals(
        List.of(
            new Total("big.test", 2, 150, 1_000_000),
            new Total("chatty.test", 1, 5_000_000, 10),
            new Total("203.0.113.7", 3, 3, 6)),
        totals);
  }

  @Test
  void top_connectionWithoutDomain_isCountedUnderItsAddress_andOneWithoutEitherUnderUnknown() {
    TrafficByGroup traffic = new TrafficByGroup();
    traffic.add(connection(null, "198.51.100.4", 1, 1, "allowed"));
    traffic.add(connection(null, null, 1, 1, "blocked"));

    List<String> destinations =
        traffic.top(Measure.CONNECTIONS, 0).stream().map(Total::group).toList();

    assertEquals(List.of("(unknown)", "198.51.100.4"), destinations);
  }

  @ParameterizedTest(name = "limit {0} -> {1} rows")
  @CsvSource({"0, 3", "1, 1", "2, 2", "3, 3", "50, 3"})
  void top_limit_capsTheRows(int limit, int rows) {
    assertEquals(rows, sample().top(Measure.BYTES_RECEIVED, limit).size());
  }

  @Test
  void top_equalMeasure_breaksTiesByBytesReceivedThenName() {
    TrafficByGroup traffic = new TrafficByGroup();
    traffic.add(connection("b.test", "192.0.2.1", 0, 5, "allowed"));
    traffic.add(connection("a.test", "192.0.2.1", 0, 5, "allowed"));
    traffic.add(connection("c.test", "192.0.2.1", 0, 9, "allowed"));

    List<String> order =
        traffic.top(Measure.CONNECTIONS, 0).stream().map(Total::group).toList();

    assertEquals(List.of("c.test", "a.test", "b.test"), order);
  }

  @Test
  void connections_countsEveryRecordAdded() {
    assertEquals(6, sample().connections());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "bytes_received, BYTES_RECEIVED",
    "BYTES_SENT, BYTES_SENT",
    "connections, CONNECTIONS"
  })
  void measureParse_acceptsTheLabels(String label, Measure expected) {
    assertEquals(expected, Measure.parse(label));
  }

  @Test
  void measureParse_unknownLabel_namesTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Measure.parse("bytes"));

    assertEquals("expected bytes_received, bytes_sent or connections, got 'bytes'", e.getMessage());
  }
}
