package dev.allowdns.relay;

import com.google.common.net.InetAddresses;
import dev.allowdns.ledger.LedgerEntry;
import dev.allowdns.policy.Decision;
import dev.allowdns.policy.DomainName;
import dev.allowdns.policy.IpRange;
import dev.allowdns.policy.Policy;
import dev.allowdns.sandbox.Sandbox;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The relay's decision, in DESIGN.md's order: loop guard → sandbox known → destination in the
 * ledger (or an {@code ip:} rule) → the name the client sent (SNI or Host) allowed by the policy.
 * Pure functions of their inputs.
 */
final class Gate {
  private Gate() {}

  /**
   * Decides what can be decided before the client has sent anything.
   *
   * @param isLoop whether the destination is the relay itself
   * @param sandbox the client's sandbox, or {@code null} when unknown
   * @param policy the sandbox's policy, or {@code null} when not loaded
   * @param entries what the ledger knows of the destination for this sandbox
   */
  static Verdict beforePeek(
      boolean isLoop,
      Sandbox sandbox,
      Policy policy,
      InetSocketAddress destination,
      List<LedgerEntry> entries,
      long nowNanos) {
    if (isLoop) {
      return Verdict.refuse(Verdict.LOOP, null, null);
    }
    if (sandbox == null || policy == null) {
      return Verdict.refuse(Verdict.UNKNOWN_SANDBOX, null, null);
    }
    LedgerEntry notAllowed = null;
    for (LedgerEntry entry : entries) {
      if (entry.isLive(nowNanos)) {
        if (entry.allowed()) {
          return Verdict.allow(entry.name(), entry.rule());
        }
        notAllowed = notAllowed == null ? entry : notAllowed;
      }
    }
    Optional<IpRange> range = policy.ipRangeFor(destination.getAddress());
    if (range.isPresent()) {
      return Verdict.allow(null, policy.name() + ":" + range.get().zone());
    }
    if (notAllowed != null) {
      // Only in audit mode does the resolver answer names the policy does not allow.
      return Verdict.refuse(Verdict.NAME_NOT_ALLOWED, notAllowed.name(), null);
    }
    if (!entries.isEmpty()) {
      return Verdict.refuse(Verdict.EXPIRED_DNS_ANSWER, entries.get(0).name(), entries.get(0).rule());
    }
    return Verdict.refuse(Verdict.NO_DNS_ANSWER, null, null);
  }

  /**
   * Checks what the peek saw: a ClientHello or request that names more than one host (or a
   * ClientHello too long to read) is refused
   * (the destination may honour another name than the one checked), else {@link #afterPeek(Verdict,
   * Policy, InetSocketAddress, String, String)}.
   */
  static Verdict afterPeek(Verdict passed, Policy policy, InetSocketAddress destination, PeekResult peek) {
    if (peek.ambiguity() != null) {
      boolean tls = peek.protocol().equals("https");
      return Verdict.refuse(tls ? Verdict.SNI_NOT_ALLOWED : Verdict.HOST_NOT_ALLOWED, tls ? peek.sni() : peek.host(), null);
    }
    return afterPeek(passed, policy, destination, peek.sni(), peek.host());
  }

  /**
   * Checks the name the client sent (TLS SNI, else HTTP Host) against the policy. A destination
   * that passed {@link #beforePeek} stays allowed when the client sends no name (server-speaks-
   * first protocols) or names the destination's own address.
   *
   * @param sni the TLS server name, or {@code null}
   * @param host the HTTP Host header (a port is allowed), or {@code null}
   */
  static Verdict afterPeek(
      Verdict passed, Policy policy, InetSocketAddress destination, String sni, String host) {
    String sent = sni != null ? sni : host == null ? null : stripPort(host);
    if (sent == null || sent.isEmpty()) {
      return passed;
    }
    String refusal = sni != null ? Verdict.SNI_NOT_ALLOWED : Verdict.HOST_NOT_ALLOWED;
    String literal = sent.startsWith("[") && sent.endsWith("]") ? sent.substring(1, sent.length() - 1) : sent;
    if (InetAddresses.isInetAddress(literal)) {
      InetAddress named = InetAddresses.forString(literal);
      return named.equals(destination.getAddress()) ? passed : Verdict.refuse(refusal, sent, passed.rule());
    }
    String name;
    try {
      name = DomainName.normalize(sent);
    } catch (IllegalArgumentException e) {
      return Verdict.refuse(refusal, sent, null);
    }
    Decision decision = policy.decide(name);
    return decision.allowed()
        ? Verdict.allow(name, decision.ruleLabel())
        : Verdict.refuse(refusal, name, decision.ruleLabel());
  }

  /** Returns a Host header without its port: {@code a.test:8080} → {@code a.test}. */
  static String stripPort(String host) {
    String h = host.trim();
    if (h.startsWith("[")) {
      int close = h.indexOf(']');
      return close < 0 ? h : h.substring(0, close + 1);
    }
    int colon = h.lastIndexOf(':');
    return colon >= 0 && h.indexOf(':') == colon ? h.substring(0, colon) : h;
  }
}
