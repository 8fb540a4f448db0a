package dev.allowdns.config;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;

/**
 * An IPv4 or IPv6 network, {@code ADDRESS/PREFIX}; a bare address is a single host.
 *
 * @param network the network address
 * @param prefixLength 0..32 for IPv4, 0..128 for IPv6
 */
public record Cidr(InetAddress network, int prefixLength) {
  public Cidr {
    int max = network.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > max) {
      throw new IllegalArgumentException("prefix length must be 0.." + max + ", got " + prefixLength);
    }
  }

  /**
   * Parses {@code ADDRESS[/PREFIX]}.
   *
   * @throws IllegalArgumentException stating the expected form and showing the value
   */
  public static Cidr parse(String text) {
    String value = text.trim();
    int slash = value.indexOf('/');
    String address = slash < 0 ? value : value.substring(0, slash);
    if (!InetAddresses.isInetAddress(address)) {
      throw new IllegalArgumentException("expected ADDRESS/PREFIX, got '" + text + "'");
    }
    InetAddress network = InetAddresses.forString(address);
    int max = network.getAddress().length * 8;
    int prefix;
    try {
      prefix = slash < 0 ? max : Integer.parseInt(value.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected ADDRESS/PREFIX, got '" + text + "'");
    }
    if (prefix < 0 || prefix > max) {
      throw new IllegalArgumentException(
          "prefix length must be 0.." + max + " in '" + text + "', got " + prefix);
    }
    return new Cidr(network, prefix);
  }

  /** Returns whether {@code address} lies inside this network (never across address families). */
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

  @Override
  public String toString() {
    return InetAddresses.toAddrString(network) + "/" + prefixLength;
  }
}
