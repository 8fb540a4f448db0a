package dev.allowdns.config;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sandbox's budget (DESIGN.md, "Limits"); {@code 0} means unlimited. Immutable.
 *
 * @param dnsQps queries per second, a token bucket with 2 s of burst
 * @param namesPerDomainPerHour distinct names below one registrable domain per hour
 * @param connectionsPerSecond new connections per second (both paths), 2 s of burst
 * @param openConnections connections open at once
 * @param bandwidthUp bytes per second from the sandbox, shaped with 1 s of burst
 * @param bandwidthDown bytes per second to the sandbox, shaped with 1 s of burst
 */
public record Limits(
    long dnsQps,
    long namesPerDomainPerHour,
    long connectionsPerSecond,
    long openConnections,
    long bandwidthUp,
    long bandwidthDown) {

  /** The config keys, in the order {@link #describe} shows them. */
  public static final List<String> KEYS =
      List.of(
          "dns_qps", "names_per_domain_per_hour", "connections_per_second", "open_connections",
          "bandwidth_up", "bandwidth_down");

  /**
   * The most names one domain's budget may hold: the name budget's memory is bounded per sandbox
   * (the limit package keeps at most this many names per sandbox).
   */
  public static final long MAX_NAMES_PER_DOMAIN = 2048;

  /**
   * The defaults (README, "Limits"): far above what a build does, well below what takes a host.
   * A build's resolver traffic is tens of queries per second in bursts, its connections a few per
   * second to a handful of registries, and its distinct names per registrable domain in the tens.
   */
  public static final Limits DEFAULTS =
      new Limits(200, 500, 100, 1024, 200_000_000L / 8, 1_000_000_000L / 8);

  /** No limit at all. */
  public static final Limits UNLIMITED = new Limits(0, 0, 0, 0, 0, 0);

  public Limits {
    check("dns_qps", dnsQps);
    check("names_per_domain_per_hour", namesPerDomainPerHour);
    check("connections_per_second", connectionsPerSecond);
    check("open_connections", openConnections);
    check("bandwidth_up", bandwidthUp);
    check("bandwidth_down", bandwidthDown);
    if (namesPerDomainPerHour > MAX_NAMES_PER_DOMAIN) {
      throw new IllegalArgumentException(
          "names_per_domain_per_hour: at most " + MAX_NAMES_PER_DOMAIN + ", got " + namesPerDomainPerHour);
    }
  }

  private static void check(String key, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(key + ": must be 0 (unlimited) or more, got " + value);
    }
  }

  /**
   * Returns these limits with every key {@code said} names replaced; each bad key or value adds
   * {@code PREFIX.key: reason} to {@code errors} and keeps this value.
   */
  static Limits overriddenBy(Limits base, Map<String, String> said, String prefix, List<String> errors) {
    if (said == null) {
      return base;
    }
    Map<String, Long> values = base.asMap();
    for (Map.Entry<String, String> e : said.entrySet()) {
      String key = prefix + "." + e.getKey();
      if (!values.containsKey(e.getKey())) {
        errors.add(key + ": unknown key (known: " + String.join(", ", KEYS) + ")");
        continue;
      }
      try {
        values.put(e.getKey(), e.getKey().startsWith("bandwidth_") ? bytesPerSecond(e.getValue()) : count(e.getValue()));
      } catch (IllegalArgumentException bad) {
        errors.add(key + ": " + bad.getMessage());
      }
    }
    try {
      return new Limits(
          values.get("dns_qps"), values.get("names_per_domain_per_hour"), values.get("connections_per_second"),
          values.get("open_connections"), values.get("bandwidth_up"), values.get("bandwidth_down"));
    } catch (IllegalArgumentException bad) {
      errors.add(prefix + "." + bad.getMessage());
      return base;
    }
  }

  /** Returns the value of each key, in {@link #KEYS} order (bandwidths in bytes per second). */
  public Map<String, Long> asMap() {
    long[] values = {
      dnsQps, namesPerDomainPerHour, connectionsPerSecond, openConnections, bandwidthUp, bandwidthDown
    };
    Map<String, Long> map = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      map.put(KEYS.get(i), values[i]);
    }
    return map;
  }

  /** Returns each key with its value as the config says it ({@code 200Mbit}, {@code unlimited}). */
  public Map<String, String> asText() {
    Map<String, String> text = new LinkedHashMap<>();
    asMap().forEach((key, value) -> text.put(key, text(key, value)));
    return text;
  }

  /** Returns one value as the config would say it: {@code 200}, {@code 200Mbit}, {@code unlimited}. */
  public static String text(String key, long value) {
    if (value == 0) {
      return "unlimited";
    }
    if (!key.startsWith("bandwidth_")) {
      return Long.toString(value);
    }
    long bits = value * 8;
    if (bits % 1_000_000_000L == 0) {
      return bits / 1_000_000_000L + "Gbit";
    }
    if (bits % 1_000_000L == 0) {
      return bits / 1_000_000L + "Mbit";
    }
    return value % 1000 == 0 ? value / 1000 + "KB" : value + "B";
  }

  /** Returns one value as the config file says it, {@code 0} for unlimited: it parses back the same. */
  public static String configText(String key, long value) {
    return value == 0 ? "0" : text(key, value);
  }

  /** Returns the limits on one line: {@code dns_qps 200, ..., bandwidth_down 1Gbit}. */
  public String describe() {
    StringBuilder line = new StringBuilder();
    asText().forEach((key, value) -> line.append(line.length() == 0 ? "" : ", ").append(key).append(' ').append(value));
    return line.toString();
  }

  private static long count(String text) {
    if (text == null || !text.trim().matches("-?[0-9]+")) {
      throw new IllegalArgumentException("expected a whole number (0 = unlimited), got '" + text + "'");
    }
    long value = Long.parseLong(text.trim());
    if (value < 0) {
      throw new IllegalArgumentException("must be 0 (unlimited) or more, got " + value);
    }
    return value;
  }

  /** SI units, as DESIGN.md says: {@code Kbit}/{@code Mbit}/{@code Gbit} bits, {@code B}/{@code KB}/{@code MB}/{@code GB} bytes, per second. */
  private static final Map<String, Long> BITS_PER_UNIT =
      Map.of("bit", 1L, "Kbit", 1_000L, "Mbit", 1_000_000L, "Gbit", 1_000_000_000L,
          "B", 8L, "KB", 8_000L, "MB", 8_000_000L, "GB", 8_000_000_000L);

  static long bytesPerSecond(String text) {
    String trimmed = text == null ? "" : text.trim();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(-?[0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)(?:/s)?").matcher(trimmed);
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a rate such as 200Mbit, 1Gbit or 10MB (0 = unlimited), got '" + text + "'");
    }
    BigDecimal number = new BigDecimal(m.group(1));
    if (number.signum() < 0) {
      throw new IllegalArgumentException("must be 0 (unlimited) or more, got '" + text + "'");
    }
    if (number.signum() == 0) {
      return 0;
    }
    Long bits = BITS_PER_UNIT.get(m.group(2));
    if (bits == null) {
      throw new IllegalArgumentException(
          (m.group(2).isEmpty() ? "needs a unit" : "unknown unit '" + m.group(2) + "'")
              + " (known: Kbit, Mbit, Gbit, KB, MB, GB; SI, per second), got '" + text + "'");
    }
    long bytes = number.multiply(BigDecimal.valueOf(bits)).divide(BigDecimal.valueOf(8), java.math.RoundingMode.DOWN).longValue();
    if (bytes < 1) {
      throw new IllegalArgumentException("is below 1 byte per second: '" + text + "'");
    }
    return bytes;
  }
}
