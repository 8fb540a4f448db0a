package dev.allowdns.iptables;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What of allowdns is in one family's ruleset now: which of its chains exist and which rules jump
 * to them from other chains. Read from {@code iptables -S} listings.
 *
 * @param chains the allowdns chains that exist
 * @param jumps the rules outside the allowdns chains that jump to one, as listed
 */
record InstalledRules(Set<OwnChain> chains, List<Jump> jumps) {
  private static final Set<String> TARGET_OPTIONS = Set.of("-j", "--jump", "-g", "--goto");

  /** Nothing installed. */
  static final InstalledRules NONE = new InstalledRules(Set.of(), List.of());

  /**
   * A rule that jumps to an allowdns chain.
   *
   * @param table the table it is in
   * @param rule the rule as {@code iptables -S} lists it, e.g. {@code -A INPUT -i tap+ -j
   *     ALLOWDNS-INPUT}
   */
  record Jump(String table, String rule) {
    /** Returns the command that deletes this rule, e.g. {@code -D INPUT -i tap+ -j ...}. */
    String deletion() {
      return "-D" + rule.substring("-A".length());
    }
  }

  InstalledRules {
    chains = Set.copyOf(chains);
    jumps = List.copyOf(jumps);
  }

  /**
   * Reads the {@code iptables -S} listing of each table (keyed by table name; a missing table
   * counts as empty).
   */
  static InstalledRules parse(Map<String, String> listingByTable) {
    Set<OwnChain> chains = EnumSet.noneOf(OwnChain.class);
    List<Jump> jumps = new ArrayList<>();
    for (String table : OwnChain.TABLES) {
      String listing = listingByTable.getOrDefault(table, "");
      for (String line : listing.split("\n")) {
        List<String> words = words(line.strip());
        if (words.size() < 2) {
          continue;
        }
        if (words.get(0).equals("-N")) {
          ownChain(table, words.get(1)).ifPresent(chains::add);
        } else if (words.get(0).equals("-A")
            && ownChain(table, words.get(1)).isEmpty()
            && ownChain(table, target(words)).isPresent()) {
          jumps.add(new Jump(table, line.strip()));
        }
      }
    }
    return new InstalledRules(chains, jumps);
  }

  /** Returns whether anything of allowdns is installed. */
  public boolean isEmpty() {
    return chains.isEmpty() && jumps.isEmpty();
  }

  private static Optional<OwnChain> ownChain(String table, String chainName) {
    for (OwnChain chain : OwnChain.values()) {
      if (chain.table().equals(table) && chain.chainName().equals(chainName)) {
        return Optional.of(chain);
      }
    }
    return Optional.empty();
  }

  /** Returns the rule's {@code -j} (or {@code -g}) target, or "" when it has none. */
  private static String target(List<String> words) {
    for (int i = 2; i < words.size() - 1; i++) {
      if (TARGET_OPTIONS.contains(words.get(i))) {
        return words.get(i + 1);
      }
    }
    return "";
  }

  /**
   * Splits a listed rule into words the way iptables quotes them: a double-quoted word (a comment,
   * say) is one word, so text inside it is never mistaken for a target.
   */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    boolean inWord = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted && c == '\\' && i + 1 < line.length()) {
        word.append(line.charAt(++i));
      } else if (c == '"') {
        quoted = !quoted;
        inWord = true;
      } else if (!quoted && Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
