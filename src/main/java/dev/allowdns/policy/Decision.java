package dev.allowdns.policy;

import java.util.Objects;

/**
 * A policy's verdict on one name, with the rule that decided it and a low-cardinality reason.
 *
 * @param verdict allowed or blocked
 * @param policy the name of the policy that decided
 * @param rule the deciding rule, or {@code null} when no rule matched (blocked by default)
 * @param reason {@code allowed}, {@code denied} (a {@code !} rule matched), {@code rpz} (a trigger
 *     of a deny list matched; the rule's zone is the RPZ zone) or {@code not_allowed} (no allow
 *     rule matched): a metric-safe label
 */
public record Decision(Verdict verdict, String policy, Rule rule, String reason) {
  public static final String ALLOWED = "allowed";
  public static final String DENIED = "denied";
  public static final String NOT_ALLOWED = "not_allowed";
  public static final String RPZ = "rpz";

  public Decision {
    Objects.requireNonNull(verdict, "verdict");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(reason, "reason");
  }

  public boolean allowed() {
    return verdict == Verdict.ALLOWED;
  }

  /** Returns whether a rule blocked the name: a {@code !} rule or an RPZ trigger. */
  public boolean denied() {
    return reason.equals(DENIED) || reason.equals(RPZ);
  }

  /**
   * Returns {@code POLICY:ZONE} of the deciding rule ({@code rpz:ZONE} for an RPZ trigger), or
   * {@code null} when no rule decided.
   */
  public String ruleLabel() {
    if (rule == null) {
      return null;
    }
    return (reason.equals(RPZ) ? RPZ : policy) + ":" + rule.zone();
  }
}
