package dev.allowdns.relay;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The relay's meters, every name and tag in one place. Tags are low-cardinality: result, reason,
 * path ({@code transparent}, {@code proxy}), rule ({@code POLICY:ZONE}) and direction; never a
 * domain or an address.
 */
final class RelayMetrics {
  static final String TO_DESTINATION = "from_sandbox";
  static final String TO_SANDBOX = "to_sandbox";

  private final MeterRegistry registry;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentMap<Tags, Counter> connections = new ConcurrentHashMap<>();
  private final ConcurrentMap<Tags, Counter> bytes = new ConcurrentHashMap<>();

  private record Tags(String first, String second, String third) {}

  RelayMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("allowdns_relay_open_connections", open, AtomicInteger::get)
        .description("Connections the relay holds open now")
        .register(registry);
  }

  void opened() {
    open.incrementAndGet();
  }

  void closed(String result, String reason, String path) {
    open.decrementAndGet();
    String r = reason == null ? "none" : reason;
    connections
        .computeIfAbsent(
            new Tags(result, r, path),
            k ->
                Counter.builder("allowdns_relay_connections")
                    .description("Relay connections by result, reason and path, counted when they close")
                    .tag("result", result)
                    .tag("reason", r)
                    .tag("path", path)
                    .register(registry))
        .increment();
  }

  /** Returns the byte counter of one direction and rule; advances while connections are open. */
  Counter bytes(String direction, String rule) {
    String r = rule == null ? "none" : rule;
    return bytes.computeIfAbsent(
        new Tags(direction, r, null),
        k ->
            Counter.builder("allowdns_relay_bytes")
                .description("Payload bytes relayed, by direction and allowing rule")
                .baseUnit("bytes")
                .tag("direction", direction)
                .tag("rule", r)
                .register(registry));
  }

  int openConnections() {
    return open.get();
  }
}
