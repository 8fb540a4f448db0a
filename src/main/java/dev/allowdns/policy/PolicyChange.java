package dev.allowdns.policy;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a reload changes in one policy: the rules (as written, with their zone) added and removed.
 *
 * @param added rules of the new policy that the old one did not have, e.g. {@code npm: *.npmjs.org}
 * @param removed rules of the old policy that the new one drops
 */
public record PolicyChange(List<String> added, List<String> removed) {
  public PolicyChange {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
  }

  @JsonIgnore
  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty();
  }

  /** Returns the changes from {@code before} to {@code after}, per policy name, sorted by name. */
  public static Map<String, PolicyChange> between(PolicySet before, PolicySet after) {
    Set<String> names = new LinkedHashSet<>(before.policies().keySet());
    names.addAll(after.policies().keySet());
    Map<String, PolicyChange> changes = new TreeMap<>();
    for (String name : names) {
      Set<String> old = rulesOf(before.policy(name).orElse(null));
      Set<String> now = rulesOf(after.policy(name).orElse(null));
      List<String> added = new ArrayList<>(now);
      added.removeAll(old);
      List<String> removed = new ArrayList<>(old);
      removed.removeAll(now);
      PolicyChange change = new PolicyChange(added, removed);
      if (!change.isEmpty()) {
        changes.put(name, change);
      }
    }
    return changes;
  }

  private static Set<String> rulesOf(Policy policy) {
    Set<String> rules = new LinkedHashSet<>();
    if (policy == null) {
      return rules;
    }
    for (Zone zone : policy.zones()) {
      for (Rule rule : zone.rules()) {
        rules.add(zone.name() + ": " + rule.text());
      }
      for (IpRange range : zone.ipRanges()) {
        rules.add(zone.name() + ": ip:" + range.cidr());
      }
      if (!zone.forwarders().isEmpty()) {
        rules.add(zone.name() + ": @forward " + zone.forwarders());
      }
      if (zone.allowPrivate()) {
        rules.add(zone.name() + ": @allow-private");
      }
      if (zone.proxy() != null) {
        rules.add(zone.name() + ": @proxy " + zone.proxy().text());
      }
    }
    return rules;
  }
}
