package dev.allowdns.policy;

/** Normalises domain names the one way rules and queries are compared. */
public final class DomainName {
  private DomainName() {}

  /**
   * Returns {@code raw} in the form rules match against: IDNA to punycode, lower case, no trailing
   * dot.
   *
   * @throws IllegalArgumentException naming what is wrong with the name
   */
  public static String normalize(String raw) {
    throw new UnsupportedOperationException("TODO(policy helper)");
  }
}
