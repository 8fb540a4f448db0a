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
import java.io.PrintWriter;
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
    PolicySet policies = loaded.policies();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    RecordLog queryLog =
        RecordLog.open(config.logDir(), "queries", config.logMaxFileSize(), config.logTotalSize());
    DnsServer dns;
    try {
      dns =
          DnsServer.start(
              config,
              policies,
              Sandboxes.of(config.sandboxes(), PolicySet.DEFAULT_POLICY),
              registry,
              queryLog);
    } catch (IllegalStateException e) {
      queryLog.close();
      err.println(e.getMessage());
      err.flush();
      return ExitCodes.INPUT_ERROR;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  dns.close();
                  queryLog.close();
                  stopped.countDown();
                },
                "allowdns-shutdown"));
    PrintWriter out = spec.commandLine().getOut();
    out.println(readyLine(config, policies, dns, queryLog));
    out.flush();
    stopped.await();
    return ExitCodes.OK;
  }

  private static String readyLine(Config config, PolicySet policies, DnsServer dns, RecordLog queryLog) {
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
        + "; query log "
        + queryLog.file();
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
    return new ConfigFile(
        listen,
        upstreams,
        null,
        relayListen,
        adminListen,
        logDir,
        stateDir,
        ledgerMinTtl,
        upstreamTimeout,
        serveStaleMax,
        cacheSize,
        tcpIdleTimeout,
        logMaxFileSize,
        logTotalSize,
        null,
        null);
  }

  private static int ruleCount(Zone zone) {
    return zone.rules().size() + zone.ipRanges().size();
  }
}
