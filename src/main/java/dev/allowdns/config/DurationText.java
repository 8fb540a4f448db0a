package dev.allowdns.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the durations people write in flags and YAML: {@code 500ms}, {@code 30s}, {@code 1h}. */
public final class DurationText {
  private static final Pattern FORM = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private DurationText() {}

  /**
   * Parses a whole number followed by {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}.
   *
   * @throws IllegalArgumentException stating the expected form and showing the value
   */
  public static Duration parse(String text) {
    Matcher m = FORM.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "expected a duration like 500ms, 30s, 5m, 1h or 1d, got '" + text + "'");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }
}
