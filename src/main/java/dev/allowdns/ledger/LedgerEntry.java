package dev.allowdns.ledger;

import java.util.List;

/**
 * One name an address was given out for.
 *
 * @param name the queried name (normalised)
 * @param chain the CNAME/DNAME targets that led to the address, in order
 * @param rule {@code POLICY:ZONE} of the rule that allowed the name; {@code null} when the policy
 *     did not allow it and the answer was given anyway (audit mode)
 * @param generation the policy generation that allowed it
 * @param expiresAtNanos when the entry stops allowing connections (ticker time)
 */
public record LedgerEntry(
    String name, List<String> chain, String rule, long generation, long expiresAtNanos) {
  public LedgerEntry {
    chain = List.copyOf(chain);
  }

  /** Returns whether the policy allowed the name (always, except in audit mode). */
  public boolean allowed() {
    return rule != null;
  }

  public boolean isLive(long nowNanos) {
    return nowNanos - expiresAtNanos < 0;
  }
}
