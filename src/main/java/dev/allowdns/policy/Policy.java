package dev.allowdns.policy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** A named set of zones, compiled for fast decisions. Immutable and thread-safe. */
public final class Policy {
  private final String name;
  private final List<Zone> zones;
  private final Map<String, Zone> zonesByName = new HashMap<>();
  private final RuleIndex denies;
  private final RuleIndex allows;
  private final List<IpRange> ipRanges = new ArrayList<>();
  private final List<DenyList> denyLists;
  private final Decision notAllowed;

  public Policy(String name, List<Zone> zones) {
    this(name, zones, List.of());
  }

  /** Makes a policy of {@code zones} with {@code denyLists} (RPZ feeds) on top of them. */
  public Policy(String name, List<Zone> zones, List<DenyList> denyLists) {
    this.name = Objects.requireNonNull(name, "name");
    this.zones = List.copyOf(zones);
    this.denyLists = List.copyOf(denyLists);
    List<Rule> denyRules = new ArrayList<>();
    List<Rule> allowRules = new ArrayList<>();
    for (Zone zone : this.zones) {
      zonesByName.putIfAbsent(zone.name(), zone);
      for (Rule rule : zone.rules()) {
        (rule.deny() ? denyRules : allowRules).add(rule);
      }
      ipRanges.addAll(zone.ipRanges());
    }
    this.denies = new RuleIndex(denyRules);
    this.allows = new RuleIndex(allowRules);
    this.notAllowed = new Decision(Verdict.BLOCKED, name, null, Decision.NOT_ALLOWED);
  }

  public String name() {
    return name;
  }

  public List<Zone> zones() {
    return zones;
  }

  /**
   * Decides whether {@code name} may be resolved. A deny rule of any zone wins over every allow,
   * then a blocking trigger of a deny list (RPZ); among allows the most specific wins: exact, then {@code *.}, then the {@code **.} with the
   * longest parent, then the first regex.
   *
   * @param name a name already in {@link DomainName#normalize normal form}; upper case or a
   *     trailing dot are tolerated, a name that cannot be normalised is blocked
   */
  public Decision decide(String name) {
    String normal = DomainName.normalizeLeniently(name);
    if (normal == null) {
      return notAllowed;
    }
    Rule deny = denies.match(normal);
    if (deny != null) {
      return new Decision(Verdict.BLOCKED, this.name, deny, Decision.DENIED);
    }
    for (DenyList list : denyLists) {
      Rule trigger = list.blocking(normal);
      if (trigger != null) {
        return new Decision(Verdict.BLOCKED, this.name, trigger, Decision.RPZ);
      }
    }
    Rule allow = allows.match(normal);
    if (allow != null) {
      return new Decision(Verdict.ALLOWED, this.name, allow, Decision.ALLOWED);
    }
    return notAllowed;
  }

  /**
   * Returns the zone a rule of this policy belongs to.
   *
   * @throws IllegalArgumentException when no zone of this policy has the rule's zone name
   */
  public Zone zoneOf(Rule rule) {
    Zone zone = zonesByName.get(rule.zone());
    if (zone == null) {
      throw new IllegalArgumentException(
          "rule '" + rule.text() + "' is from zone '" + rule.zone()
              + "', which is not in policy '" + name + "'");
    }
    return zone;
  }

  /** Returns the first {@code ip:} rule of this policy that contains {@code address}. */
  public Optional<IpRange> ipRangeFor(InetAddress address) {
    for (IpRange range : ipRanges) {
      if (range.contains(address)) {
        return Optional.of(range);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "Policy[" + name + ", zones=" + zones.stream().map(Zone::name).toList() + "]";
  }
}
