package dev.allowdns.cli;

import java.util.Locale;

/** Writes byte counts for people: {@code 512 B}, {@code 448.0 KiB}, {@code 1.5 GiB}. */
final class ByteCount {
  private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private ByteCount() {}

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    double value = bytes;
    int unit = -1;
    // 1023.95 and up would print as "1024.0": move to the next unit instead.
    while (value >= 1023.95 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]);
  }
}
