package dev.allowdns.policy;

import java.util.List;
import java.util.Objects;

/**
 * A deny list applied on top of every policy: the QNAME triggers of one Response Policy Zone.
 * A rule with {@code deny} set blocks what it matches; one without is a passthru, which leaves the
 * decision to the allowlist. The most specific trigger wins (exact over wildcard), as in RPZ.
 * Immutable and thread-safe.
 */
public final class DenyList {
  private final String zone;
  private final long serial;
  private final int size;
  private final RuleIndex triggers;

  /**
   * @param zone the RPZ zone's name, e.g. {@code rpz.example}; it names the list in answers and
   *     records ({@code rpz:ZONE})
   * @param serial the SOA serial of the copy the triggers came from
   * @param triggers {@link Rule.Kind#EXACT} or {@link Rule.Kind#MANY_LABELS} rules whose
   *     {@link Rule#zone()} is {@code zone}
   */
  public DenyList(String zone, long serial, List<Rule> triggers) {
    this.zone = Objects.requireNonNull(zone, "zone");
    this.serial = serial;
    this.size = triggers.size();
    this.triggers = new RuleIndex(triggers);
  }

  public String zone() {
    return zone;
  }

  public long serial() {
    return serial;
  }

  /** Returns how many triggers the list has, passthrus included. */
  public int size() {
    return size;
  }

  /** Returns the blocking trigger deciding the normalised {@code name}, or {@code null}. */
  Rule blocking(String name) {
    Rule rule = triggers.match(name);
    return rule != null && rule.deny() ? rule : null;
  }

  @Override
  public String toString() {
    return "DenyList[" + zone + ", serial=" + serial + ", " + size + " triggers]";
  }
}
