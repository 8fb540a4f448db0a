package dev.allowdns.relay;

import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.LimitSummary;
import dev.allowdns.audit.RecordLog;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.config.Limits;
import dev.allowdns.config.LimitsConfig;
import dev.allowdns.limit.ConnectionPermit;
import dev.allowdns.limit.Direction;
import dev.allowdns.limit.RefusalSummaries;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.descriptors.DescriptorBudget;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.parent.ParentRoutes;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every relayed connection consults, whichever way it came in: the sandboxes, the policies,
 * the ledger, the parent routes, the destinations' connector, the metrics and the connection
 * log. The transparent listener ({@link RelayServer}) and the explicit proxy ({@link #tunnel})
 * share one. Thread-safe.
 */
public final class RelayCore {
  private static final Logger log = LoggerFactory.getLogger(RelayCore.class);
  /** The reason of a connection cut at the end of the shutdown grace. */
  public static final String SHUTDOWN = "shutdown";
  /** The reason of a connection refused at accept: the relay's share of descriptors is in use. */
  public static final String TOO_MANY_OPEN = "too_many_open";
  private static final AttributeKey<Boolean> ADMITTED = AttributeKey.valueOf("allowdns-admitted");
  final RelayServer.Settings settings;
  final Supplier<Sandboxes> sandboxes;
  final Supplier<PolicySet> policies;
  final Ledger ledger;
  final Destinations destinations;
  final RelayMetrics metrics;
  final FrontendHandler.RecordSink records;
  final ParentRoutes parents;
  /** Finds the process behind a sandbox's socket, where the host can see it. */
  final SocketOwners owners;
  /** The sandboxes' connection and bandwidth limits. */
  final SandboxBudgets budgets;
  /** Connections refused by a limit, summarised into the connection log. */
  final RefusalSummaries<ConnectionRecord> limitRefusals;
  final DescriptorBudget descriptors;
  /** Set once the shutdown grace has run out: what closes from then on was cut. */
  private volatile boolean cutting;
  private final ChannelGroup open = new DefaultChannelGroup("relay-connections", GlobalEventExecutor.INSTANCE);
  /** Says why new connections must be refused (the connection log cannot keep records), or null. */
  private final Supplier<String> logRefusal;

  private RelayCore(
      RelayServer.Settings settings,
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      Ledger ledger,
      RelayMetrics metrics,
      FrontendHandler.RecordSink records,
      ParentRoutes parents,
      SocketOwners owners,
      SandboxBudgets budgets,
      Consumer<Object> summaryLog,
      Supplier<String> logRefusal,
      DescriptorBudget descriptors) {
    this.settings = settings;
    this.logRefusal = logRefusal;
    this.sandboxes = sandboxes;
    this.policies = policies;
    this.ledger = ledger;
    this.destinations = new Destinations(settings.connectTimeout());
    this.metrics = metrics;
    this.records = records;
    this.parents = parents;
    this.owners = owners;
    this.budgets = budgets;
    this.limitRefusals =
        RefusalSummaries.start(
            "relay", s -> summaryLog.accept(new LimitSummary(s.first(), s.count(), s.limit().key())));
    this.descriptors = descriptors;
  }

  /**
   * Returns the core the relay and the explicit proxy share; {@code budgets} admit connections
   * and shape their bytes, {@code descriptors} keep connections within the process's descriptors.
   */
  public static RelayCore create(
      RelayServer.Settings settings,
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      Ledger ledger,
      RecordLog connectionLog,
      MeterRegistry registry,
      ParentRoutes parents,
      SocketOwners owners,
      SandboxBudgets budgets,
      DescriptorBudget descriptors) {
    // A refusal for want of a log is not held: clients that retry must not grow the hold.
    FrontendHandler.RecordSink records =
        record -> {
          if (Verdict.LOG_UNAVAILABLE.equals(record.reason())) {
            connectionLog.writeUnlessUnavailable(record);
          } else {
            connectionLog.write(record);
          }
        };
    return new RelayCore(
        settings, sandboxes, policies, ledger, new RelayMetrics(registry), records, parents, owners,
        budgets, connectionLog::write, connectionLog::refusalCause, descriptors);
  }

  /**
   * As {@link #create(RelayServer.Settings, Supplier, Supplier, Ledger, RecordLog, MeterRegistry,
   * ParentRoutes, SocketOwners, SandboxBudgets, DescriptorBudget)}, without limits, with the records
   * handed to {@code records} and a log that is always available: for tests without a disk.
   */
  public static RelayCore create(
      RelayServer.Settings settings,
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      Ledger ledger,
      Consumer<ConnectionRecord> records,
      MeterRegistry registry,
      ParentRoutes parents,
      SocketOwners owners,
      DescriptorBudget descriptors) {
    SandboxBudgets unlimited =
        SandboxBudgets.create(
            new LimitsConfig(Limits.UNLIMITED, Map.of()), registry, Ticker.systemTicker());
    return new RelayCore(
        settings, sandboxes, policies, ledger, new RelayMetrics(registry), records::accept, parents, owners,
        unlimited, summary -> {}, () -> null, descriptors);
  }

  /**
   * Returns why new connections must be refused with {@code log_unavailable} (the connection log
   * cannot keep their records), or {@code null}. Both listeners ask at accept.
   */
  public String logRefusal() {
    return logRefusal.get();
  }

  /**
   * Relays an explicit proxy's {@code CONNECT} tunnel on {@code client}: connects (directly or
   * through the parent), tells {@code listener}, then checks the TLS SNI the client sends inside,
   * pumps, and records the connection with {@code path: "proxy"}. The client's pipeline must
   * carry raw bytes once {@link Tunnel.Listener#connected} returns.
   */
  public void tunnel(Channel client, Tunnel tunnel, Tunnel.Listener listener) {
    client.pipeline().addLast(new FrontendHandler(this, tunnel, listener));
  }

  /** Counts a connection the explicit proxy opened itself: {@link #drain} waits for its record. */
  public void opened() {
    metrics.opened();
  }

  /** Writes the record of a connection counted by {@link #opened}, once it has ended. */
  public void closed(ConnectionRecord record) {
    if (record.reason() == null && cutting) {
      record = record.withReason(SHUTDOWN);
    }
    metrics.closed(record.result(), record.reason(), record.path());
    if (!"blocked".equals(record.result())) { // a refused head never reached a destination
      metrics.bytes(RelayMetrics.TO_DESTINATION, record.allowlistRule()).increment(record.bytesSent());
      metrics.bytes(RelayMetrics.TO_SANDBOX, record.allowlistRule()).increment(record.bytesReceived());
    }
    records.record(record);
  }

  /** Returns the relay's settings (timeouts, audit mode), which the explicit proxy shares. */
  public RelayServer.Settings settings() {
    return settings;
  }

  /** Returns how allowed connections reach their destinations (direct or a parent proxy). */
  public ParentRoutes parents() {
    return parents;
  }

  /** Returns the sandboxes in force now. */
  public Sandboxes sandboxes() {
    return sandboxes.get();
  }

  /** Returns the policy set in force now. */
  public PolicySet policies() {
    return policies.get();
  }

  /**
   * Adds a client channel to those {@link #drain} closes, and counts it against the descriptor
   * budget: one that does not fit is marked, for its handler to refuse ({@link #admitted}).
   */
  public void track(Channel client) {
    open.add(client);
    boolean admitted = descriptors.tryAcquire();
    client.attr(ADMITTED).set(admitted);
    if (admitted) {
      client.closeFuture().addListener(closed -> descriptors.release());
    }
  }

  /**
   * Returns whether {@code client} fits in the descriptor budget; one that does not is refused
   * with {@link #TOO_MANY_OPEN} at once.
   */
  public boolean admitted(Channel client) {
    return !Boolean.FALSE.equals(client.attr(ADMITTED).get());
  }

  /** Returns whether the shutdown grace has run out, so a connection closing now was cut. */
  boolean cutting() {
    return cutting;
  }

  /**
   * Lets open connections finish for up to {@code grace}, closes the rest, and waits until each
   * has handed its record to the connection log. Call it once no listener accepts any more.
   */
  public void drain(Duration grace) {
    awaitNoOpenConnections(grace);
    int left = metrics.openConnections();
    if (left > 0) {
      log.info("closing {} relay connections still open after the {} grace period", left, grace);
    }
    cutting = true;
    open.close().awaitUninterruptibly();
    // A record is written when both sides have closed: wait for the last ones.
    awaitNoOpenConnections(Duration.ofSeconds(5));
    limitRefusals.close(); // the last seconds' summaries

  }

  private void awaitNoOpenConnections(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (metrics.openConnections() > 0 && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Returns a throttle of {@code reading}'s reads by {@code sandbox}'s bandwidth in {@code
   * direction}, paid through the permit of its connection's sandbox side {@code sandboxSide}
   * ({@link LimitGate#PERMIT}); or {@code null} when nothing limits it: no permit (the sandbox is
   * unknown, or loopback) or that bandwidth is {@code 0}.
   */
  public Throttle throttle(Channel reading, Channel sandboxSide, Sandbox sandbox, Direction direction) {
    ConnectionPermit permit = sandboxSide.attr(LimitGate.PERMIT).get();
    if (sandbox == null || permit == null || permit == ConnectionPermit.UNLIMITED) {
      return null;
    }
    // Also while the policy's bandwidth is 0 (unlimited: a map lookup per read), so that a reload
    // that sets one shapes the connections already open, the download an operator wants slowed.
    return new Throttle(reading, bytes -> permit.shape(direction, bytes));
  }

  FrontendHandler newFrontend() {
    return new FrontendHandler(this, null, null);
  }
}
