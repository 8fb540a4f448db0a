package dev.allowdns.limit;

/** A limit that can refuse or shape, by its config key. */
public enum Limit {
  DNS_QPS("dns_qps", "rate_limited", "/s"),
  NAMES_PER_DOMAIN_PER_HOUR("names_per_domain_per_hour", "name_budget", ""),
  CONNECTIONS_PER_SECOND("connections_per_second", "rate_limited", "/s"),
  OPEN_CONNECTIONS("open_connections", "too_many_open", ""),
  BANDWIDTH_UP("bandwidth_up", "shaped", ""),
  BANDWIDTH_DOWN("bandwidth_down", "shaped", "");

  private final String key;
  private final String reason;
  private final String unit;

  Limit(String key, String reason, String unit) {
    this.key = key;
    this.reason = reason;
    this.unit = unit;
  }

  /** Returns the config key, also the {@code limit} field of records and the metric tag. */
  public String key() {
    return key;
  }

  /** Returns the record's {@code reason} for a refusal by this limit. */
  public String reason() {
    return reason;
  }

  /** Returns what follows the value in a message: {@code /s} for rates. */
  String unit() {
    return unit;
  }
}
