package dev.allowdns.identity;

import dev.allowdns.sandbox.Sandbox;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Finds which process of a sandbox owns the sandbox's end of a connection or UDP flow. Thread-safe.
 * A lookup never runs on the caller's thread, and its future always completes within the budget
 * (with {@code null} past it), so an event loop may wait on it through a callback.
 */
public interface SocketOwners extends AutoCloseable {
  /** The transport of the socket looked for, which says which {@code /proc/net} tables to read. */
  enum Transport {
    TCP("tcp", "tcp6"),
    UDP("udp", "udp6");

    final String v4Table;
    final String v6Table;

    Transport(String v4Table, String v6Table) {
      this.v4Table = v4Table;
      this.v6Table = v6Table;
    }
  }

  /** Looks nothing up: every answer is {@code null}. */
  SocketOwners OFF =
      new SocketOwners() {
        @Override
        public boolean wanted(Sandbox sandbox, boolean refused) {
          return false;
        }

        @Override
        public CompletableFuture<ProcessOwner> find(
            Sandbox sandbox, Transport transport, InetSocketAddress sandboxSide, InetSocketAddress peer) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {}
      };

  /**
   * Returns whether a record of {@code sandbox} gets a process: the sandbox is a namespace of this
   * host and the mode asks for it ({@code refused}: refused connections and UDP flows only).
   */
  boolean wanted(Sandbox sandbox, boolean refused);

  /**
   * Finds the owner of the socket whose local address, seen from inside the sandbox, is {@code
   * sandboxSide} and whose peer is {@code peer} (for UDP an unconnected socket matches any peer).
   *
   * @return a future that completes within the budget: with the owner, or with {@code null} when
   *     none was found in time, the sandbox has no namespace, or the lookup failed
   */
  CompletableFuture<ProcessOwner> find(
      Sandbox sandbox, Transport transport, InetSocketAddress sandboxSide, InetSocketAddress peer);

  /** Stops the lookup threads. */
  @Override
  void close();

  /**
   * Returns the lookup for {@code mode}: {@link #OFF} for {@code off}.
   *
   * @param all whether every connection gets its process, not only refused ones
   * @param budget how long one lookup may take before the record goes without it
   */
  static SocketOwners start(boolean off, boolean all, Duration budget) {
    return off ? OFF : new ProcSocketOwners(all, budget);
  }
}
