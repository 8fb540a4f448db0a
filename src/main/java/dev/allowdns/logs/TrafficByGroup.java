package dev.allowdns.logs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Sums connection records per group: by destination (the domain, or the destination address when
 * the connection had no name) to answer "where did the bytes go", or by sandbox, task, user or
 * allowlist rule to answer "who generates the traffic". Not thread-safe.
 */
public final class TrafficByGroup {
  /** What the connections are grouped by, each named as its record field. */
  public enum Grouping {
    DOMAIN("domain", ConnectionEntry::destination),
    SANDBOX("sandbox", ConnectionEntry::sandbox),
    TASK("task_id", ConnectionEntry::taskId),
    USER("user", ConnectionEntry::user),
    RULE("allowlist_rule", ConnectionEntry::allowlistRule),
    /** Transparent or explicit proxy: which tools honour the proxy settings. */
    PATH("path", ConnectionEntry::path);

    private final String field;
    private final Function<ConnectionEntry, String> key;

    Grouping(String field, Function<ConnectionEntry, String> key) {
      this.field = field;
      this.key = key;
    }

    /** Returns the record field the groups are the values of, e.g. {@code task_id}. */
    public String field() {
      return field;
    }

    /**
     * Parses the name users write: {@code domain}, {@code sandbox}, {@code task}, {@code user},
     * {@code rule} or {@code path} (the field names {@code task_id} and {@code allowlist_rule} work
     * too).
     *
     * @throws IllegalArgumentException naming the groupings there are
     */
    public static Grouping parse(String label) {
      String lower = label.toLowerCase(Locale.ROOT);
      for (Grouping g : values()) {
        if (g.name().toLowerCase(Locale.ROOT).equals(lower) || g.field.equals(lower)) {
          return g;
        }
      }
      throw new IllegalArgumentException(
          "expected domain, sandbox, task, user, rule or path, got '" + label + "'");
    }
  }

  /** What the groups are ranked by. */
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
   * The sums of one group.
   *
   * @param group a domain (or an IP address for connections without a name), sandbox, task, user
   *     or rule; {@value #UNKNOWN} for connections whose record has no value to group by
   */
  public record Total(String group, long connections, long bytesSent, long bytesReceived) {
    long of(Measure measure) {
      return switch (measure) {
        case BYTES_RECEIVED -> bytesReceived;
        case BYTES_SENT -> bytesSent;
        case CONNECTIONS -> connections;
      };
    }
  }

  /** The group of connections whose record has no value for the grouping. */
  static final String UNKNOWN = "(unknown)";

  private final Grouping grouping;
  private final Map<String, long[]> sums = new HashMap<>();
  private long connections;

  /** Sums by destination, as {@code logs top} does unless told otherwise. */
  public TrafficByGroup() {
    this(Grouping.DOMAIN);
  }

  public TrafficByGroup(Grouping grouping) {
    this.grouping = grouping;
  }

  /** Counts one connection record, whatever its result. */
  public void add(ConnectionEntry connection) {
    String value = grouping.key.apply(connection);
    long[] sum = sums.computeIfAbsent(value == null ? UNKNOWN : value, d -> new long[3]);
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
   * Returns the groups with the highest {@code by}, highest first (ties: more bytes received, then
   * by name), at most {@code limit} of them ({@code 0}: all).
   */
  public List<Total> top(Measure by, int limit) {
    List<Total> totals = new ArrayList<>(sums.size());
    sums.forEach((group, s) -> totals.add(new Total(group, s[0], s[1], s[2])));
    totals.sort(
        Comparator.comparingLong((Total t) -> t.of(by))
            .reversed()
            .thenComparing(Comparator.comparingLong(Total::bytesReceived).reversed())
            .thenComparing(Total::group));
    return limit > 0 && totals.size() > limit
        ? List.copyOf(totals.subList(0, limit))
        : List.copyOf(totals);
  }
}
