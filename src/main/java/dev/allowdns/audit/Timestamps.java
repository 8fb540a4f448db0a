package dev.allowdns.audit;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one timestamp format of every record: ISO-8601 UTC with milliseconds, always three digits
 * ({@code 2026-04-21T14:32:07.000Z}). The part up to the second is formatted once per second; the
 * milliseconds are appended by hand (the formatter's fraction printing goes through BigDecimal, a
 * cost the query log would pay for every line).
 */
public final class Timestamps {
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  /** The last second formatted and its text; one pair, swapped whole, so threads may share it. */
  private record Second(long epochSecond, String text) {}

  private static volatile Second last = new Second(Long.MIN_VALUE, "");

  private Timestamps() {}

  public static String format(long epochMillis) {
    long epochSecond = Math.floorDiv(epochMillis, 1000);
    int millis = (int) Math.floorMod(epochMillis, 1000);
    Second second = last;
    if (second.epochSecond() != epochSecond) {
      second = new Second(epochSecond, SECONDS.format(Instant.ofEpochSecond(epochSecond)));
      last = second;
    }
    StringBuilder text = new StringBuilder(24).append(second.text()).append('.');
    if (millis < 100) {
      text.append('0');
    }
    if (millis < 10) {
      text.append('0');
    }
    return text.append(millis).append('Z').toString();
  }

  public static String format(Instant instant) {
    return format(instant.toEpochMilli());
  }
}
