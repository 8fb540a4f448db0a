package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
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

  /** Room for a timestamp, {@code yyyy-MM-ddTHH:mm:ss.SSSZ}, also past the year 9999. */
  private static final int MAX_LENGTH = 32;

  /** The last second formatted and its text; one pair, swapped whole, so threads may share it. */
  private record Second(long epochSecond, char[] text) {}

  private static volatile Second last = new Second(Long.MIN_VALUE, new char[0]);
  /** Each thread's buffer for {@link #writeTo}: a query log line allocates no timestamp string. */
  private static final ThreadLocal<char[]> BUFFER = ThreadLocal.withInitial(() -> new char[MAX_LENGTH]);

  private Timestamps() {}

  public static String format(long epochMillis) {
    char[] text = new char[MAX_LENGTH];
    return new String(text, 0, fill(text, epochMillis));
  }

  /** Writes the timestamp of {@code epochMillis} as a JSON string value, as {@link #format} has it. */
  static void writeTo(JsonGenerator json, long epochMillis) throws IOException {
    char[] text = BUFFER.get();
    json.writeString(text, 0, fill(text, epochMillis));
  }

  /** Writes the timestamp into {@code text}; returns its length. */
  private static int fill(char[] text, long epochMillis) {
    long epochSecond = Math.floorDiv(epochMillis, 1000);
    int millis = (int) Math.floorMod(epochMillis, 1000);
    Second second = last;
    if (second.epochSecond() != epochSecond) {
      second = new Second(epochSecond, SECONDS.format(Instant.ofEpochSecond(epochSecond)).toCharArray());
      last = second;
    }
    int at = second.text().length;
    System.arraycopy(second.text(), 0, text, 0, at);
    text[at] = '.';
    text[at + 1] = (char) ('0' + millis / 100);
    text[at + 2] = (char) ('0' + millis / 10 % 10);
    text[at + 3] = (char) ('0' + millis % 10);
    text[at + 4] = 'Z';
    return at + 5;
  }

  public static String format(Instant instant) {
    return format(instant.toEpochMilli());
  }
}
