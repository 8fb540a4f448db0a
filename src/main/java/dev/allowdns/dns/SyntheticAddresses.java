package dev.allowdns.dns;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The addresses the resolver makes up for {@code @proxy … synthesize} zones, whose names only the
 * parent proxy can resolve: IPv4 from {@code 198.18.0.0/15} (RFC 2544's benchmarking range,
 * routed nowhere) and IPv6 from {@code fd00:a11:d05::/48}. One stable address per name, kept for
 * longer than any ledger entry that names it, so the relay always maps an address back to the one
 * name it was given for. Bounded; thread-safe.
 */
final class SyntheticAddresses {
  /** Names held at most: half the IPv4 range, so a free address is found in a few probes. */
  static final int MAX_NAMES = 65_536;
  private static final int V4_SIZE = 1 << 17; // 198.18.0.0/15
  private static final byte[] V6_PREFIX = {(byte) 0xfd, 0x00, 0x0a, 0x11, 0x0d, 0x05};

  private record Pair(InetAddress v4, InetAddress v6) {}

  private final Cache<String, Pair> byName;
  /** Which name holds each IPv4 slot; the IPv6 address follows the same slot. */
  private final ConcurrentMap<Integer, String> slots = new ConcurrentHashMap<>();

  /** @param keep how long a name keeps its address after it was last answered */
  SyntheticAddresses(Duration keep) {
    this.byName =
        Caffeine.newBuilder()
            .maximumSize(MAX_NAMES)
            .expireAfterAccess(keep)
            .executor(Runnable::run)
            .removalListener((String name, Pair pair, RemovalCause cause) -> {
              if (pair != null) {
                slots.remove(slotOf(pair.v4()), name);
              }
            })
            .build();
  }

  /** Returns the IPv4 address of {@code name} (a normalised name), allocating it on first use. */
  InetAddress v4(String name) {
    return pairOf(name).v4();
  }

  /** Returns the IPv6 address of {@code name}, in the same slot as its IPv4 address. */
  InetAddress v6(String name) {
    return pairOf(name).v6();
  }

  private Pair pairOf(String name) {
    return byName.get(name, this::allocate);
  }

  private Pair allocate(String name) {
    int start = Math.floorMod(hash(name), V4_SIZE);
    for (int i = 0; i < V4_SIZE; i++) {
      int slot = (start + i) % V4_SIZE;
      if (slot == 0 || slot == V4_SIZE - 1) {
        continue; // the range's first and last addresses look like network and broadcast
      }
      if (slots.putIfAbsent(slot, name) == null) {
        return new Pair(v4At(slot), v6At(slot));
      }
    }
    throw new IllegalStateException("no synthetic address left"); // MAX_NAMES keeps half free
  }

  private static int hash(String name) {
    int h = 0x811c9dc5; // FNV-1a: stable across restarts and JVMs, unlike String.hashCode seeds
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x01000193;
    }
    return h;
  }

  private static int slotOf(InetAddress v4) {
    byte[] b = v4.getAddress();
    return ((b[1] & 0x01) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
  }

  private static InetAddress v4At(int slot) {
    byte[] b = {(byte) 198, (byte) (18 | (slot >>> 16)), (byte) (slot >>> 8), (byte) slot};
    return address(b);
  }

  private static InetAddress v6At(int slot) {
    byte[] b = new byte[16];
    System.arraycopy(V6_PREFIX, 0, b, 0, V6_PREFIX.length);
    b[13] = (byte) (slot >>> 16);
    b[14] = (byte) (slot >>> 8);
    b[15] = (byte) slot;
    return address(b);
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes", e);
    }
  }
}
