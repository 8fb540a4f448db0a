package dev.allowdns.sandbox;

import dev.allowdns.config.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable directory of sandboxes by network. The most specific network wins, so a /32 inside
 * a registered /24 can carry its own task and user.
 *
 * <p>Every query and connection asks it, and a host may run thousands of sandboxes: networks are
 * kept in one hash map per prefix length, so a lookup costs one map probe per distinct prefix
 * length (usually one or two), not a scan of every network.
 */
public final class Sandboxes {
  /** One network of one sandbox. */
  public record Entry(Cidr cidr, Sandbox sandbox) {}

  /** An address with the bits past a prefix cleared, as two 64-bit halves (IPv4 in {@code low}). */
  private record Masked(long high, long low) {}

  /** The networks of one prefix length, by masked network address. */
  private record Level(int prefixLength, Map<Masked, Sandbox> networks) {}

  private final List<Entry> bySpecificity;
  private final List<Level> v4Levels;
  private final List<Level> v6Levels;
  private final Sandbox loopback;

  private Sandboxes(List<Entry> entries, String loopbackPolicy) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingInt((Entry e) -> e.cidr().prefixLength()).reversed());
    this.bySpecificity = List.copyOf(sorted);
    this.v4Levels = levels(sorted, 4);
    this.v6Levels = levels(sorted, 16);
    this.loopback = new Sandbox(Sandbox.LOOPBACK_ID, null, null, loopbackPolicy);
  }

  /** Groups the entries of one family by prefix length, most specific first; the first entry wins. */
  private static List<Level> levels(List<Entry> mostSpecificFirst, int addressLength) {
    Map<Integer, Map<Masked, Sandbox>> byLength = new LinkedHashMap<>();
    for (Entry entry : mostSpecificFirst) {
      Cidr cidr = entry.cidr();
      byte[] network = cidr.network().getAddress();
      if (network.length == addressLength) {
        byLength
            .computeIfAbsent(cidr.prefixLength(), length -> new HashMap<>())
            .putIfAbsent(masked(network, cidr.prefixLength()), entry.sandbox());
      }
    }
    List<Level> levels = new ArrayList<>();
    byLength.forEach((length, networks) -> levels.add(new Level(length, Map.copyOf(networks))));
    return List.copyOf(levels);
  }

  private static Masked masked(byte[] address, int prefixLength) {
    if (address.length == 4) {
      long value = 0;
      for (byte b : address) {
        value = value << 8 | (b & 0xff);
      }
      return new Masked(0, value & (highBits(prefixLength) >>> 32));
    }
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = high << 8 | (address[i] & 0xff);
      low = low << 8 | (address[i + 8] & 0xff);
    }
    return new Masked(
        high & highBits(Math.min(prefixLength, 64)), low & highBits(Math.max(prefixLength - 64, 0)));
  }

  /** Returns a long whose top {@code n} bits (0..64) are set. */
  private static long highBits(int n) {
    return n == 0 ? 0 : -1L << (64 - n);
  }

  /**
   * Creates a directory; loopback clients that match no entry get {@code loopbackPolicy}, so a
   * server on its defaults answers the host it runs on.
   */
  public static Sandboxes of(List<Entry> entries, String loopbackPolicy) {
    return new Sandboxes(entries, loopbackPolicy);
  }

  /** Returns the sandbox {@code client} belongs to; empty for an unknown, non-loopback client. */
  public Optional<Sandbox> identify(InetAddress client) {
    byte[] address = client.getAddress();
    for (Level level : address.length == 4 ? v4Levels : v6Levels) {
      Sandbox sandbox = level.networks().get(masked(address, level.prefixLength()));
      if (sandbox != null) {
        return Optional.of(sandbox);
      }
    }
    // InetAddress turns ::ffff:127.0.0.1 into an Inet4Address, so one check covers both stacks.
    return client.isLoopbackAddress() ? Optional.of(loopback) : Optional.empty();
  }

  /** Returns the entries, most specific network first. */
  public List<Entry> entries() {
    return bySpecificity;
  }
}
