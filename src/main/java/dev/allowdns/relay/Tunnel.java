package dev.allowdns.relay;

import dev.allowdns.sandbox.Sandbox;
import java.net.InetSocketAddress;

/**
 * A tunnel the explicit proxy has decided to open, and what the proxy's decision found.
 *
 * @param sandbox the client's sandbox
 * @param generation the policy generation that decided
 * @param serial the SOA serial of that policy when it was transferred, else {@code null}
 * @param destination the address to connect to, or an unresolved {@code name:port} when only the
 *     parent proxy resolves the name
 * @param domain the allowed name, or {@code null} for an IP literal
 * @param rule {@code POLICY:ZONE} of the rule that allowed it
 * @param wouldBlock in audit mode, the reason enforcing would have refused it; else {@code null}
 */
public record Tunnel(
    Sandbox sandbox,
    long generation,
    Long serial,
    InetSocketAddress destination,
    String domain,
    String rule,
    String wouldBlock) {

  /** Hears how connecting a tunnel went; called on the client channel's event loop. */
  public interface Listener {
    /** The destination (or the parent's tunnel) is up: answer {@code 200} and leave raw bytes. */
    void connected();

    /**
     * The destination could not be reached: answer ({@code 502}) and close; the record follows.
     *
     * @param reason {@code connect_failed}, {@code proxy_refused} or {@code proxy_unreachable}
     * @param proxyStatus the parent's status, or {@code null}
     */
    void failed(String reason, Integer proxyStatus);
  }
}
