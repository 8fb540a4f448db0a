package dev.allowdns.app;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.admin.AdminServer;
import dev.allowdns.admin.EventHub;
import dev.allowdns.admin.ReloadReport;
import dev.allowdns.audit.HoldPolicy;
import dev.allowdns.audit.RecordLog;
import dev.allowdns.config.Config;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.config.Mode;
import dev.allowdns.descriptors.DescriptorBudget;
import dev.allowdns.dns.DnsServer;
import dev.allowdns.fleet.Fleet;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.Zone;
import dev.allowdns.parent.ParentRoutes;
import dev.allowdns.proxy.ProxyServer;
import dev.allowdns.relay.RelayCore;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.relay.RelayServer;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.SandboxRegistry;
import dev.allowdns.sandbox.Sandboxes;
import dev.allowdns.udp.UdpSink;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running allowdns: the resolver, the relay (when configured), the record logs and the admin
 * API around one policy set and one sandbox registry. Reloads swap the policy set atomically.
 */
public final class Allowdns implements AdminServer.Api, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Allowdns.class);
  /** (sandbox, address) pairs the ledger keeps at most. */
  private static final long LEDGER_ADDRESSES = 250_000;
  /**
   * How long finding the process of a refused connection may delay its reset. A lookup costs a
   * few milliseconds on an idle host (bench/identity); the budget leaves room for a busy one.
   */
  private static final Duration PROCESS_LOOKUP_BUDGET = Duration.ofMillis(200);
  /** How long an expired ledger entry is kept to explain a late refusal. */
  private static final Duration LEDGER_KEEP_EXPIRED = Duration.ofHours(1);

  private final Config config;
  private final Fleet fleet;
  private final AtomicReference<PolicySet> policies;
  private final SandboxRegistry sandboxes;
  private final PrometheusMeterRegistry registry;
  private final EventHub events = new EventHub();
  private final SandboxBudgets budgets;
  private final PolicyReloader reloader;
  private RecordLog queryLog;
  private RecordLog connectionLog;
  private Ledger ledger;
  private DnsServer dns;
  private RelayCore relayCore;
  /** What the descriptor limit allows; raised to the hard limit at start. */
  private DescriptorBudget descriptors;
  private RelayServer relay;
  private ProxyServer proxy;
  private UdpSink udpSink;
  private SocketOwners owners = SocketOwners.OFF;
  private AdminServer admin;
  private ZoneWatcher zoneWatcher;

  private Allowdns(Config config, Fleet fleet, PolicySet policies, SandboxRegistry sandboxes, ConfigReader reader) {
    this.config = config;
    this.fleet = fleet;
    this.policies = new AtomicReference<>(policies);
    this.sandboxes = sandboxes;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    this.budgets = SandboxBudgets.create(fleet.limits(config.limits()), registry, Ticker.systemTicker());
    Gauge.builder("allowdns_policy_generation", this, a -> a.policies.get().generation())
        .description("Generation of the policy set in force")
        .register(registry);
    if (fleet.secondary()) {
      Gauge.builder("allowdns_policy_serial", this, a -> a.policySerial() == null ? Double.NaN : a.policySerial())
          .description("SOA serial of the transferred policy in force")
          .register(registry);
    }
    this.reloader =
        new PolicyReloader(fleet, this.policies, sandboxes, reader, budgets, registry, this::swapped);
  }

  /** Applies a policy set the reloader swapped in: the resolver's, then the ledger's names. */
  private void swapped(PolicySet after) {
    dns.reload(after);
    if (ledger != null) {
      // Names the new policy no longer allows stop connecting at once, not at TTL expiry.
      Sandboxes current = sandboxes.current();
      ledger.retainIf((sandbox, name) -> PolicyReloader.allows(after, current, sandbox, name));
    }
  }

  /**
   * Starts every part {@code config} asks for.
   *
   * @param tokenFile the admin API's bearer token file, or {@code null}
   * @throws IllegalStateException naming what could not start (an address in use, a bad state
   *     file); whatever had started is stopped again
   */
  public static Allowdns start(Config config, PolicySet policies, Path tokenFile)
      throws InterruptedException {
    try {
      return start(config, Fleet.open(config), policies, tokenFile);
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * Starts like {@link #start(Config, PolicySet, Path)}, with {@code fleet} as the source every
   * reload reads; it transfers and refreshes its zones while the server runs.
   *
   * @param policies what {@code fleet} held at start, generation 1
   */
  public static Allowdns start(Config config, Fleet fleet, PolicySet policies, Path tokenFile)
      throws InterruptedException {
    return start(config, fleet, policies, tokenFile, ConfigReader.fixed(config));
  }

  /**
   * Starts like {@link #start(Config, Fleet, PolicySet, Path)}; each reload re-reads the config
   * with {@code reader} and applies its {@code policies:} and {@code limits:} with the zones.
   */
  public static Allowdns start(Config config, Fleet fleet, PolicySet policies, Path tokenFile, ConfigReader reader)
      throws InterruptedException {
    SandboxRegistry sandboxes;
    try {
      sandboxes = SandboxRegistry.open(config.stateDir(), config.sandboxes(), PolicySet.DEFAULT_POLICY);
    } catch (IOException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    Allowdns allowdns = new Allowdns(config, fleet, policies, sandboxes, reader);
    try {
      allowdns.startParts(tokenFile);
    } catch (RuntimeException | InterruptedException e) {
      allowdns.stop(Duration.ZERO);
      throw e;
    }
    return allowdns;
  }

  private void startParts(Path tokenFile) throws InterruptedException {
    descriptors = DescriptorBudget.atStart(DnsServer.MAX_TCP_CONNECTIONS, registry);
    queryLog = openLog("queries");
    boolean relaying = config.relayListen() != null || config.proxying().listen() != null;
    boolean connections = relaying || config.udpSinkListen() != null;
    owners =
        SocketOwners.start(
            !connections || config.processIdentity() == Config.ProcessIdentity.OFF,
            config.processIdentity() == Config.ProcessIdentity.ALL,
            PROCESS_LOOKUP_BUDGET);
    if (connections) {
      connectionLog = openLog("connections");
      ledger = new Ledger(LEDGER_ADDRESSES, config.ledgerMinTtl(), LEDGER_KEEP_EXPIRED, Ticker.systemTicker());
      Gauge.builder("allowdns_ledger_addresses", ledger, Ledger::size)
          .description("(sandbox, address) pairs in the DNS ledger")
          .register(registry);
    }
    dns =
        DnsServer.start(
            config, policies.get(), sandboxes::current, registry, queryLog, ledger, fleet.secondary() || !config.rpz().isEmpty() ? fleet : null, budgets);
    if (relaying) {
      ParentRoutes parents;
      try {
        parents = ParentRoutes.of(config.proxying());
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("upstream_proxy_auth_file: " + e.getMessage(), e);
      }
      relayCore =
          RelayCore.create(
              new RelayServer.Settings(
                  config.relayListen(),
                  config.relayConnectTimeout(),
                  config.relayIdleTimeout(),
                  config.relayPeekTimeout(),
                  config.mode() == Mode.AUDIT),
              sandboxes::current,
              policies::get,
              ledger,
              connectionLog,
              registry,
              parents,
              owners,
              budgets,
              descriptors);
    }
    if (config.relayListen() != null) {
      relay = RelayServer.start(relayCore);
    }
    if (config.proxying().listen() != null) {
      proxy = ProxyServer.start(config.proxying().listen(), relayCore, dns.lookup());
    }
    if (config.udpSinkListen() != null) {
      udpSink =
          UdpSink.start(
              config.udpSinkListen(),
              (int) config.udpSinkMaxFlows(),
              new UdpSink.Parts(
                  sandboxes::current, policies::get, ledger, owners, connectionLog::write, registry));
    }
    // After the sockets: the JVM's management beans take long to load, and answers come first.
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    admin = AdminServer.start(config.adminListen(), tokenFile, this, registry, events);
    fleet.start(source -> reloader.reload(source, false).errors(), registry);
    if (config.watchZones()) {
      try {
        zoneWatcher = ZoneWatcher.start(config.zones(), () -> reload(false));
      } catch (IOException e) {
        throw new IllegalStateException("cannot watch " + config.zones() + ": " + e.getMessage(), e);
      }
    }
  }

  private RecordLog openLog(String name) {
    RecordLog recordLog =
        RecordLog.open(
            config.logDir(), name, config.logMaxFileSize(), config.logTotalSize(), config.logMaxAge(),
            new HoldPolicy(config.logHoldBytes(), config.onLogFailure() == Config.OnLogFailure.OPEN));
    recordLog.tap(events);
    Gauge.builder("allowdns_record_log_backlog", recordLog, RecordLog::backlog)
        .description("Records waiting to be written (with the threads and held for a failing disk); a stalled disk shows here first")
        .tag("log", name)
        .register(registry);
    Gauge.builder("allowdns_record_log_written", recordLog, RecordLog::written)
        .description("Records the file has taken since start")
        .tag("log", name)
        .register(registry);
    Gauge.builder("allowdns_record_log_held_bytes", recordLog, RecordLog::heldBytes)
        .description("Bytes of records held in memory for a disk that takes none (up to --log-hold-size)")
        .tag("log", name)
        .register(registry);
    Gauge.builder("allowdns_record_log_unavailable", recordLog, log -> log.unavailableCause() == null ? 0 : 1)
        .description("1 while the hold is full: new work is refused (or, --on-log-failure open, records are lost); /healthz says degraded")
        .tag("log", name)
        .register(registry);
    FunctionCounter.builder("allowdns_record_log_dropped", recordLog, RecordLog::dropped)
        .description("Records lost: not kept while the log was unavailable, or not written by shutdown")
        .tag("log", name)
        .register(registry);
    return recordLog;
  }

  @Override
  public ReloadReport reload(boolean dryRun) {
    return reloader.reload(fleet, dryRun);
  }

  @Override
  public List<AdminServer.SandboxView> sandboxes() {
    List<AdminServer.SandboxView> views = new ArrayList<>();
    for (Sandboxes.Entry e : sandboxes.fromConfig()) {
      Sandbox s = e.sandbox();
      views.add(
          new AdminServer.SandboxView(
              e.cidr().toString(), s.id(), s.taskId(), s.user(), s.policy(), "config",
              budgets.limitsFor(s.policy()).asText(), budgets.use(s.id(), s.policy())));
    }
    for (SandboxRegistry.Registration r : sandboxes.registered()) {
      String policy = r.policy() == null ? PolicySet.DEFAULT_POLICY : r.policy();
      views.add(
          new AdminServer.SandboxView(
              r.cidr(), r.id(), r.taskId(), r.user(), policy, "registered",
              budgets.limitsFor(policy).asText(), budgets.use(r.id(), policy)));
    }
    return views;
  }

  @Override
  public void addSandbox(SandboxRegistry.Registration registration) throws IOException {
    String policy = registration.policy() == null ? PolicySet.DEFAULT_POLICY : registration.policy();
    if (policies.get().policy(policy).isEmpty()) {
      throw new IllegalArgumentException(
          "unknown policy '" + policy + "' (known: " + policies.get().policies().keySet() + ")");
    }
    sandboxes.add(registration);
  }

  @Override
  public int removeSandbox(String id) throws IOException {
    return sandboxes.remove(id);
  }

  @Override
  public long generation() {
    return policies.get().generation();
  }

  @Override
  public Long policySerial() {
    return policies.get().serial();
  }

  @Override
  public List<String> degraded() {
    List<String> why = new ArrayList<>();
    for (RecordLog log : new RecordLog[] {queryLog, connectionLog}) {
      String cause = log == null ? null : log.unavailableCause();
      if (cause != null) {
        why.add(cause + (config.onLogFailure() == Config.OnLogFailure.OPEN ? ": records are being lost" : ": refusing new work"));
      }
    }
    return why;
  }

  /** Returns the one line that says what this process serves, printed once it is ready. */
  public String readyLine(String version) {
    PolicySet policySet = policies.get();
    String policyText =
        policySet.policies().values().stream().map(Allowdns::describe).collect(Collectors.joining("; "));
    return version
        + " ready: dns "
        + String.join(", ", dns.listeners())
        + " ["
        + dns.transport()
        + "]; policies "
        + policyText
        + "; generation "
        + policySet.generation()
        + (policySet.serial() == null
            ? ""
            : "; policy serial " + policySet.serial() + " of " + config.policySource().zone() + " from " + config.policySource().primary())
        + policySet.denyLists().stream()
            .map(d -> "; rpz " + d.zone() + " serial " + d.serial() + " (" + d.size() + " triggers)")
            .collect(Collectors.joining())
        + (config.mode() == Mode.AUDIT ? "; mode audit (nothing is blocked)" : "")
        + (config.watchZones() ? "; watching " + config.zones() : "")
        + "; upstreams "
        + config.upstreams().stream().map(Object::toString).collect(Collectors.joining(", "))
        + (relay == null ? "; relay off" : "; relay " + relay.listener())
        + (proxy == null ? "" : "; proxy " + proxy.listener())
        + (config.proxying().upstreamProxy() == null ? "" : "; upstream proxy " + config.proxying().upstreamProxy())
        + (udpSink == null ? "" : "; udp sink " + udpSink.listener())
        + "; " + descriptors.capacity().describe()
        + "; admin "
        + admin.address()
        + "; logs "
        + queryLog.file()
        + (connectionLog == null ? "" : ", " + connectionLog.file());
  }

  private static String describe(Policy policy) {
    int rules = policy.zones().stream().mapToInt(Zone::ruleCount).sum();
    String zones =
        policy.zones().stream()
            .map(z -> z.name() + " " + z.ruleCount())
            .collect(Collectors.joining(", "));
    return policy.name() + " (" + policy.zones().size() + " zones, " + rules + " rules: " + zones + ")";
  }

  /**
   * Stops in the order that loses nothing: the admin API, then the relay lets connections finish
   * for {@code grace} and records them, the resolver stops answering, and the logs write out.
   */
  public void stop(Duration grace) {
    fleet.close();
    if (zoneWatcher != null) {
      zoneWatcher.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (proxy != null) {
      proxy.stopAccepting();
    }
    if (relay != null) {
      relay.close(grace); // drains the proxy's connections too: one core
    } else if (relayCore != null) {
      relayCore.drain(grace);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (udpSink != null) {
      udpSink.close(); // writes the records of the flows still open
    }
    owners.close();
    if (dns != null) {
      dns.close();
    }
    if (connectionLog != null) {
      connectionLog.close();
    }
    if (queryLog != null) {
      queryLog.close();
    }
  }

  @Override
  public void close() {
    stop(config.shutdownGrace());
  }
}
