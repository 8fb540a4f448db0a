package dev.allowdns.sandbox;

import dev.allowdns.config.Cidr;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * An immutable directory of sandboxes by network. The most specific network wins, so a /32 inside
 * a registered /24 can carry its own task and user.
 */
public final class Sandboxes {
  /** One network of one sandbox. */
  public record Entry(Cidr cidr, Sandbox sandbox) {}

  private final List<Entry> bySpecificity;
  private final Sandbox loopback;

  private Sandboxes(List<Entry> entries, String loopbackPolicy) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingInt((Entry e) -> e.cidr().prefixLength()).reversed());
    this.bySpecificity = List.copyOf(sorted);
    this.loopback = new Sandbox(Sandbox.LOOPBACK_ID, null, null, loopbackPolicy);
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
    for (Entry entry : bySpecificity) {
      if (entry.cidr().contains(client)) {
        return Optional.of(entry.sandbox());
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
