package dev.allowdns.descriptors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many connections the relay and the explicit proxy may hold open together, out of the
 * process's descriptor limit: each takes two descriptors (the sandbox's side and the
 * destination's), the resolver's TCP connections have their own bound, and a reserve stays for
 * everything else (the JVM's own files, the logs, the DNS sockets and upstream queries, the admin
 * API). A connection accepted past the capacity is refused at once, with its record, while the
 * process still has descriptors to spare: a sandbox cannot make {@code accept} or a destination
 * connect fail with {@code EMFILE}, nor starve {@code /healthz} and {@code /metrics}.
 * Thread-safe.
 */
public final class DescriptorBudget {
  /** Descriptors one relayed connection holds: the sandbox's socket and the destination's. */
  public static final int PER_CONNECTION = 2;
  /** The reserve at most, and the share of the limit it is where the limit is small. */
  static final int MAX_RESERVE = 1024;
  static final int RESERVE_SHARE = 8;
  /** The limit assumed where it cannot be read: the usual default soft limit. */
  static final long FALLBACK_LIMIT = 1024;

  private final Capacity capacity;
  private final AtomicInteger open = new AtomicInteger();
  private final Counter refused;

  /**
   * What the limit allows.
   *
   * @param limit the process's descriptor limit (the soft limit, after raising it)
   * @param relayConnections connections the relay and the proxy may hold open together
   * @param dnsTcpConnections DNS-over-TCP connections the resolver may hold open
   * @param reserve descriptors kept for everything else
   */
  public record Capacity(long limit, int relayConnections, int dnsTcpConnections, int reserve) {
    /** Returns the capacity within {@code limit} descriptors. */
    public static Capacity of(long limit, int dnsTcpConnections) {
      int reserve = (int) Math.min(MAX_RESERVE, limit / RESERVE_SHARE);
      long relay = Math.max(0, (limit - reserve - dnsTcpConnections) / PER_CONNECTION);
      return new Capacity(limit, (int) Math.min(Integer.MAX_VALUE, relay), dnsTcpConnections, reserve);
    }

    /** Returns the startup line's words, e.g. {@code descriptors 20000: 8976 relayed, ...}. */
    public String describe() {
      return "descriptors " + limit + ": " + relayConnections + " relayed connections (2 each), "
          + dnsTcpConnections + " DNS TCP connections, " + reserve + " reserved";
    }
  }

  DescriptorBudget(Capacity capacity, MeterRegistry registry) {
    this.capacity = capacity;
    Gauge.builder("allowdns_descriptor_limit", capacity, Capacity::limit)
        .description("The process's descriptor limit (RLIMIT_NOFILE), after raising it to the hard limit")
        .register(registry);
    Gauge.builder("allowdns_relay_connection_capacity", capacity, Capacity::relayConnections)
        .description("Connections the relay and the explicit proxy may hold open together, within the descriptor limit")
        .register(registry);
    Gauge.builder("allowdns_relay_connections_held", open, AtomicInteger::get)
        .description("Connections the relay and the explicit proxy hold open now, counted against the capacity")
        .register(registry);
    refused =
        Counter.builder("allowdns_relay_refused_too_many_open_total")
            .description("Connections refused at accept because the relay's share of descriptors was in use")
            .register(registry);
  }

  /**
   * Raises the soft descriptor limit to the hard limit and returns the budget within it.
   *
   * @param dnsTcpConnections the resolver's bound on DNS-over-TCP connections
   */
  public static DescriptorBudget atStart(int dnsTcpConnections, MeterRegistry registry) {
    return new DescriptorBudget(Capacity.of(NoFileLimit.raiseToHard(FALLBACK_LIMIT), dnsTcpConnections), registry);
  }

  /** Returns a budget of exactly {@code capacity}, whatever the process's limit (tests). */
  public static DescriptorBudget of(Capacity capacity, MeterRegistry registry) {
    return new DescriptorBudget(capacity, registry);
  }

  public Capacity capacity() {
    return capacity;
  }

  /**
   * Counts a newly accepted connection, if it fits. One that does not fit is counted as refused:
   * close it at once (its own descriptor is part of the reserve), and record why.
   *
   * @return whether it fits; call {@link #release} exactly once when it closes, only then
   */
  public boolean tryAcquire() {
    int limit = capacity.relayConnections();
    for (int held = open.get(); held < limit; held = open.get()) {
      if (open.compareAndSet(held, held + 1)) {
        return true;
      }
    }
    refused.increment();
    return false;
  }

  /** Returns the place of a connection that {@link #tryAcquire} admitted. */
  public void release() {
    open.decrementAndGet();
  }

  /** Returns how many admitted connections are open now. */
  public int held() {
    return open.get();
  }
}
