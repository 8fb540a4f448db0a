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
   * @param target the queried name, or the connection's domain (its address when it had none)
   * @param reason the records' reason, or their result when they give none
   * @param lastSeen the newest timestamp among its records
   */
  public record Row(Source source, String target, String reason, long count, Instant lastSeen) {}

  private record Key(Source source, String target, String reason) {}

  private static final class Tally {
    long count;
    Instant lastSeen = Instant.MIN;
  }

  private final Map<Key, Tally> tallies = new HashMap<>();

  /** Counts a query record when it was blocked or refused; ignores every other result. */
  public void add(QueryEntry query) {
    if (Results.BLOCKED.equals(query.result()) || Results.REFUSED.equals(query.result())) {
      count(Source.QUERY, query.name(), query.reason(), query.result(), query.timestamp());
    }
  }

  /** Counts a connection record when it was blocked; ignores every other result. */
  public void add(ConnectionEntry connection) {
    if (Results.BLOCKED.equals(connection.result())) {
      count(
          Source.CONNECTION,
          connection.destination(),
          connection.reason(),
          connection.result(),
          connection.timestamp());
    }
  }

  private void count(Source source, String target, String reason, String result, Instant at) {
    Key key =
        new Key(
            source,
            target == null ? TrafficByGroup.UNKNOWN : target,
            reason == null ? result : reason);
    Tally tally = tallies.computeIfAbsent(key, k -> new Tally());
    tally.count++;
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
        (k, t) -> rows.add(new Row(k.source(), k.target(), k.reason(), t.count, t.lastSeen)));
    rows.sort(
        Comparator.comparingLong(Row::count)
            .reversed()
            .thenComparing(Comparator.comparing(Row::lastSeen).reversed())
            .thenComparing(Row::target)
            .thenComparing(Row::source)
            .thenComparing(Row::reason));
    return limit > 0 && rows.size() > limit
        ? List.copyOf(rows.subList(0, limit))
        : List.copyOf(rows);
  }
}
