package dev.allowdns.policy;

import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Name rules compiled for lookup without regex compilation or scanning every rule: hash maps for
 * exact names and wildcard parents, a list only for regexes.
 *
 * <p>{@link #match} returns the most specific rule: exact, then one-label wildcard, then the
 * many-label wildcard with the longest parent, then the first regex. Among equal rules the first
 * added wins. Immutable and thread-safe.
 */
final class RuleIndex {
  private final Map<String, Rule> exact = new HashMap<>();
  private final Map<String, Rule> oneLabelByParent = new HashMap<>();
  private final Map<String, Rule> manyLabelsByParent = new HashMap<>();
  // Lengths of the parents present, so a lookup allocates a suffix only when one could match.
  private final BitSet oneLabelParentLengths = new BitSet();
  private final BitSet manyLabelsParentLengths = new BitSet();
  private final List<CompiledRegex> regexes = new ArrayList<>();

  private record CompiledRegex(Pattern pattern, Rule rule) {}

  /** Indexes {@code rules} in order (earlier rules win ties). */
  RuleIndex(List<Rule> rules) {
    for (Rule rule : rules) {
      switch (rule.kind()) {
        case EXACT -> exact.putIfAbsent(rule.pattern(), rule);
        case ONE_LABEL -> {
          oneLabelByParent.putIfAbsent(rule.pattern(), rule);
          oneLabelParentLengths.set(rule.pattern().length());
        }
        case MANY_LABELS -> {
          manyLabelsByParent.putIfAbsent(rule.pattern(), rule);
          manyLabelsParentLengths.set(rule.pattern().length());
        }
        case REGEX -> regexes.add(new CompiledRegex(compileRegex(rule.pattern()), rule));
      }
    }
  }

  /**
   * Compiles a {@code ~} rule's source the one way zones are checked and matched: RE2 (linear time),
   * case-insensitive because names are.
   *
   * @throws com.google.re2j.PatternSyntaxException when {@code source} is not a valid RE2 regex
   */
  static Pattern compileRegex(String source) {
    return Pattern.compile(source, Pattern.CASE_INSENSITIVE);
  }

  /** Returns the most specific rule matching the normalised {@code name}, or {@code null}. */
  Rule match(String name) {
    Rule rule = exact.get(name);
    if (rule != null) {
      return rule;
    }
    int length = name.length();
    int firstDot = name.indexOf('.');
    if (firstDot > 0 && oneLabelParentLengths.get(length - firstDot - 1)) {
      rule = oneLabelByParent.get(name.substring(firstDot + 1));
      if (rule != null) {
        return rule;
      }
    }
    if (!manyLabelsByParent.isEmpty()) {
      // Left to right: the first parent found is the longest. The name itself is never a parent.
      for (int dot = firstDot; dot > 0; dot = name.indexOf('.', dot + 1)) {
        if (manyLabelsParentLengths.get(length - dot - 1)) {
          rule = manyLabelsByParent.get(name.substring(dot + 1));
          if (rule != null) {
            return rule;
          }
        }
      }
    }
    for (CompiledRegex regex : regexes) {
      if (regex.pattern().matches(name)) { // full match, like Pattern.matches
        return regex.rule();
      }
    }
    return null;
  }
}
