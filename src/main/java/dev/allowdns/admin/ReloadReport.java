package dev.allowdns.admin;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.allowdns.policy.PolicyChange;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The outcome of a reload (or a dry run): what changed per policy, or every error that kept the
 * old policy in force.
 *
 * @param applied whether the new policy is now in force (never for a dry run or a failure)
 * @param generation the generation in force after the call
 * @param policySerial the SOA serial of the transferred policy in force after the call, {@code
 *     null} when not a secondary
 * @param errors each {@code file:line: reason}; empty when valid
 */
@JsonPropertyOrder({"applied", "dry_run", "generation", "policy_serial", "errors", "changes"})
public record ReloadReport(
    boolean applied,
    boolean dryRun,
    long generation,
    Long policySerial,
    List<String> errors,
    Map<String, PolicyChange> changes) {
  public ReloadReport {
    errors = List.copyOf(errors);
    changes = Collections.unmodifiableMap(new TreeMap<>(changes));
  }

  public boolean valid() {
    return errors.isEmpty();
  }
}
