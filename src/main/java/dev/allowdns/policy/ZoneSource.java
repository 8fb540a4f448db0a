package dev.allowdns.policy;

import java.util.List;
import java.util.Objects;

/**
 * The text of one zone file before parsing, from a zones directory or a zone transfer.
 *
 * @param file where the text was written, as rules report it ({@code zones/npm.zone}); its file
 *     name without {@code .zone} names the zone
 * @param lines every line, in order, so line {@code n} is {@code lines.get(n - 1)}
 */
public record ZoneSource(String file, List<String> lines) {
  public ZoneSource {
    Objects.requireNonNull(file, "file");
    lines = List.copyOf(lines);
  }

  /** Returns the zone's name: the file name without its directory and {@code .zone} suffix. */
  public String zoneName() {
    String name = file.substring(file.lastIndexOf('/') + 1);
    return name.endsWith(PolicySet.ZONE_SUFFIX)
        ? name.substring(0, name.length() - PolicySet.ZONE_SUFFIX.length())
        : name;
  }
}
