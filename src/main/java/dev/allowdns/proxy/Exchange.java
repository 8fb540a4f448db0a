package dev.allowdns.proxy;

import com.google.common.net.InetAddresses;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.Timestamps;
import dev.allowdns.config.ParentProxy;
import dev.allowdns.sandbox.Sandbox;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * One destination connection the proxy makes (or refuses) itself: what its record says. Plain
 * HTTP requests of one client connection to one host share it; a refusal has one of its own.
 * Confined to the client channel's event loop.
 */
final class Exchange {
  private final Instant startedAt = Instant.now();
  private final long startedNanos = System.nanoTime();
  private final InetSocketAddress client;
  final Sandbox sandbox;
  final long generation;
  final Long serial;
  final Target target;
  ProxyDecision decision;
  InetAddress destination;
  ParentProxy via;
  Integer proxyStatus;
  String endReason;
  long bytesFromSandbox;
  long bytesToSandbox;
  private boolean recorded;

  Exchange(InetSocketAddress client, Sandbox sandbox, long generation, Long serial, Target target) {
    this.client = client;
    this.sandbox = sandbox;
    this.generation = generation;
    this.serial = serial;
    this.target = target;
  }

  /** Returns whether this call is the first to ask: the record is written exactly once. */
  boolean claimRecord() {
    if (recorded) {
      return false;
    }
    recorded = true;
    return true;
  }

  private boolean blocked() {
    return decision == null
        || !decision.allowed()
        || (endReason != null && ProxyHandler.FAILED_TO_CONNECT.contains(endReason));
  }

  ConnectionRecord toRecord() {
    String reason = endReason != null ? endReason : decision == null ? ProxyDecision.BAD_REQUEST : decision.reason();
    boolean blocked = blocked();
    return new ConnectionRecord(
        Timestamps.format(startedAt),
        sandbox == null ? null : sandbox.taskId(),
        sandbox == null ? null : sandbox.user(),
        "egress",
        decision == null ? null : decision.domain(),
        target == null ? 0 : target.port(),
        "http",
        null,
        bytesFromSandbox,
        bytesToSandbox,
        (System.nanoTime() - startedNanos) / 1_000_000,
        blocked ? "blocked" : decision.wouldBlock() ? "would_block" : "allowed",
        decision == null ? null : decision.rule(),
        sandbox == null ? null : sandbox.id(),
        InetAddresses.toAddrString(client.getAddress()),
        destination == null ? null : InetAddresses.toAddrString(destination),
        reason,
        target == null || target.originForm() == null ? null : target.authority(),
        generation,
        serial,
        ConnectionRecord.PROXY,
        via == null ? null : via.label(),
        proxyStatus,
        null,
        null,
        null);
  }
}
