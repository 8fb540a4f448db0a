package dev.allowdns.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.allowdns.logs.TrafficByDestination.Measure;
import dev.allowdns.logs.TrafficByDestination.Total;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TrafficByDestinationTest {
  private static final Instant T = Instant.parse("2026-04-21T10:00:00Z");

  private static ConnectionEntry connection(
      String domain, String dstIp, long sent, long received, String result) {
    return new ConnectionEntry(
        T, "vm", domain, null, dstIp, 443, "https", sent, received, result, null);
  }

  /** big.test gets the most bytes back, chatty.test sends the most, 203.0.113.7 connects most. */
  private static TrafficByDestination sample() {
    TrafficByDestination traffic = new TrafficByDestination();
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
    List<String> order = sample().top(by, 0).stream().map(Total::destination).toList();

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
    TrafficByDestination traffic = new TrafficByDestination();
    traffic.add(connection(null, "198.51.100.4", 1, 1, "allowed"));
    traffic.add(connection(null, null, 1, 1, "blocked"));

    List<String> destinations =
        traffic.top(Measure.CONNECTIONS, 0).stream().map(Total::destination).toList();

    assertEquals(List.of("(unknown)", "198.51.100.4"), destinations);
  }

  @ParameterizedTest(name = "limit {0} -> {1} rows")
  @CsvSource({"0, 3", "1, 1", "2, 2", "3, 3", "50, 3"})
  void top_limit_capsTheRows(int limit, int rows) {
    assertEquals(rows, sample().top(Measure.BYTES_RECEIVED, limit).size());
  }

  @Test
  void top_equalMeasure_breaksTiesByBytesReceivedThenName() {
    TrafficByDestination traffic = new TrafficByDestination();
    traffic.add(connection("b.test", "192.0.2.1", 0, 5, "allowed"));
    traffic.add(connection("a.test", "192.0.2.1", 0, 5, "allowed"));
    traffic.add(connection("c.test", "192.0.2.1", 0, 9, "allowed"));

    List<String> order =
        traffic.top(Measure.CONNECTIONS, 0).stream().map(Total::destination).toList();

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
