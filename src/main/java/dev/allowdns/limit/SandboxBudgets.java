package dev.allowdns.limit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.config.Limits;
import dev.allowdns.config.LimitsConfig;
import dev.allowdns.sandbox.Sandbox;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Every sandbox's budget (DESIGN.md, "Limits"), one state per sandbox id whichever path it
 * takes: DNS ({@link #admitQuery}, {@link #admitName}) and the relay ({@link #admitConnection},
 * {@link ConnectionPermit#shape}). The limits in force are swapped whole by {@link #apply} on a
 * reload; the states stay. Each refusal counts one hit in {@code allowdns_limit_hits_total}.
 *
 * <p>Bounded: at most {@link #MAX_SANDBOXES} states (Caffeine's size eviction, the least used
 * first), each at most ~40 KiB (the name budget's table). The loopback sandbox (the host's
 * own clients) is never limited.
 *
 * <p>Thread-safe and allocation-free on the admit path: a cache lookup and a compare-and-set.
 */
public final class SandboxBudgets {
  /** Sandbox states kept at most; far beyond the sandboxes one host runs. */
  public static final long MAX_SANDBOXES = 100_000;
  static final long QUERY_BURST_NANOS = Duration.ofSeconds(2).toNanos();
  static final long CONNECTION_BURST_NANOS = Duration.ofSeconds(2).toNanos();
  static final long BANDWIDTH_BURST_NANOS = Duration.ofSeconds(1).toNanos();

  private final Cache<String, SandboxState> states;
  private final Ticker ticker;
  private final LimitMetrics metrics;
  /** Keys the name hashes, so names cannot be chosen to collide with names already counted. */
  private final long hashSeed = new SecureRandom().nextLong() | 1;
  private volatile LimitsConfig limits;

  private SandboxBudgets(LimitsConfig limits, MeterRegistry registry, Ticker ticker) {
    this.limits = limits;
    this.ticker = ticker;
    this.metrics = new LimitMetrics(registry);
    this.states =
        Caffeine.newBuilder()
            .maximumSize(MAX_SANDBOXES) // no expiry: a read then costs no timestamp bookkeeping
            .build();
  }

  /** Creates the budgets of {@code limits}, counting in {@code registry}, timed by {@code ticker}. */
  public static SandboxBudgets create(LimitsConfig limits, MeterRegistry registry, Ticker ticker) {
    return new SandboxBudgets(limits, registry, ticker);
  }

  /** Puts new limits in force (a reload); what each sandbox has used is kept. */
  public void apply(LimitsConfig next) {
    this.limits = next;
  }

  /** Returns the limits in force. */
  public LimitsConfig limits() {
    return limits;
  }

  /** Returns the limits the sandboxes of {@code policy} get. */
  public Limits limitsFor(String policy) {
    return limits.forPolicy(policy);
  }

  /**
   * Takes one query from {@code sandbox}'s {@code dns_qps} bucket.
   *
   * @return empty when admitted, else the {@code dns_qps} refusal
   */
  public Optional<Refusal> admitQuery(String sandbox, String policy) {
    long qps = limits.forPolicy(policy).dnsQps();
    if (qps == 0 || unlimited(sandbox)) {
      return Optional.empty();
    }
    if (state(sandbox).queries.tryTake(ticker.read(), qps, QUERY_BURST_NANOS)) {
      return Optional.empty();
    }
    metrics.hit(Limit.DNS_QPS, policy);
    return Optional.of(new Refusal(Limit.DNS_QPS, qps, sandbox, null));
  }

  /**
   * Counts {@code name} (normalised, as the policy decides it) against {@code sandbox}'s name
   * budget for its registrable domain; a name counted before this hour is always admitted.
   *
   * @return empty when admitted, else the {@code names_per_domain_per_hour} refusal naming the
   *     domain
   */
  public Optional<Refusal> admitName(String sandbox, String policy, String name) {
    long budget = limits.forPolicy(policy).namesPerDomainPerHour();
    if (budget == 0 || unlimited(sandbox)) {
      return Optional.empty();
    }
    String domain = state(sandbox).names.admit(name, hash(name), ticker.read(), budget);
    if (domain == null) {
      return Optional.empty();
    }
    metrics.hit(Limit.NAMES_PER_DOMAIN_PER_HOUR, policy);
    return Optional.of(new Refusal(Limit.NAMES_PER_DOMAIN_PER_HOUR, budget, sandbox, domain));
  }

  /**
   * Admits a new connection of {@code sandbox} by its {@code connections_per_second} and {@code
   * open_connections}. The permit must be closed when the connection closes.
   */
  public ConnectionAdmission admitConnection(String sandbox, String policy) {
    if (unlimited(sandbox)) {
      return new ConnectionAdmission(ConnectionPermit.UNLIMITED, null);
    }
    Limits in = limits.forPolicy(policy);
    SandboxState state = state(sandbox);
    long cps = in.connectionsPerSecond();
    if (cps != 0 && !state.connections.tryTake(ticker.read(), cps, CONNECTION_BURST_NANOS)) {
      metrics.hit(Limit.CONNECTIONS_PER_SECOND, policy);
      return new ConnectionAdmission(null, new Refusal(Limit.CONNECTIONS_PER_SECOND, cps, sandbox, null));
    }
    long most = in.openConnections();
    if (state.open.incrementAndGet() > most && most != 0) {
      state.open.decrementAndGet();
      metrics.hit(Limit.OPEN_CONNECTIONS, policy);
      return new ConnectionAdmission(null, new Refusal(Limit.OPEN_CONNECTIONS, most, sandbox, null));
    }
    return new ConnectionAdmission(new ConnectionPermit(this, state, sandbox, policy), null);
  }

  /**
   * Counts {@code bytes} just relayed for {@code sandbox} in {@code direction} and returns how long
   * to pause reading before the next read, in nanoseconds (0: read on); the pause is counted as
   * shaped time. A relay holding a {@link ConnectionPermit} calls its {@code shape} instead.
   */
  public long shape(String sandbox, String policy, Direction direction, long bytes) {
    return unlimited(sandbox) ? 0 : shape(state(sandbox), sandbox, policy, direction, bytes);
  }

  long shape(SandboxState state, String sandbox, String policy, Direction direction, long bytes) {
    Limits in = limits.forPolicy(policy);
    long rate = direction == Direction.UP ? in.bandwidthUp() : in.bandwidthDown();
    if (rate == 0 || bytes <= 0) {
      return 0;
    }
    long pause = state.bandwidth(direction).take(ticker.read(), rate, bytes, BANDWIDTH_BURST_NANOS);
    if (pause > 0) {
      metrics.shaped(direction, policy, pause);
    }
    return pause;
  }

  /** Returns what {@code sandbox} uses now; nothing used when it has sent nothing yet. */
  public SandboxUse use(String sandbox, String policy) {
    SandboxState state = states.getIfPresent(sandbox);
    if (state == null || unlimited(sandbox)) {
      return SandboxUse.NONE;
    }
    Limits in = limits.forPolicy(policy);
    long now = ticker.read();
    Map.Entry<String, Integer> busiest = state.names.busiest();
    return new SandboxUse(
        in.dnsQps() == 0 ? -1 : state.queries.available(now, in.dnsQps(), QUERY_BURST_NANOS),
        in.connectionsPerSecond() == 0 ? -1 : state.connections.available(now, in.connectionsPerSecond(), CONNECTION_BURST_NANOS),
        state.open.get(),
        state.names.size(),
        busiest == null ? null : busiest.getKey(),
        busiest == null ? 0 : busiest.getValue());
  }

  private static boolean unlimited(String sandbox) {
    // The host's own clients (health checks, the operator's dig): one id for every process.
    return Sandbox.LOOPBACK_ID.equals(sandbox);
  }

  private SandboxState state(String sandbox) {
    return states.get(sandbox, id -> new SandboxState());
  }

  /** A keyed 64-bit hash of the name's characters (names are lower case ASCII once normalised). */
  private long hash(String name) {
    long h = hashSeed;
    for (int i = 0; i < name.length(); i++) {
      h = (h ^ name.charAt(i)) * 0x9E3779B97F4A7C15L;
      h ^= h >>> 29;
    }
    h ^= h >>> 32;
    h *= 0xD6E8FEB86659FD93L;
    return h ^ (h >>> 32);
  }
}
