package dev.allowdns.config;

import java.nio.file.Path;

/**
 * The explicit proxy and the parent (corporate) proxy, as configured (DESIGN.md "Proxy paths").
 * Immutable.
 *
 * @param listen where the explicit HTTP/CONNECT proxy listens, or {@code null} when it is off
 * @param upstreamProxy the parent every allowed connection goes through unless a zone's {@code
 *     @proxy} or {@code no_proxy} says otherwise, or {@code null} for direct
 * @param authFile the root-only file of parent credentials, or {@code null} for none
 * @param noProxy the destinations that go direct although {@code upstreamProxy} is set
 */
public record Proxying(HostPort listen, ParentProxy upstreamProxy, Path authFile, NoProxy noProxy) {
  /** No explicit proxy, no parent. */
  public static final Proxying NONE = new Proxying(null, null, null, NoProxy.NONE);
}
