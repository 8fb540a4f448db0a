package dev.allowdns.logs;

import com.google.common.net.InternetDomainName;
import dev.allowdns.policy.DomainName;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns the records that audit mode let through ({@code result: "would_block"}) into zone-file
 * rules that would have allowed them: the exact names, widened to {@code *.PARENT} when {@value
 * #WIDEN_AT} or more names sit exactly one label below the same parent, or to {@code **.PARENT}
 * when they sit deeper. Never a wildcard directly under a registry suffix ({@code *.com}, {@code
 * **.co.uk}): the zone parser rejects those; nor directly under any top-level name ({@code *.test},
 * {@code *.corp}): a suggestion never opens a whole TLD, listed or not. Not thread-safe.
 */
public final class ZoneSuggestion {
  /** Distinct names below one parent from which a wildcard is suggested. */
  static final int WIDEN_AT = 3;

  /** Names listed in a widened rule's comment; the rest are counted. */
  private static final int NAMES_SHOWN = 5;

  /**
   * One suggested rule.
   *
   * @param rule the zone-file rule, e.g. {@code *.npmjs.org}
   * @param names the distinct names it covers that were seen, sorted
   * @param records how many records asked for those names
   */
  public record Rule(String rule, List<String> names, long records) {
    public Rule {
      names = List.copyOf(names);
    }
  }

  /**
   * A destination address that connections reached without any name: only an {@code ip:} rule would
   * allow it, and it may well be what the policy is for (a hard-coded resolver, say).
   */
  public record Address(String address, long records) {}

  private final Map<String, Long> recordsByName = new TreeMap<>();
  private final Map<String, Long> recordsByAddress = new TreeMap<>();
  private final Set<String> unusable = new HashSet<>();
  private long queries;
  private long connections;

  /** Uses a query record when audit mode let it through; ignores every other result. */
  public void add(QueryEntry query) {
    if (Results.WOULD_BLOCK.equals(query.result())) {
      queries++;
      countName(query.name());
    }
  }

  /**
   * Uses a connection record when audit mode let it through: its domain and its TLS server name
   * (both, when they differ), or its address when it has neither.
   */
  public void add(ConnectionEntry connection) {
    if (!Results.WOULD_BLOCK.equals(connection.result())) {
      return;
    }
    connections++;
    Set<String> names = new LinkedHashSet<>();
    for (String raw : new String[] {connection.domain(), connection.sni()}) {
      String name = normalized(raw);
      if (name != null) {
        names.add(name);
      } else if (raw != null) {
        unusable.add(raw);
      }
    }
    names.forEach(name -> recordsByName.merge(name, 1L, Long::sum));
    if (connection.domain() == null && connection.sni() == null && connection.dstIp() != null) {
      recordsByAddress.merge(connection.dstIp(), 1L, Long::sum);
    }
  }

  private void countName(String raw) {
    String name = normalized(raw);
    if (name == null) {
      if (raw != null) {
        unusable.add(raw);
      }
      return;
    }
    recordsByName.merge(name, 1L, Long::sum);
  }

  private static String normalized(String raw) {
    if (raw == null) {
      return null;
    }
    try {
      return DomainName.normalize(raw);
    } catch (IllegalArgumentException e) {
      return null; // the root, or a name no rule can be written for
    }
  }

  /** Returns how many query records were used. */
  public long queries() {
    return queries;
  }

  /** Returns how many connection records were used. */
  public long connections() {
    return connections;
  }

  /** Returns the names seen that no zone-file rule can be written for, e.g. {@code a b.test}. */
  public Set<String> unusableNames() {
    return Set.copyOf(unusable);
  }

  /** Returns the addresses that connections reached without a name, by address. */
  public List<Address> addresses() {
    List<Address> addresses = new ArrayList<>();
    recordsByAddress.forEach((a, n) -> addresses.add(new Address(a, n)));
    return addresses;
  }

  /**
   * Returns the rules, in domain order (by labels from the right: a parent before its children).
   */
  public List<Rule> rules() {
    Set<String> covered = new HashSet<>();
    List<Rule> rules = new ArrayList<>();
    for (String parent : candidateParents()) {
      List<String> below = new ArrayList<>();
      boolean deeper = false;
      int parentLabels = labels(parent).length;
      for (String name : recordsByName.keySet()) {
        if (!covered.contains(name) && name.endsWith("." + parent)) {
          below.add(name);
          deeper |= labels(name).length - parentLabels > 1;
        }
      }
      if (below.size() >= WIDEN_AT && parentLabels > 1 && !isRegistrySuffix(parent)) {
        covered.addAll(below);
        rules.add(new Rule((deeper ? "**." : "*.") + parent, below, records(below)));
      }
    }
    for (String name : recordsByName.keySet()) {
      if (!covered.contains(name)) {
        rules.add(new Rule(name, List.of(name), recordsByName.get(name)));
      }
    }
    rules.sort(
        Comparator.comparing((Rule r) -> subject(r.rule()), ZoneSuggestion::compareDomains)
            .thenComparing(r -> r.rule().startsWith("*"))); // the apex before its wildcard
    return List.copyOf(rules);
  }

  /**
   * Returns the zone file text: {@code header} as comment lines, then one rule per line with a
   * comment saying what it covers, then the name-less addresses as commented-out {@code ip:} rules
   * to review.
   */
  public String zoneText(List<String> header) {
    StringBuilder text = new StringBuilder();
    header.forEach(line -> text.append("# ").append(line).append('\n'));
    List<Rule> rules = rules();
    if (rules.isEmpty() && recordsByAddress.isEmpty()) {
      text.append("# No would_block records: nothing to suggest.\n");
    }
    int width = rules.stream().mapToInt(r -> r.rule().length()).max().orElse(0);
    for (Rule rule : rules) {
      text.append(rule.rule())
          .append(" ".repeat(width - rule.rule().length() + 2))
          .append("# ")
          .append(describe(rule))
          .append('\n');
    }
    if (!recordsByAddress.isEmpty()) {
      text.append(
              "# Connections to addresses without a name (a hard-coded IP, a resolver of its"
                  + " own?).\n")
          .append("# Remove the leading '# ' only if they must be reached:\n");
      for (Address a : addresses()) {
        text.append("# ip:")
            .append(a.address())
            .append("  # ")
            .append(a.records())
            .append(a.records() == 1 ? " connection" : " connections")
            .append('\n');
      }
    }
    return text.toString();
  }

  private static String describe(Rule rule) {
    String records = rule.records() + (rule.records() == 1 ? " record" : " records");
    if (rule.names().size() == 1 && rule.names().get(0).equals(rule.rule())) {
      return records;
    }
    List<String> shown = rule.names().subList(0, Math.min(NAMES_SHOWN, rule.names().size()));
    String more =
        rule.names().size() > NAMES_SHOWN
            ? ", +" + (rule.names().size() - NAMES_SHOWN) + " more"
            : "";
    return rule.names().size() + " names, " + records + ": " + String.join(", ", shown) + more;
  }

  /** Returns every proper parent of a seen name, deepest first, so the narrowest wildcard wins. */
  private List<String> candidateParents() {
    Set<String> parents = new HashSet<>();
    for (String name : recordsByName.keySet()) {
      for (int dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
        parents.add(name.substring(dot + 1));
      }
    }
    List<String> ordered = new ArrayList<>(parents);
    ordered.sort(
        Comparator.comparingInt((String p) -> labels(p).length).reversed().thenComparing(p -> p));
    return ordered;
  }

  private long records(List<String> names) {
    return names.stream().mapToLong(recordsByName::get).sum();
  }

  private static String subject(String rule) {
    return rule.startsWith("**.")
        ? rule.substring(3)
        : rule.startsWith("*.") ? rule.substring(2) : rule;
  }

  private static int compareDomains(String a, String b) {
    String[] left = labels(a);
    String[] right = labels(b);
    for (int i = 1; i <= Math.min(left.length, right.length); i++) {
      int c = left[left.length - i].compareTo(right[right.length - i]);
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(left.length, right.length);
  }

  private static String[] labels(String name) {
    return name.split("\\.");
  }

  /** The zone parser's test: a wildcard directly under an ICANN public suffix is an error. */
  private static boolean isRegistrySuffix(String name) {
    try {
      return InternetDomainName.from(name).isRegistrySuffix();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
