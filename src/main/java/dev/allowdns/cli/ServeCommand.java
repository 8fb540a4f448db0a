package dev.allowdns.cli;

import dev.allowdns.audit.RecordLog;
import dev.allowdns.config.Config;
import dev.allowdns.config.ConfigException;
import dev.allowdns.config.ConfigFile;
import dev.allowdns.dns.DnsServer;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.Zone;
import dev.allowdns.sandbox.Sandboxes;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.relay.RelayServer;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code allowdns serve}: runs the resolver until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Run the allowlisting DNS resolver.")
final class ServeCommand implements Callable<Integer> {
  /** (sandbox, address) pairs the ledger keeps at most. */
  private static final long LEDGER_ADDRESSES = 250_000;
  /** How long an expired ledger entry is kept to explain a late refusal. */
  private static final Duration LEDGER_KEEP_EXPIRED = Duration.ofHours(1);

  @Spec CommandSpec spec;
  @Mixin ConfigOptions configOptions;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "DNS address, UDP and TCP; repeatable (default: " + Config.DEFAULT_LISTEN + ").")
  List<String> listen;

  @Option(names = "--upstream", paramLabel = "HOST[:PORT]", description = "Upstream resolver; repeatable (default: the nameservers of /etc/resolv.conf).")
  List<String> upstreams;

  @Option(names = "--relay-listen", paramLabel = "HOST:PORT", description = "Transparent relay address (default: off).")
  String relayListen;

  @Option(names = "--admin-listen", paramLabel = "HOST:PORT", description = "Admin API and metrics (default: " + Config.DEFAULT_ADMIN_LISTEN + ").")
  String adminListen;

  @Option(names = "--log-dir", paramLabel = "DIR", description = "Where queries.jsonl is written (default: " + Config.DEFAULT_LOG_DIR + ").")
  String logDir;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Run-time state (default: " + Config.DEFAULT_STATE_DIR + ").")
  String stateDir;

  @Option(names = "--ledger-min-ttl", paramLabel = "DURATION", description = "Shortest life of a DNS ledger entry (default: " + Config.DEFAULT_LEDGER_MIN_TTL + ").")
  String ledgerMinTtl;

  @Option(names = "--upstream-timeout", paramLabel = "DURATION", description = "Wait for one upstream before trying the next (default: " + Config.DEFAULT_UPSTREAM_TIMEOUT + ").")
  String upstreamTimeout;

  @Option(names = "--serve-stale-max", paramLabel = "DURATION", description = "How long past its TTL an answer may be served while upstreams fail (default: " + Config.DEFAULT_SERVE_STALE_MAX + ").")
  String serveStaleMax;

  @Option(names = "--cache-size", paramLabel = "N", description = "Most answers cached (default: " + Config.DEFAULT_CACHE_SIZE + ").")
  Long cacheSize;

  @Option(names = "--tcp-idle-timeout", paramLabel = "DURATION", description = "Close idle DNS TCP connections after (default: " + Config.DEFAULT_TCP_IDLE_TIMEOUT + ").")
  String tcpIdleTimeout;

  @Option(names = "--log-max-file-size", paramLabel = "SIZE", description = "Rotate a record log at (default: " + Config.DEFAULT_LOG_MAX_FILE_SIZE + ").")
  String logMaxFileSize;

  @Option(names = "--log-total-size", paramLabel = "SIZE", description = "Cap on one record log with its rotated files (default: " + Config.DEFAULT_LOG_TOTAL_SIZE + ").")
  String logTotalSize;

  @Option(names = "--relay-connect-timeout", paramLabel = "DURATION", description = "Wait for a destination to accept (default: " + Config.DEFAULT_RELAY_CONNECT_TIMEOUT + ").")
  String relayConnectTimeout;

  @Option(names = "--relay-idle-timeout", paramLabel = "DURATION", description = "Close a relayed connection idle both ways for (default: " + Config.DEFAULT_RELAY_IDLE_TIMEOUT + ").")
  String relayIdleTimeout;

  @Option(names = "--relay-peek-timeout", paramLabel = "DURATION", description = "Wait for TLS SNI or HTTP Host before deciding without (default: " + Config.DEFAULT_RELAY_PEEK_TIMEOUT + ").")
  String relayPeekTimeout;

  @Option(names = "--shutdown-grace", paramLabel = "DURATION", description = "On SIGTERM, let open connections finish for (default: " + Config.DEFAULT_SHUTDOWN_GRACE + ").")
  String shutdownGrace;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    ConfigOptions.Loaded loaded;
    try {
      loaded = configOptions.load(flags(), Config.RESOLV_CONF);
    } catch (ConfigException e) {
      e.errors().forEach(err::println);
      err.flush();
      return ExitCodes.INPUT_ERROR;
    }
    Config config = loaded.config();
    AtomicReference<PolicySet> policies = new AtomicReference<>(loaded.policies());
    AtomicReference<Sandboxes> sandboxes =
        new AtomicReference<>(Sandboxes.of(config.sandboxes(), PolicySet.DEFAULT_POLICY));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RecordLog queryLog =
        RecordLog.open(config.logDir(), "queries", config.logMaxFileSize(), config.logTotalSize());
    RecordLog connectionLog = null;
    Ledger ledger = null;
    DnsServer dns = null;
    RelayServer relay = null;
    try {
      if (config.relayListen() != null) {
        connectionLog =
            RecordLog.open(config.logDir(), "connections", config.logMaxFileSize(), config.logTotalSize());
        ledger = new Ledger(LEDGER_ADDRESSES, config.ledgerMinTtl(), LEDGER_KEEP_EXPIRED, Ticker.systemTicker());
      }
      dns = DnsServer.start(config, policies.get(), sandboxes.get(), registry, queryLog, ledger);
      if (config.relayListen() != null) {
        relay =
            RelayServer.start(
                new RelayServer.Settings(
                    config.relayListen(),
                    config.relayConnectTimeout(),
                    config.relayIdleTimeout(),
                    config.relayPeekTimeout()),
                sandboxes::get,
                policies::get,
                ledger,
                connectionLog,
                registry);
      }
    } catch (IllegalStateException e) {
      stop(relay, dns, connectionLog, queryLog, Duration.ZERO);
      err.println(e.getMessage());
      err.flush();
      return ExitCodes.INPUT_ERROR;
    }
    Servers running = new Servers(dns, relay, queryLog, connectionLog);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop(running.relay(), running.dns(), running.connectionLog(), running.queryLog(), config.shutdownGrace());
                  stopped.countDown();
                },
                "allowdns-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    out.println(readyLine(config, policies.get(), running));
    out.flush();
    stopped.await();
    return ExitCodes.OK;
  }

  /** What one serve process runs; {@code relay} and {@code connectionLog} are null without a relay. */
  private record Servers(DnsServer dns, RelayServer relay, RecordLog queryLog, RecordLog connectionLog) {}

  /**
   * Stops in the order that loses nothing: the relay lets connections finish and records them,
   * the resolver stops answering, then the logs write what they hold.
   */
  private static void stop(
      RelayServer relay, DnsServer dns, RecordLog connectionLog, RecordLog queryLog, Duration grace) {
    if (relay != null) {
      relay.close(grace);
    }
    if (dns != null) {
      dns.close();
    }
    if (connectionLog != null) {
      connectionLog.close();
    }
    queryLog.close();
  }

  private static String readyLine(Config config, PolicySet policies, Servers running) {
    DnsServer dns = running.dns();
    String version = new VersionProvider().version();
    String policyText =
        policies.policies().values().stream().map(ServeCommand::describe).collect(Collectors.joining("; "));
    return version
        + " ready: dns "
        + String.join(", ", dns.listeners())
        + " ["
        + dns.transport()
        + "]; policies "
        + policyText
        + "; generation "
        + policies.generation()
        + "; upstreams "
        + config.upstreams().stream().map(Object::toString).collect(Collectors.joining(", "))
        + (running.relay() == null ? "; relay off" : "; relay " + running.relay().listener())
        + "; logs "
        + running.queryLog().file()
        + (running.connectionLog() == null ? "" : ", " + running.connectionLog().file());
  }

  private static String describe(Policy policy) {
    int rules = policy.zones().stream().mapToInt(ServeCommand::ruleCount).sum();
    String zones =
        policy.zones().stream()
            .map(z -> z.name() + " " + ruleCount(z))
            .collect(Collectors.joining(", "));
    return policy.name() + " (" + policy.zones().size() + " zones, " + rules + " rules: " + zones + ")";
  }

  private ConfigFile flags() {
    Map<String, Object> flags = new HashMap<>();
    flags.put("listen", listen);
    flags.put("upstreams", upstreams);
    flags.put("relay_listen", relayListen);
    flags.put("admin_listen", adminListen);
    flags.put("log_dir", logDir);
    flags.put("state_dir", stateDir);
    flags.put("ledger_min_ttl", ledgerMinTtl);
    flags.put("upstream_timeout", upstreamTimeout);
    flags.put("serve_stale_max", serveStaleMax);
    flags.put("cache_size", cacheSize);
    flags.put("tcp_idle_timeout", tcpIdleTimeout);
    flags.put("log_max_file_size", logMaxFileSize);
    flags.put("log_total_size", logTotalSize);
    flags.put("relay_connect_timeout", relayConnectTimeout);
    flags.put("relay_idle_timeout", relayIdleTimeout);
    flags.put("relay_peek_timeout", relayPeekTimeout);
    flags.put("shutdown_grace", shutdownGrace);
    return ConfigFile.of(flags);
  }

  private static int ruleCount(Zone zone) {
    return zone.rules().size() + zone.ipRanges().size();
  }
}
