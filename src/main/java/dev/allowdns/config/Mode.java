package dev.allowdns.config;

import java.util.Locale;

/** Whether the policy is enforced, or only recorded (to map a project's needs before enforcing). */
public enum Mode {
  /** Block what the policy does not allow. */
  ENFORCE,
  /** Block nothing; record what would have been blocked as {@code result: "would_block"}. */
  AUDIT;

  /**
   * Parses {@code enforce} or {@code audit}.
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static Mode parse(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "enforce" -> ENFORCE;
      case "audit" -> AUDIT;
      default -> throw new IllegalArgumentException("expected enforce or audit, got '" + text + "'");
    };
  }
}
