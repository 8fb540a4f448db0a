package dev.allowdns.policy;

import java.net.InetAddress;

/**
 * An {@code ip:ADDRESS/PREFIX} rule: addresses the relay may connect to without a DNS answer.
 *
 * @param network the network address (host bits zero)
 * @param prefixLength the prefix length, 0..32 for IPv4, 0..128 for IPv6
 * @param zone the zone it was written in
 * @param origin {@code file:line}
 */
public record IpRange(InetAddress network, int prefixLength, String zone, String origin) {
  /** Returns whether {@code address} lies inside this range (never across address families). */
  public boolean contains(InetAddress address) {
    byte[] net = network.getAddress();
    byte[] candidate = address.getAddress();
    if (net.length != candidate.length) {
      return false;
    }
    int fullBytes = prefixLength / 8;
    for (int i = 0; i < fullBytes; i++) {
      if (net[i] != candidate[i]) {
        return false;
      }
    }
    int remainingBits = prefixLength % 8;
    if (remainingBits == 0) {
      return true;
    }
    int mask = (0xff << (8 - remainingBits)) & 0xff;
    return (net[fullBytes] & mask) == (candidate[fullBytes] & mask);
  }
}
