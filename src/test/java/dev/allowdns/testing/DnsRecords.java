package dev.allowdns.testing;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.TXTRecord;

/** Builds the dnsjava records fake upstreams answer with, from plain strings. */
public final class DnsRecords {
  private DnsRecords() {}

  /** Returns an absolute name; a missing trailing dot is added. */
  public static Name name(String name) {
    return Name.fromConstantString(name.endsWith(".") ? name : name + ".");
  }

  public static Record a(Name owner, long ttl, String address) {
    return new ARecord(owner, DClass.IN, ttl, address(address));
  }

  public static Record aaaa(Name owner, long ttl, String address) {
    return new AAAARecord(owner, DClass.IN, ttl, address(address));
  }

  public static Record txt(Name owner, long ttl, String text) {
    return new TXTRecord(owner, DClass.IN, ttl, text);
  }

  public static Record mx(Name owner, long ttl, int priority, String exchange) {
    return new MXRecord(owner, DClass.IN, ttl, priority, name(exchange));
  }

  /** Returns the SOA of {@code zone} whose minimum (the negative TTL, RFC 2308 §4) is given. */
  public static Record soa(String zone, long negativeTtl) {
    Name apex = name(zone);
    return new SOARecord(
        apex,
        DClass.IN,
        negativeTtl,
        name("ns." + zone),
        name("hostmaster." + zone),
        1,
        3600,
        600,
        86400,
        negativeTtl);
  }

  private static InetAddress address(String literal) {
    try {
      // Address parses literals only: a name here must never become a system-resolver lookup.
      return Address.getByAddress(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address literal: " + literal, e);
    }
  }
}
