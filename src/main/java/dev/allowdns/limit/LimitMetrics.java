package dev.allowdns.limit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** The meters of the limits: every name and tag here. Tag values are keys and policy names. */
final class LimitMetrics {
  private final MeterRegistry registry;
  private final ConcurrentMap<String, Counter[]> hits = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter[]> shaped = new ConcurrentHashMap<>();

  LimitMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** One refused query or connection ({@code allowdns_limit_hits_total{limit,policy}}). */
  void hit(Limit limit, String policy) {
    hits.computeIfAbsent(
            policy,
            p -> counters("allowdns_limit_hits", "Queries and connections refused by a sandbox's limit, by limit (the config key)",
                "limit", Arrays.stream(Limit.values()).map(Limit::key).toList(), p))
        [limit.ordinal()].increment();
  }

  /** Time a connection's reads were paused ({@code allowdns_limit_shaped_seconds_total{direction,policy}}). */
  void shaped(Direction direction, String policy, long nanos) {
    shaped.computeIfAbsent(
            policy,
            p -> counters("allowdns_limit_shaped_seconds", "Time relayed reads were paused by a sandbox's bandwidth limit",
                "direction", Arrays.stream(Direction.values()).map(Direction::label).toList(), p))
        [direction.ordinal()].increment(nanos / 1e9);
  }

  /** One counter per value of {@code tag}, in the order of the values (the enum's ordinals). */
  private Counter[] counters(String name, String description, String tag, List<String> values, String policy) {
    Counter[] counters = new Counter[values.size()];
    for (int i = 0; i < counters.length; i++) {
      counters[i] =
          Counter.builder(name).description(description).tag(tag, values.get(i)).tag("policy", policy).register(registry);
    }
    return counters;
  }
}
