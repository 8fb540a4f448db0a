package dev.allowdns.limit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
    hits.computeIfAbsent(policy, this::hitCounters)[limit.ordinal()].increment();
  }

  /** Time a connection's reads were paused ({@code allowdns_limit_shaped_seconds_total{direction,policy}}). */
  void shaped(Direction direction, String policy, long nanos) {
    shaped.computeIfAbsent(policy, this::shapedCounters)[direction.ordinal()].increment(nanos / 1e9);
  }

  private Counter[] hitCounters(String policy) {
    Counter[] counters = new Counter[Limit.values().length];
    for (Limit limit : Limit.values()) {
      counters[limit.ordinal()] =
          Counter.builder("allowdns_limit_hits")
              .description("Queries and connections refused by a sandbox's limit, by limit (the config key)")
              .tag("limit", limit.key())
              .tag("policy", policy)
              .register(registry);
    }
    return counters;
  }

  private Counter[] shapedCounters(String policy) {
    Counter[] counters = new Counter[Direction.values().length];
    for (Direction direction : Direction.values()) {
      counters[direction.ordinal()] =
          Counter.builder("allowdns_limit_shaped_seconds")
              .description("Time relayed reads were paused by a sandbox's bandwidth limit")
              .tag("direction", direction.label())
              .tag("policy", policy)
              .register(registry);
    }
    return counters;
  }
}
