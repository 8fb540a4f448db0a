package dev.allowdns.policy;

import dev.allowdns.config.Cidr;
import java.net.InetAddress;

/**
 * An {@code ip:ADDRESS/PREFIX} rule: addresses the relay may connect to without a DNS answer.
 *
 * @param cidr the network (host bits zero)
 * @param zone the zone it was written in
 * @param origin {@code file:line}
 */
public record IpRange(Cidr cidr, String zone, String origin) {
  /** Returns whether {@code address} lies inside this range (never across address families). */
  public boolean contains(InetAddress address) {
    return cidr.contains(address);
  }
}
