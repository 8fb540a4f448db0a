package dev.allowdns.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code limits:} of the config file: one for every sandbox, and a policy's own {@code
 * limits:} overriding it key by key (DESIGN.md, "Limits"). Immutable.
 *
 * @param global what every sandbox gets when its policy says nothing
 * @param policies the limits of each policy that says its own, already merged with {@code global}
 */
public record LimitsConfig(Limits global, Map<String, Limits> policies) {
  /** The defaults for every policy. */
  public static final LimitsConfig DEFAULTS = new LimitsConfig(Limits.DEFAULTS, Map.of());

  public LimitsConfig {
    policies = Map.copyOf(policies);
  }

  /** Returns the limits of the sandboxes of {@code policy}. */
  public Limits forPolicy(String policy) {
    Limits own = policies.get(policy);
    return own == null ? global : own;
  }

  /**
   * Parses limits said elsewhere (a transferred policy zone) as the config file says them.
   *
   * @throws IllegalArgumentException listing every {@code key: reason}
   */
  public static LimitsConfig parse(Map<String, String> global, Map<String, Map<String, String>> perPolicy) {
    List<String> errors = new ArrayList<>();
    LimitsConfig limits = resolve(global, perPolicy, errors);
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", errors));
    }
    return limits;
  }

  /**
   * Resolves the file's {@code limits:} and the policies' own, adding each error as {@code key:
   * reason} ({@code limits.dns_qps: ...}, {@code policies.strict.limits.bandwidth_up: ...}).
   */
  static LimitsConfig resolve(Map<String, String> global, Map<String, Map<String, String>> perPolicy, List<String> errors) {
    Limits base = Limits.overriddenBy(Limits.DEFAULTS, global, "limits", errors);
    Map<String, Limits> policies = new LinkedHashMap<>();
    perPolicy.forEach((policy, said) -> {
      if (said != null) {
        policies.put(policy, Limits.overriddenBy(base, said, "policies." + policy + ".limits", errors));
      }
    });
    return new LimitsConfig(base, policies);
  }
}
