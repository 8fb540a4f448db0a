package dev.allowdns.udp;

import dev.allowdns.identity.ProcessOwner;
import dev.allowdns.sandbox.Sandbox;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One UDP flow the sink tracks: (sandbox address, source port) to (destination, port), what its
 * first datagram said, and the counts since its previous record. Confined to the sink's thread.
 */
final class Flow {
  /** What identifies a flow. */
  record Key(InetSocketAddress source, InetSocketAddress destination) {}

  final Key key;
  final Sandbox sandbox;
  final String protocol;
  final String domain;
  final long generation;
  final Long serial;
  final CompletableFuture<ProcessOwner> owner;
  Instant periodStartedAt;
  long periodStartedNanos;
  long lastPacketNanos;
  long lastRecordNanos;
  long packets;
  long bytes;

  Flow(
      Key key,
      Sandbox sandbox,
      String protocol,
      String domain,
      long generation,
      Long serial,
      CompletableFuture<ProcessOwner> owner,
      long nowNanos) {
    this.key = key;
    this.sandbox = sandbox;
    this.protocol = protocol;
    this.domain = domain;
    this.generation = generation;
    this.serial = serial;
    this.owner = owner;
    this.lastRecordNanos = nowNanos;
  }

  /** Counts one datagram. */
  void count(int length, long nowNanos) {
    if (packets == 0) {
      periodStartedAt = Instant.now();
      periodStartedNanos = nowNanos;
    }
    packets++;
    bytes += length;
    lastPacketNanos = nowNanos;
  }
}
