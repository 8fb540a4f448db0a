package dev.allowdns.policy;

/**
 * One name rule of a zone file, as written, with where it was written.
 *
 * @param zone the zone's name (its file name without {@code .zone})
 * @param origin {@code file:line} of the rule, for explanations and errors
 * @param kind how the pattern matches
 * @param pattern the normalised pattern without its prefix ({@code npmjs.org} for {@code *.npmjs.org},
 *     the regex source for {@code ~...})
 * @param deny whether this is a {@code !} rule
 */
public record Rule(String zone, String origin, Kind kind, String pattern, boolean deny) {
  /** How a rule's pattern matches a name. */
  public enum Kind {
    /** The name itself. */
    EXACT,
    /** {@code *.parent}: exactly one label below the parent. */
    ONE_LABEL,
    /** {@code **.parent}: one or more labels below the parent. */
    MANY_LABELS,
    /** {@code ~regex}: RE2 full match. */
    REGEX
  }

  /** Returns the rule as it would be written in a zone file. */
  public String text() {
    String body =
        switch (kind) {
          case EXACT -> pattern;
          case ONE_LABEL -> "*." + pattern;
          case MANY_LABELS -> "**." + pattern;
          case REGEX -> "~" + pattern;
        };
    return deny ? "!" + body : body;
  }
}
