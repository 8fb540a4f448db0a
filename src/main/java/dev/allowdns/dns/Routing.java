package dev.allowdns.dns;

import dev.allowdns.policy.Decision;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.Zone;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import dev.allowdns.config.HostPort;
import java.util.List;

/**
 * The policies in force and the route of each of their zones; swapped whole on reload, so a query
 * sees one generation from start to end. Immutable.
 */
final class Routing {
  private final PolicySet policies;
  private final Map<String, Route> routeByZone;
  private final Route defaultRoute;

  private Routing(PolicySet policies, Map<String, Route> routeByZone, Route defaultRoute) {
    this.policies = policies;
    this.routeByZone = routeByZone;
    this.defaultRoute = defaultRoute;
  }

  /**
   * Computes the routes of every zone: its {@code @forward} servers, or the default upstreams.
   *
   * @param groups returns the one upstream group for a list of servers
   */
  static Routing of(
      PolicySet policies, List<HostPort> defaultUpstreams, Function<List<HostPort>, UpstreamGroup> groups) {
    Map<String, Route> routes = new HashMap<>();
    for (Zone zone : policies.zones()) {
      List<HostPort> servers =
          zone.forwarders().isEmpty()
              ? defaultUpstreams
              : zone.forwarders().stream().map(a -> new HostPort(a.getAddress(), a.getPort())).toList();
      boolean synthesize = zone.proxy() != null && zone.proxy().synthesize();
      routes.put(zone.name(), new Route(groups.apply(servers), zone.allowPrivate(), synthesize));
    }
    return new Routing(policies, Map.copyOf(routes), new Route(groups.apply(defaultUpstreams), false, false));
  }

  PolicySet policies() {
    return policies;
  }

  Policy policy(String name) {
    return policies.policy(name).orElse(null);
  }

  /** Returns the route of names no zone allows (answered only in audit mode). */
  Route defaultRoute() {
    return defaultRoute;
  }

  /** Returns the route of the zone whose rule allowed a name. */
  Route routeFor(Decision allowed) {
    return routeByZone.get(allowed.rule().zone());
  }
}
