package dev.allowdns.dns;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Removes addresses a public name must never resolve to (DNS rebinding): private, shared (CGNAT),
 * loopback, link-local (169.254.169.254, the cloud metadata service, among them), unique-local
 * and unspecified.
 */
final class RebindingGuard {
  private RebindingGuard() {}

  /** Returns whether {@code address} is one the guard removes. */
  static boolean isInternal(InetAddress address) {
    if (address.isAnyLocalAddress()
        || address.isLoopbackAddress()
        || address.isLinkLocalAddress()
        || address.isSiteLocalAddress()) {
      return true;
    }
    byte[] a = address.getAddress();
    if (address instanceof Inet6Address) {
      return (a[0] & 0xfe) == 0xfc; // fc00::/7, RFC 4193
    }
    return a[0] == 0 // 0.0.0.0/8, RFC 1122 "this network"
        || (a[0] == 100 && (a[1] & 0xc0) == 64); // 100.64.0.0/10, RFC 6598
  }

  /**
   * Returns {@code reply} without internal addresses in its answer and additional sections. When
   * that leaves the answer without any address it had, the answer section is emptied: the client
   * gets an empty NOERROR rather than a dangling CNAME chain.
   *
   * @return the number of addresses removed
   */
  static int strip(Message reply) {
    int removed = 0;
    int kept = 0;
    for (Record r : List.copyOf(reply.getSection(Section.ANSWER))) {
      InetAddress address = addressOf(r);
      if (address == null) {
        continue;
      }
      if (isInternal(address)) {
        reply.removeRecord(r, Section.ANSWER);
        removed++;
      } else {
        kept++;
      }
    }
    if (removed > 0 && kept == 0) {
      reply.removeAllRecords(Section.ANSWER);
    }
    for (Record r : List.copyOf(reply.getSection(Section.ADDITIONAL))) {
      InetAddress address = addressOf(r);
      if (address != null && isInternal(address)) {
        reply.removeRecord(r, Section.ADDITIONAL);
        removed++;
      }
    }
    return removed;
  }

  private static InetAddress addressOf(Record r) {
    if (r instanceof ARecord a) {
      return a.getAddress();
    }
    if (r instanceof AAAARecord aaaa) {
      return aaaa.getAddress();
    }
    return null;
  }
}
