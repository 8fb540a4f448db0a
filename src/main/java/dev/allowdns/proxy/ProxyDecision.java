package dev.allowdns.proxy;

import dev.allowdns.policy.Decision;
import dev.allowdns.policy.IpRange;
import dev.allowdns.policy.Policy;
import dev.allowdns.sandbox.Sandbox;
import java.util.Optional;

/**
 * The proxy's verdict on one request's destination, before anything is resolved or connected: the
 * name is decided by the sandbox's policy exactly as a DNS query would be; an IP literal passes
 * only inside an {@code ip:} rule. Immutable.
 *
 * @param allowed whether the request may go ahead (in audit mode, also what would be refused)
 * @param status the HTTP status of a refusal ({@code 403}), 0 when allowed
 * @param reason the record's {@code reason}: {@code null} when allowed, else a low-cardinality
 *     label ({@code unknown_sandbox}, {@code not_allowed}, {@code denied}); in audit mode an
 *     allowed verdict keeps the reason it would have been refused for
 * @param explanation the one-line text a refusal's body shows, naming the policy and the rule
 * @param domain the name the connection is accounted to, {@code null} for an IP literal
 * @param rule {@code POLICY:ZONE} of the deciding rule, or {@code null}
 */
record ProxyDecision(
    boolean allowed, int status, String reason, String explanation, String domain, String rule) {
  static final String UNKNOWN_SANDBOX = "unknown_sandbox";
  static final String BAD_REQUEST = "bad_request";
  static final String CONNECT_FAILED = "connect_failed";
  static final String NO_DNS_ANSWER = "no_dns_answer";
  /** The connection log cannot keep records (its hold is full): 503 until it can. */
  static final String LOG_UNAVAILABLE = "log_unavailable";

  static ProxyDecision decide(Sandbox sandbox, Policy policy, Target target, boolean audit) {
    if (sandbox == null || policy == null) {
      String why =
          sandbox == null
              ? "allowdns: this client is not a registered sandbox"
              : "allowdns: policy '" + sandbox.policy() + "' is not loaded";
      return refuse(403, UNKNOWN_SANDBOX, why, null, null); // protects the host: stands in audit mode
    }
    String prefix = "allowdns policy '" + policy.name() + "': ";
    if (target.isLiteral()) {
      Optional<IpRange> range = policy.ipRangeFor(target.address());
      if (range.isPresent()) {
        return allow(null, policy.name() + ":" + range.get().zone(), null);
      }
      ProxyDecision refused =
          refuse(403, Decision.NOT_ALLOWED, prefix + target.host() + " is not inside an ip: rule", null, null);
      return audit ? refused.audited() : refused;
    }
    Decision decision = policy.decide(target.host());
    if (decision.allowed()) {
      return allow(target.host(), decision.ruleLabel(), null);
    }
    String why =
        decision.reason().equals(Decision.DENIED)
            ? target.host() + " is denied by " + decision.ruleLabel() + " (" + decision.rule().text() + ")"
            : target.host() + " is not on the allowlist";
    ProxyDecision refused = refuse(403, decision.reason(), prefix + why, target.host(), decision.ruleLabel());
    return audit ? refused.audited() : refused;
  }

  static ProxyDecision allow(String domain, String rule, String wouldBlock) {
    return new ProxyDecision(true, 0, wouldBlock, null, domain, rule);
  }

  static ProxyDecision refuse(int status, String reason, String explanation, String domain, String rule) {
    return new ProxyDecision(false, status, reason, explanation, domain, rule);
  }

  /** Returns this refusal as audit mode applies it: let through, recorded as would_block. */
  private ProxyDecision audited() {
    return new ProxyDecision(true, 0, reason, explanation, domain, rule);
  }

  /** Returns whether audit mode let through what enforcing would have refused. */
  boolean wouldBlock() {
    return allowed && reason != null;
  }
}
