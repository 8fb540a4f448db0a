package dev.allowdns.relay;

import com.google.common.net.InetAddresses;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.Timestamps;
import dev.allowdns.config.ParentProxy;
import dev.allowdns.parent.ParentConnect;
import dev.allowdns.identity.ProcessOwner;
import dev.allowdns.sandbox.Sandbox;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * What one relayed connection has gathered: who, where, the verdict, what the peek saw, and the
 * bytes in each direction. Confined to the frontend channel's event loop (the backend channel
 * shares it), so no field needs synchronisation.
 */
final class Connection {
  final Channel frontend;
  final Instant acceptedAt;
  final long acceptedNanos;
  final InetSocketAddress client;
  Channel backend;
  InetSocketAddress destination;
  Sandbox sandbox;
  long generation;
  Long serial;
  Verdict verdict;
  PeekResult peek;
  String endReason;
  /** {@code transparent} or {@code proxy}: the way the connection came in. */
  String path = ConnectionRecord.TRANSPARENT;
  /** The parent proxy it goes through, or {@code null} for direct. */
  ParentProxy via;
  /** The parent's status when it refused, or {@code null}. */
  Integer proxyStatus;
  long bytesFromSandbox;
  long bytesToSandbox;
  Counter bytesFromSandboxMeter;
  Counter bytesToSandboxMeter;
  boolean sandboxDoneSending;
  /** The process of the sandbox-side socket, when it was looked up and found. */
  ProcessOwner process;
  private boolean recorded;

  Connection(Channel frontend, InetSocketAddress client) {
    this.frontend = frontend;
    this.client = client;
    this.acceptedAt = Instant.now();
    this.acceptedNanos = System.nanoTime();
  }

  /** Returns whether this call is the first to ask: the record is written exactly once. */
  boolean claimRecord() {
    if (recorded) {
      return false;
    }
    recorded = true;
    return true;
  }

  /** Returns whether the connection was refused, before or when connecting to its destination. */
  boolean blocked() {
    return verdict == null
        || !verdict.allowed()
        || Verdict.CONNECT_FAILED.equals(endReason)
        || ParentConnect.REFUSED.equals(endReason)
        || ParentConnect.UNREACHABLE.equals(endReason);
  }

  ConnectionRecord toRecord() {
    String reason = endReason != null ? endReason : verdict == null ? null : verdict.reason();
    return new ConnectionRecord(
        Timestamps.format(acceptedAt),
        sandbox == null ? null : sandbox.taskId(),
        sandbox == null ? null : sandbox.user(),
        "egress",
        verdict == null ? null : verdict.domain(),
        destination == null ? 0 : destination.getPort(),
        peek == null ? "tcp" : peek.protocol(),
        peek == null ? null : peek.sni(),
        bytesFromSandbox,
        bytesToSandbox,
        (System.nanoTime() - acceptedNanos) / 1_000_000,
        blocked() ? "blocked" : verdict.wouldBlock() ? "would_block" : "allowed",
        verdict == null ? null : verdict.rule(),
        sandbox == null ? null : sandbox.id(),
        InetAddresses.toAddrString(client.getAddress()),
        destination == null || destination.getAddress() == null
            ? null
            : InetAddresses.toAddrString(destination.getAddress()),
        reason,
        peek == null ? null : peek.host(),
        generation,
        serial,
        path,
        via == null ? null : via.label(),
        proxyStatus,
        null,
        process,
        peek == null ? null : peek.ambiguity());
  }
}
