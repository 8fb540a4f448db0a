package dev.allowdns.policy;

import java.util.Objects;

/**
 * A policy's verdict on one name, with the rule that decided it and a low-cardinality reason.
 *
 * @param verdict allowed or blocked
 * @param policy the name of the policy that decided
 * @param rule the deciding rule, or {@code null} when no rule matched (blocked by default)
 * @param reason {@code allowed}, {@code denied} (a {@code !} rule matched) or {@code not_allowed}
 *     (no allow rule matched): a metric-safe label
 */
public record Decision(Verdict verdict, String policy, Rule rule, String reason) {
  public static final String ALLOWED = "allowed";
  public static final String DENIED = "denied";
  public static final String NOT_ALLOWED = "not_allowed";

  public Decision {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(reason, "reason");
  }

  public boolean allowed() {
    return verdict == Verdict.ALLOWED;
  }

  /** Returns {@code POLICY:ZONE} of the deciding rule, or {@code null} when no rule decided. */
  public String ruleLabel() {
    return rule == null ? null : policy + ":" + rule.zone();
  }
}
