package dev.allowdns.relay;

/**
 * A relay decision with its reason: what the connection record and the metrics say.
 *
 * @param allowed whether the connection may go ahead
 * @param reason {@code null} when allowed; otherwise a low-cardinality refusal reason (in audit
 *     mode an allowed verdict may carry the reason it would have been refused for)
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
  static final String NAME_NOT_ALLOWED = "name_not_allowed";
  /** The connection log cannot keep records (its hold is full): nothing may go unrecorded. */
  static final String LOG_UNAVAILABLE = "log_unavailable";
  static final String TOO_MANY_OPEN = RelayCore.TOO_MANY_OPEN;

  static Verdict allow(String domain, String rule) {
    return new Verdict(true, null, domain, rule);
  }

  static Verdict refuse(String reason, String domain, String rule) {
    return new Verdict(false, reason, domain, rule);
  }

  /**
   * Returns this verdict as audit mode applies it: a policy refusal lets the connection through
   * and is recorded as {@code would_block}; refusals that protect the relay itself (a loop, an
   * unknown client, a log that cannot record, descriptors running out) stand.
   */
  Verdict audited() {
    if (allowed
        || reason.equals(LOOP)
        || reason.equals(UNKNOWN_SANDBOX)
        || reason.equals(LOG_UNAVAILABLE)
        || reason.equals(TOO_MANY_OPEN)) {
      return this;
    }
    return new Verdict(true, reason, domain, rule);
  }

  /** Returns whether audit mode let through what enforcing would have refused. */
  boolean wouldBlock() {
    return allowed && reason != null;
  }
}
