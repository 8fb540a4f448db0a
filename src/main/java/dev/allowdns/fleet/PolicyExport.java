package dev.allowdns.fleet;

import dev.allowdns.config.LimitsConfig;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.ZoneSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;

/** Writes a zones directory and its {@code policies:} map as a zone file any primary can serve. */
public final class PolicyExport {
  /** TTL of every record: secondaries transfer the zone whole, no resolver caches it. */
  private static final long TTL = 300;
  /** SOA expire: 14 days (RFC 1912 §2.2); allowdns itself keeps enforcing its last copy past it. */
  private static final long EXPIRE = Duration.ofDays(14).toSeconds();
  private static final long NEGATIVE_TTL = 60;

  private PolicyExport() {}

  /**
   * Returns the zone file of policy zone {@code origin}: the zones of {@code zonesDir}, checked as
   * {@code validate} checks them, and {@code policies}.
   *
   * @param serial the SOA serial; secondaries transfer when it grows (RFC 1982 arithmetic)
   * @param refresh how often secondaries check the serial without a NOTIFY
   * @param retry how soon they check again after a failed check
   * @throws PolicyException listing every error as {@code file:line: reason}
   * @throws IllegalArgumentException when {@code origin} is not a domain name or a zone's name
   *     cannot be a DNS owner name
   */
  public static String zoneFile(
      String origin, long serial, Duration refresh, Duration retry, Path zonesDir, Map<String, List<String>> policies)
      throws PolicyException {
    return zoneFile(origin, serial, refresh, retry, zonesDir, policies, null);
  }

  /** Returns the zone file like the method above, carrying {@code limits} too ({@code null}: none). */
  public static String zoneFile(
      String origin, long serial, Duration refresh, Duration retry, Path zonesDir, Map<String, List<String>> policies,
      LimitsConfig limits)
      throws PolicyException {
    Name originName = absolute(origin);
    PolicySet.load(zonesDir, policies, 1); // every file:line: reason, as validate reports them
    List<String> errors = new ArrayList<>();
    List<ZoneSource> sources = PolicySet.readZones(zonesDir, errors);
    if (!errors.isEmpty()) {
      throw new PolicyException(errors); // changed since the check just now
    }
    PolicyZone.Soa soa =
        new PolicyZone.Soa(serial, refresh.toSeconds(), retry.toSeconds(), EXPIRE, NEGATIVE_TTL);
    StringBuilder out = new StringBuilder();
    out.append("; allowdns policy zone ").append(originName).append(" serial ").append(serial)
        .append(": the ").append(sources.size()).append(" zones of ").append(zonesDir)
        .append(" and ").append(policies.isEmpty() ? "the default policy" : policies.size() + " policies")
        .append('\n');
    for (Record record : PolicyZone.encode(originName, soa, TTL, sources, policies, limits)) {
      out.append(record).append('\n');
    }
    return out.toString();
  }

  static Name absolute(String name) {
    try {
      return Name.fromString(name.endsWith(".") ? name : name + ".");
    } catch (TextParseException e) {
      throw new IllegalArgumentException("'" + name + "' is not a domain name: " + e.getMessage(), e);
    }
  }
}
