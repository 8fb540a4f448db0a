package dev.allowdns.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A zone this server transfers from a primary: its policy ({@code policy_source}) or an RPZ feed
 * ({@code rpz}).
 *
 * @param primary the primary's address (port 53 unless given)
 * @param zone the zone's name, e.g. {@code policy.corp.example}, without a trailing dot
 * @param tsigKeyFile the TSIG key the transfers and NOTIFYs are signed with, or {@code null}
 */
public record FeedSource(HostPort primary, String zone, Path tsigKeyFile) {
  public FeedSource {
    Objects.requireNonNull(primary, "primary");
    Objects.requireNonNull(zone, "zone");
  }

  /** Parses what the config file or flags say, naming {@code key} in every error. */
  static FeedSource parse(String key, ConfigFile.FeedEntry said, List<String> errors) {
    if (said.primary() == null || said.zone() == null) {
      errors.add(key + ": needs both primary (HOST:PORT) and zone (NAME)");
      return null;
    }
    HostPort primary;
    try {
      primary = HostPort.parse(said.primary(), 53);
    } catch (IllegalArgumentException e) {
      errors.add(key + ".primary: " + e.getMessage());
      return null;
    }
    String zone = said.zone().endsWith(".") ? said.zone().substring(0, said.zone().length() - 1) : said.zone();
    if (zone.isEmpty() || zone.contains("..") || zone.contains(" ")) {
      errors.add(key + ".zone: expected a domain name, got '" + said.zone() + "'");
      return null;
    }
    return new FeedSource(primary, zone, said.tsigKeyFile() == null ? null : Path.of(said.tsigKeyFile()));
  }
}
