package dev.allowdns.policy;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * One parsed zone file {@code NAME.zone}.
 *
 * @param name the zone name (file name without {@code .zone})
 * @param file the path it was read from, as given
 * @param rules name rules (allow and deny) in file order
 * @param forwarders the {@code @forward} servers, empty when the zone uses the default upstreams
 * @param allowPrivate whether {@code @allow-private} was given (answers may be private addresses)
 * @param ipRanges the {@code ip:} rules
 * @param proxy what {@code @proxy} says, or {@code null} when the zone says nothing (the global
 *     {@code upstream_proxy} and {@code no_proxy} decide)
 */
public record Zone(
    String name,
    String file,
    List<Rule> rules,
    List<InetSocketAddress> forwarders,
    boolean allowPrivate,
    List<IpRange> ipRanges,
    ZoneProxy proxy) {
  public Zone {
    rules = List.copyOf(rules);
    forwarders = List.copyOf(forwarders);
    ipRanges = List.copyOf(ipRanges);
  }

  /** Returns how many rules the zone has: name rules and {@code ip:} rules. */
  public int ruleCount() {
    return rules.size() + ipRanges.size();
  }
}
