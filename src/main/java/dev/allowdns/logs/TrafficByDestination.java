package dev.allowdns.logs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sums connection records by destination: the domain, or the destination address when the
 * connection had no name. Answers "where did the bytes go". Not thread-safe.
 */
public final class TrafficByDestination {
  /** What the destinations are ranked by. */
  public enum Measure {
    BYTES_RECEIVED,
    BYTES_SENT,
    CONNECTIONS;

    /** Returns the name users write, e.g. {@code bytes_received}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a label.
     *
     * @throws IllegalArgumentException naming the labels there are
     */
    public static Measure parse(String label) {
      for (Measure m : values()) {
        if (m.label().equals(label.toLowerCase(Locale.ROOT))) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "expected bytes_received, bytes_sent or connections, got '" + label + "'");
    }
  }

  /**
   * The sums of one destination.
   *
   * @param destination a domain, or an IP address for connections without a name
   */
  public record Total(String destination, long connections, long bytesSent, long bytesReceived) {
    long of(Measure measure) {
      return switch (measure) {
        case BYTES_RECEIVED -> bytesReceived;
        case BYTES_SENT -> bytesSent;
        case CONNECTIONS -> connections;
      };
    }
  }

  /** Connections whose record has neither a domain nor a destination address. */
  static final String UNKNOWN = "(unknown)";

  private final Map<String, long[]> sums = new HashMap<>();
  private long connections;

  /** Counts one connection record, whatever its result. */
  public void add(ConnectionEntry connection) {
    String destination = connection.destination() == null ? UNKNOWN : connection.destination();
    long[] sum = sums.computeIfAbsent(destination, d -> new long[3]);
    sum[0]++;
    sum[1] += connection.bytesSent();
    sum[2] += connection.bytesReceived();
    connections++;
  }

  /** Returns how many connection records were counted. */
  public long connections() {
    return connections;
  }

  /**
   * Returns the destinations with the highest {@code by}, highest first (ties: more bytes received,
   * then by name), at most {@code limit} of them ({@code 0}: all).
   */
  public List<Total> top(Measure by, int limit) {
    List<Total> totals = new ArrayList<>(sums.size());
    sums.forEach((destination, s) -> totals.add(new Total(destination, s[0], s[1], s[2])));
    totals.sort(
        Comparator.comparingLong((Total t) -> t.of(by))
            .reversed()
            .thenComparing(Comparator.comparingLong(Total::bytesReceived).reversed())
            .thenComparing(Total::destination));
    return limit > 0 && totals.size() > limit
        ? List.copyOf(totals.subList(0, limit))
        : List.copyOf(totals);
  }
}
