package dev.allowdns.logs;

/** The values of a record's {@code result} field that the summaries look for. */
final class Results {
  static final String ALLOWED = "allowed";
  static final String BLOCKED = "blocked";
  static final String REFUSED = "refused";

  /**
   * Written by {@code serve --mode audit}: the policy would have blocked it, it was let through.
   */
  static final String WOULD_BLOCK = "would_block";

  private Results() {}
}
