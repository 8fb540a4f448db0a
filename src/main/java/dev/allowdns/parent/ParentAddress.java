package dev.allowdns.parent;

import com.google.common.net.InetAddresses;
import dev.allowdns.config.ParentProxy;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Finds a parent proxy's socket address: an IP literal at once, a host name through the host's
 * own resolver on a thread of its own, never on an event loop (the JVM caches the answers).
 */
public final class ParentAddress {
  private static final Executor RESOLVER =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "parent-proxy-resolver");
            t.setDaemon(true);
            return t;
          });

  private ParentAddress() {}

  /** Returns the address of {@code parent}; fails when its name does not resolve. */
  public static CompletableFuture<InetSocketAddress> of(ParentProxy parent) {
    if (InetAddresses.isInetAddress(parent.host())) {
      return CompletableFuture.completedFuture(
          new InetSocketAddress(InetAddresses.forString(parent.host()), parent.port()));
    }
    return CompletableFuture.supplyAsync(
        () -> {
          InetSocketAddress resolved = new InetSocketAddress(parent.host(), parent.port());
          if (resolved.isUnresolved()) {
            throw new IllegalStateException("cannot resolve parent proxy " + parent.host());
          }
          return resolved;
        },
        RESOLVER);
  }
}
