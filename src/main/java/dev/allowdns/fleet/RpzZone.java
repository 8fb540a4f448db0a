package dev.allowdns.fleet;

import dev.allowdns.policy.DenyList;
import dev.allowdns.policy.DomainName;
import dev.allowdns.policy.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Reads the QNAME triggers of a Response Policy Zone (draft-vixie-dnsop-dns-rpz §3) into a
 * {@link DenyList}: {@code name CNAME .} (NXDOMAIN) and {@code name CNAME *.} (NODATA) deny,
 * {@code rpz-drop.} denies too (allowdns never answers what a feed wants dropped), and
 * {@code rpz-passthru.} exempts a name from the feed's wider triggers, leaving the decision to the
 * allowlist. {@code *.name} covers every name below {@code name}, not {@code name} itself.
 * Other triggers (IP, NSDNAME, NSIP, client IP) and actions (local data, {@code rpz-tcp-only.})
 * are skipped: the allowlist already refuses what it does not list.
 */
final class RpzZone {
  private static final Set<String> TRIGGER_LABELS =
      Set.of("rpz-ip", "rpz-nsip", "rpz-nsdname", "rpz-client-ip");
  private static final Name PASSTHRU = Name.fromConstantString("rpz-passthru.");
  private static final Name DROP = Name.fromConstantString("rpz-drop.");
  private static final Name NODATA = Name.fromConstantString("*.");

  private RpzZone() {}

  /** What a feed yielded: the deny list, and how many records were skipped as unsupported. */
  record Triggers(DenyList list, int skipped) {}

  static Triggers read(String zone, ZoneCopy copy) {
    List<Rule> rules = new ArrayList<>();
    int skipped = 0;
    String origin = "rpz:" + zone;
    for (Record record : copy.records()) {
      if (record.getName().equals(copy.origin())) {
        continue; // SOA, NS
      }
      Name relative = record.getName().relativize(copy.origin());
      String top = relative.getLabelString(relative.labels() - 1).toLowerCase(Locale.ROOT);
      if (record.getType() != Type.CNAME || TRIGGER_LABELS.contains(top)) {
        skipped++;
        continue;
      }
      Name target = ((CNAMERecord) record).getTarget();
      boolean deny;
      if (target.equals(Name.root) || target.equals(NODATA) || target.equals(DROP)) {
        deny = true;
      } else if (target.equals(PASSTHRU)) {
        deny = false;
      } else {
        skipped++;
        continue;
      }
      boolean wildcard = relative.isWild();
      String text = (wildcard ? new Name(relative, 1) : relative).toString(true);
      String name;
      try {
        name = DomainName.normalize(text);
      } catch (IllegalArgumentException e) {
        skipped++;
        continue;
      }
      rules.add(new Rule(zone, origin, wildcard ? Rule.Kind.MANY_LABELS : Rule.Kind.EXACT, name, deny));
    }
    return new Triggers(new DenyList(zone, copy.serial(), rules), skipped);
  }
}
