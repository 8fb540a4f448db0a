package dev.allowdns.logs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Counts what was refused: queries answered {@code blocked} or {@code refused} by name and reason,
 * and connections {@code blocked} by destination and reason. Not thread-safe.
 */
public final class BlockedSummary {
  /** Which log a refusal comes from. */
  public enum Source {
    QUERY,
    CONNECTION;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One refused target.
   *
   * @param target the queried name, or the connection's domain (its address when it had none);
   *     for UDP flows {@code DESTINATION:PORT}
   * @param reason the records' reason, or their result when they give none
   * @param lastSeen the newest timestamp among its records
   * @param protocol {@code udp} or {@code quic} for UDP flows; {@code null} otherwise
   * @param packets the datagrams of the UDP flows counted; 0 for others
   * @param exe the program that made them ({@code process.exe}), when recorded
   * @param path how they reached allowdns ({@code transparent}, {@code proxy}), when recorded
   */
  public record Row(
      Source source, String target, String reason, long count, Instant lastSeen, String protocol,
      long packets, String exe, String path) {
    /** A row without protocol, packets, program or path (a query, say). */
    public Row(Source source, String target, String reason, long count, Instant lastSeen) {
      this(source, target, reason, count, lastSeen, null, 0, null, null);
    }
  }

  private record Key(Source source, String target, String reason, String protocol, String exe, String path) {}

  private static final class Tally {
    long count;
    long packets;
    Instant lastSeen = Instant.MIN;
  }

  private final Map<Key, Tally> tallies = new HashMap<>();

  /** Counts a query record when it was blocked or refused; ignores every other result. */
  public void add(QueryEntry query) {
    if (Results.BLOCKED.equals(query.result()) || Results.REFUSED.equals(query.result())) {
      count(
          new Key(Source.QUERY, target(query.name()), reason(query.reason(), query.result(), query.limit()), null, null, null),
          query.count(),
          0,
          query.timestamp());
    }
  }

  /** Counts a connection record when it was blocked; ignores every other result. */
  public void add(ConnectionEntry connection) {
    if (Results.BLOCKED.equals(connection.result())) {
      boolean udp = connection.isUdpFlow();
      String target = target(connection.destination());
      count(
          new Key(
              Source.CONNECTION,
              udp ? target + ":" + connection.port() : target,
              reason(connection.reason(), connection.result(), connection.limit()),
              udp ? connection.protocol() : null,
              connection.exe(),
              connection.path()),
          connection.count(),
          udp ? connection.packets() : 0,
          connection.timestamp());
    }
  }

  private static String target(String target) {
    return target == null ? TrafficByGroup.UNKNOWN : target;
  }

  /** The reason, with the limit of a limit's summary: {@code rate_limited (dns_qps)}. */
  private static String reason(String reason, String result, String limit) {
    String why = reason == null ? result : reason;
    return limit == null ? why : why + " (" + limit + ")";
  }

  /** Counts {@code count} records: a limit's summary stands for that many refusals. */
  private void count(Key key, long count, long packets, Instant at) {
    Tally tally = tallies.computeIfAbsent(key, k -> new Tally());
    tally.count += count;
    tally.packets += packets;
    if (at.isAfter(tally.lastSeen)) {
      tally.lastSeen = at;
    }
  }

  /**
   * Returns the most frequent refusals first (ties: the most recent, then by target), at most
   * {@code limit} of them ({@code 0}: all).
   */
  public List<Row> top(int limit) {
    List<Row> rows = new ArrayList<>(tallies.size());
    tallies.forEach(
        (k, t) ->
            rows.add(
                new Row(k.source(), k.target(), k.reason(), t.count, t.lastSeen, k.protocol(),
                    t.packets, k.exe(), k.path())));
    rows.sort(
        Comparator.comparingLong(Row::count)
            .reversed()
            .thenComparing(Comparator.comparing(Row::lastSeen).reversed())
            .thenComparing(Row::target)
            .thenComparing(Row::source)
            .thenComparing(Row::reason)
            .thenComparing(r -> r.exe() == null ? "" : r.exe())
            .thenComparing(r -> r.path() == null ? "" : r.path())
            .thenComparing(r -> r.protocol() == null ? "" : r.protocol()));
    return limit > 0 && rows.size() > limit
        ? List.copyOf(rows.subList(0, limit))
        : List.copyOf(rows);
  }
}
