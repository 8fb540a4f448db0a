package dev.allowdns.parent;

import dev.allowdns.config.NoProxy;
import dev.allowdns.config.ParentProxy;
import dev.allowdns.config.Proxying;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.Zone;
import dev.allowdns.policy.ZoneProxy;
import java.net.InetAddress;

/**
 * Chooses how an allowed connection reaches its destination: a zone's {@code @proxy} line wins;
 * otherwise a {@code no_proxy} match goes direct; otherwise {@code upstream_proxy}, when set.
 * Immutable and thread-safe.
 */
public final class ParentRoutes {
  /** Everything direct. */
  public static final ParentRoutes DIRECT = new ParentRoutes(null, NoProxy.NONE, ParentCredentials.NONE);

  private final ParentProxy upstream;
  private final NoProxy noProxy;
  private final ParentCredentials credentials;

  private ParentRoutes(ParentProxy upstream, NoProxy noProxy, ParentCredentials credentials) {
    this.upstream = upstream;
    this.noProxy = noProxy;
    this.credentials = credentials;
  }

  /**
   * Builds the routes the configuration says.
   *
   * @throws IllegalArgumentException when the credentials file is unreadable or malformed
   */
  public static ParentRoutes of(Proxying proxying) {
    ParentCredentials credentials =
        proxying.authFile() == null ? ParentCredentials.NONE : ParentCredentials.load(proxying.authFile());
    return new ParentRoutes(proxying.upstreamProxy(), proxying.noProxy(), credentials);
  }

  /** Builds the routes without reading credentials: for commands that only say the route. */
  public static ParentRoutes withoutCredentials(Proxying proxying) {
    return new ParentRoutes(proxying.upstreamProxy(), proxying.noProxy(), ParentCredentials.NONE);
  }

  /**
   * Returns how {@code check} shows the route: {@code direct}, or {@code via HOST:PORT} (with
   * {@code , answers synthesized} for a {@code @proxy … synthesize} zone).
   */
  public String describe(Policy policy, String rule, String name, int port) {
    ParentProxy parent = choose(policy, rule, name, null, port);
    if (parent == null) {
      return "direct";
    }
    ZoneProxy said = zoneProxy(policy, rule);
    return "via " + parent.label() + (said != null && said.synthesize() ? ", answers synthesized" : "");
  }

  /**
   * Returns the parent to go through, or {@code null} to connect directly.
   *
   * @param policy the policy that allowed the connection
   * @param rule {@code POLICY:ZONE} of the allowing rule, or {@code null}
   * @param name the allowed name, or {@code null} when the connection has none
   * @param address the destination address when known, or {@code null}
   */
  public ParentProxy choose(Policy policy, String rule, String name, InetAddress address, int port) {
    ZoneProxy said = zoneProxy(policy, rule);
    if (said != null) {
      return said.parent();
    }
    if (upstream == null || noProxy.matches(name, address, port)) {
      return null;
    }
    return upstream;
  }

  /** Returns what the allowing rule's zone says with {@code @proxy}, or {@code null}. */
  public static ZoneProxy zoneProxy(Policy policy, String rule) {
    if (policy == null || rule == null) {
      return null;
    }
    String zoneName = rule.substring(rule.indexOf(':') + 1);
    for (Zone zone : policy.zones()) {
      if (zone.name().equals(zoneName)) {
        return zone.proxy();
      }
    }
    return null;
  }

  /** Returns the {@code Proxy-Authorization} value for {@code parent}, or {@code null}. */
  public String authorizationFor(ParentProxy parent) {
    return credentials.authorizationFor(parent);
  }
}
