package dev.allowdns.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.Type;

/**
 * The resolver's meters, every name and tag in one place. Tag values are low-cardinality: a
 * result, a reason, a rule ({@code POLICY:ZONE}), a configured upstream; never a queried name or a
 * client address.
 */
final class DnsMetrics {
  private final MeterRegistry registry;
  private final ConcurrentMap<QueryKey, Counter> queries = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> malformed = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> upstreamFailures = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Timer> upstreamLatency = new ConcurrentHashMap<>();
  private final Counter mismatchedReplies;
  private final Counter rebindingRemoved;
  private final Timer queryLatency;

  private record QueryKey(String result, String type, String rule) {}

  /** Sandbox and name pairs seen lately, to count names a sandbox resolves for the first time. */
  private final RecentPairs seen = new RecentPairs(100_000);

  private final ConcurrentMap<String, Counter> firstSeen = new ConcurrentHashMap<>();

  DnsMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.mismatchedReplies =
        Counter.builder("allowdns_upstream_mismatched_replies")
            .description("Upstream replies discarded because their ID or question did not match")
            .register(registry);
    this.rebindingRemoved =
        Counter.builder("allowdns_dns_rebinding_removed_addresses")
            .description("Internal addresses removed from answers by the rebinding guard")
            .register(registry);
    // A few fixed buckets rather than a percentile histogram: recording stays cheap per query.
    this.queryLatency =
        Timer.builder("allowdns_dns_query_duration")
            .description("Time from receiving a query to having its response")
            .serviceLevelObjectives(
                Duration.ofNanos(50_000),
                Duration.ofNanos(200_000),
                Duration.ofMillis(1),
                Duration.ofMillis(5),
                Duration.ofMillis(20),
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                Duration.ofSeconds(2))
            .register(registry);
  }

  MeterRegistry registry() {
    return registry;
  }

  void query(String result, int type, String rule, long durationNanos) {
    String typeTag = typeTag(type);
    queries
        .computeIfAbsent(
            new QueryKey(result, typeTag, rule == null ? "none" : rule),
            k ->
                Counter.builder("allowdns_dns_queries")
                    .description("DNS queries answered, by result, query type and deciding rule")
                    .tag("result", k.result())
                    .tag("type", k.type())
                    .tag("rule", k.rule())
                    .register(registry))
        .increment();
    queryLatency.record(durationNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Counts {@code name} when {@code sandbox} resolves it for the first time (as far as the last
   * last 50,000 to 100,000 pairs remember): new names are what an alert on a changed dependency looks for.
   */
  void resolved(String policy, String sandbox, String name) {
    if (!seen.add(sandbox, name)) {
      return;
    }
    firstSeen
        .computeIfAbsent(
            policy,
            p ->
                Counter.builder("allowdns_dns_first_seen_names")
                    .description("Names a sandbox resolved for the first time, by policy")
                    .tag("policy", p)
                    .register(registry))
        .increment();
  }

  void malformed(String transport) {
    malformed
        .computeIfAbsent(
            transport,
            t ->
                Counter.builder("allowdns_dns_malformed_queries")
                    .description("Queries that could not be parsed (dropped or answered FORMERR)")
                    .tag("transport", t)
                    .register(registry))
        .increment();
  }

  void mismatchedReply() {
    mismatchedReplies.increment();
  }

  void rebindingRemoved(int addresses) {
    rebindingRemoved.increment(addresses);
  }

  void upstreamFailure(String upstream) {
    upstreamFailures
        .computeIfAbsent(
            upstream,
            u ->
                Counter.builder("allowdns_upstream_failures")
                    .description("Upstream exchanges that timed out, failed or answered an error")
                    .tag("upstream", u)
                    .register(registry))
        .increment();
  }

  void upstreamLatency(String upstream, long nanos) {
    upstreamLatency
        .computeIfAbsent(
            upstream,
            u ->
                Timer.builder("allowdns_upstream_request_duration")
                    .description("Upstream exchanges that got a usable answer")
                    .tag("upstream", u)
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Keeps the type tag low-cardinality: common types by name, the rest as {@code other}. */
  private static String typeTag(int type) {
    return switch (type) {
      case Type.A -> "A";
      case Type.AAAA -> "AAAA";
      case Type.CNAME -> "CNAME";
      case Type.TXT -> "TXT";
      case Type.MX -> "MX";
      case Type.SRV -> "SRV";
      case Type.NS -> "NS";
      case Type.SOA -> "SOA";
      case Type.PTR -> "PTR";
      case Type.HTTPS -> "HTTPS";
      case Type.SVCB -> "SVCB";
      case Type.CAA -> "CAA";
      case Type.ANY -> "ANY";
      default -> "other";
    };
  }
}
