package dev.allowdns.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/** A named set of zones, compiled for fast decisions. Immutable and thread-safe. */
public final class Policy {
  private final String name;
  private final List<Zone> zones;

  public Policy(String name, List<Zone> zones) {
    this.name = name;
    this.zones = List.copyOf(zones);
  }

  public String name() {
    return name;
  }

  public List<Zone> zones() {
    return zones;
  }

  /**
   * Decides whether {@code name} may be resolved. A deny rule of any zone wins over every allow.
   *
   * @param name a name already in {@link DomainName#normalize normal form}
   */
  public Decision decide(String name) {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }

  /** Returns the zone a rule of this policy belongs to. */
  public Zone zoneOf(Rule rule) {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }

  /** Returns the first {@code ip:} rule of this policy that contains {@code address}. */
  public Optional<IpRange> ipRangeFor(InetAddress address) {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }
}
