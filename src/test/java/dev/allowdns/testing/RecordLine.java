package dev.allowdns.testing;

import java.util.Locale;

/**
 * One resource record as dig prints it: {@code name ttl class type data}.
 *
 * @param name owner name as printed (absolute, with its trailing dot)
 * @param ttl the TTL in seconds; -1 for question entries
 * @param type the record type, upper case ({@code A}, {@code TXT}, ...)
 * @param data the rest of the line: the record data in presentation format
 */
public record RecordLine(String name, long ttl, String type, String data) {
  /** Parses one line of an answer, authority or additional section. */
  public static RecordLine parse(String line) {
    String[] fields = line.trim().split("\\s+", 5);
    if (fields.length < 4) {
      throw new AssertionError("not a record line: " + line);
    }
    // dig prints "name ttl class type data"; the class is always IN here.
    return new RecordLine(
        fields[0],
        Long.parseLong(fields[1]),
        fields[3].toUpperCase(Locale.ROOT),
        fields.length == 5 ? fields[4] : "");
  }

  /** Returns the owner name in lower case without its trailing dot. */
  public String owner() {
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }
}
