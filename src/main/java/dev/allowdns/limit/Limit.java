package dev.allowdns.limit;

/** A limit that can refuse or shape, by its config key. */
public enum Limit {
  DNS_QPS,
  NAMES_PER_DOMAIN_PER_HOUR,
  CONNECTIONS_PER_SECOND,
  OPEN_CONNECTIONS,
  BANDWIDTH_UP,
  BANDWIDTH_DOWN;

  /** Returns the config key ({@code dns_qps}), also the {@code limit} field of records and the metric tag. */
  public String key() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Returns the record's {@code reason} for a refusal by this limit. */
  public String reason() {
    return switch (this) {
      case DNS_QPS, CONNECTIONS_PER_SECOND -> "rate_limited";
      case NAMES_PER_DOMAIN_PER_HOUR -> "name_budget";
      case OPEN_CONNECTIONS -> "too_many_open";
      case BANDWIDTH_UP, BANDWIDTH_DOWN -> "shaped";
    };
  }

  /** Returns what follows the value in a message: {@code /s} for rates. */
  String unit() {
    return this == DNS_QPS || this == CONNECTIONS_PER_SECOND ? "/s" : "";
  }
}
