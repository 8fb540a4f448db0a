package dev.allowdns.policy;

import dev.allowdns.config.ParentProxy;

/**
 * What a zone's {@code @proxy} line says about reaching its destinations: {@code direct}, or
 * through a parent (corporate) proxy, optionally with synthesized answers for names only the
 * parent can resolve. Immutable.
 *
 * @param parent the parent proxy, {@code null} for {@code @proxy direct}
 * @param synthesize whether the resolver answers the zone's names itself from the reserved
 *     ranges, so that only the parent ever resolves them
 */
public record ZoneProxy(ParentProxy parent, boolean synthesize) {
  /** {@code @proxy direct}: connect directly, whatever {@code upstream_proxy} says. */
  public static final ZoneProxy DIRECT = new ZoneProxy(null, false);

  public ZoneProxy {
    if (parent == null && synthesize) {
      throw new IllegalArgumentException("synthesize needs a parent proxy");
    }
  }

  /** Returns the line's words after {@code @proxy}: {@code direct}, or the URL and its option. */
  public String text() {
    return parent == null ? "direct" : "http://" + parent.label() + (synthesize ? " synthesize" : "");
  }
}
