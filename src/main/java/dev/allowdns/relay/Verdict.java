package dev.allowdns.relay;

/**
 * A relay decision with its reason: what the connection record and the metrics say.
 *
 * @param allowed whether the connection may go ahead
 * @param reason {@code null} when allowed; otherwise a low-cardinality refusal reason
 * @param domain the name the connection is accounted to, or {@code null}
 * @param rule {@code POLICY:ZONE} of the rule that allowed it, or {@code null}
 */
record Verdict(boolean allowed, String reason, String domain, String rule) {
  static final String LOOP = "loop";
  static final String UNKNOWN_SANDBOX = "unknown_sandbox";
  static final String NO_DNS_ANSWER = "no_dns_answer";
  static final String EXPIRED_DNS_ANSWER = "expired_dns_answer";
  static final String SNI_NOT_ALLOWED = "sni_not_allowed";
  static final String HOST_NOT_ALLOWED = "host_not_allowed";
  static final String CONNECT_FAILED = "connect_failed";

  static Verdict allow(String domain, String rule) {
    return new Verdict(true, null, domain, rule);
  }

  static Verdict refuse(String reason, String domain, String rule) {
    return new Verdict(false, reason, domain, rule);
  }
}
