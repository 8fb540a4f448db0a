package dev.allowdns.cli;

import dev.allowdns.app.Allowdns;
import dev.allowdns.config.Config;
import dev.allowdns.config.ConfigException;
import dev.allowdns.config.ConfigFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import sun.misc.Signal;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

  @Option(names = "--udp-sink-listen", paramLabel = "HOST:PORT", description = "UDP sink: records the sandboxes' UDP other than DNS (sent here by iptables TPROXY) and drops it; [::]:PORT for IPv4 and IPv6 (default: off).")
  String udpSinkListen;

  @Option(names = "--process-identity", paramLabel = "refused|all|off", description = "Which records of namespace sandboxes name the process of the sandbox-side socket (default: refused: refused connections and UDP flows).")
  String processIdentity;

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

  @Option(names = "--log-max-age", paramLabel = "DURATION", description = "Delete rotated record files last written longer ago than this, e.g. 30d (default: " + Config.DEFAULT_LOG_MAX_AGE + "; never unlimited).")
  String logMaxAge;

  @Option(names = "--log-hold-size", paramLabel = "SIZE", description = "Records each log holds in memory while its disk takes none (default: " + Config.DEFAULT_LOG_HOLD_SIZE + ").")
  String logHoldSize;

  @Option(names = "--on-log-failure", paramLabel = "closed|open", description = "Once that hold is full: closed refuses new queries (SERVFAIL) and connections (log_unavailable); open answers and counts each lost record (default: closed).")
  String onLogFailure;

  @Option(names = "--relay-connect-timeout", paramLabel = "DURATION", description = "Wait for a destination to accept (default: " + Config.DEFAULT_RELAY_CONNECT_TIMEOUT + ").")
  String relayConnectTimeout;

  @Option(names = "--relay-idle-timeout", paramLabel = "DURATION", description = "Close a relayed connection idle both ways for (default: " + Config.DEFAULT_RELAY_IDLE_TIMEOUT + ").")
  String relayIdleTimeout;

  @Option(names = "--relay-peek-timeout", paramLabel = "DURATION", description = "Wait for TLS SNI or HTTP Host before deciding without (default: " + Config.DEFAULT_RELAY_PEEK_TIMEOUT + ").")
  String relayPeekTimeout;

  @Option(names = "--shutdown-grace", paramLabel = "DURATION", description = "On SIGTERM, let open connections finish for (default: " + Config.DEFAULT_SHUTDOWN_GRACE + ").")
  String shutdownGrace;

  @Option(names = "--mode", paramLabel = "enforce|audit", description = "audit: block nothing, record what would be blocked as would_block (default: enforce).")
  String mode;

  @Option(names = "--watch-zones", arity = "0..1", description = "Reload when the zones directory changes (default: off).")
  Boolean watchZones;

  @Option(names = "--proxy-listen", paramLabel = "HOST:PORT", description = "The explicit HTTP/CONNECT proxy for sandboxes that set HTTP(S)_PROXY (default: off).")
  String proxyListen;

  @Option(names = "--upstream-proxy", paramLabel = "http://HOST:PORT", description = "Parent (corporate) proxy for every allowed connection, unless a zone's @proxy or --no-proxy says otherwise (default: direct).")
  String upstreamProxy;

  @Option(names = "--upstream-proxy-auth-file", paramLabel = "FILE", description = "Root-only file of parent proxy credentials: user:password, or HOST:PORT user:password per line.")
  String upstreamProxyAuthFile;

  @Option(names = "--no-proxy", paramLabel = "CIDR|NAME", description = "Destinations that go direct although --upstream-proxy is set (Go's NO_PROXY rules); repeatable.")
  List<String> noProxy;

  @Option(names = "--admin-token-file", paramLabel = "FILE", description = "Bearer token the admin API requires; needed for a non-loopback --admin-listen.")
  Path adminTokenFile;

  @Option(names = "--policy-primary", paramLabel = "HOST:PORT", description = "Be a secondary: transfer the policy zone from this primary (no zones directory).")
  String policyPrimary;

  @Option(names = "--policy-zone", paramLabel = "NAME", description = "The policy zone to transfer, e.g. policy.corp.example.")
  String policyZone;

  @Option(names = "--policy-tsig-key-file", paramLabel = "FILE", description = "TSIG key for transfers and NOTIFY (BIND key clause or keymgr -t output).")
  String policyTsigKeyFile;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    ConfigOptions.Loaded loaded;
    try {
      loaded = configOptions.load(flags(), Config.RESOLV_CONF, true);
    } catch (ConfigException e) {
      e.errors().forEach(err::println);
      err.flush();
      return ExitCodes.INPUT_ERROR;
    }
    Config config = loaded.config();
    Allowdns allowdns;
    try {
      ConfigFile flags = flags();
      // A reload re-reads the file: its policies: and limits: change with the zones.
      allowdns =
          Allowdns.start(
              config, loaded.fleet(), loaded.policies(), adminTokenFile, () -> configOptions.config(flags, Config.RESOLV_CONF));
    } catch (IllegalStateException e) {
      err.println(e.getMessage());
      err.flush();
      return ExitCodes.INPUT_ERROR;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  allowdns.stop(config.shutdownGrace());
                  stopped.countDown();
                },
                "allowdns-shutdown"));
    // SIGHUP reloads the zones, as for most daemons; a failed reload keeps the old policy.
    Signal.handle(new Signal("HUP"), signal -> allowdns.reload(false));
    PrintWriter out = spec.commandLine().getOut();
    out.println(allowdns.readyLine(new VersionProvider().version()));
    out.flush();
    stopped.await();
    return ExitCodes.OK;
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
    flags.put("log_max_age", logMaxAge);
    flags.put("log_hold_size", logHoldSize);
    flags.put("on_log_failure", onLogFailure);
    flags.put("relay_connect_timeout", relayConnectTimeout);
    flags.put("relay_idle_timeout", relayIdleTimeout);
    flags.put("relay_peek_timeout", relayPeekTimeout);
    flags.put("shutdown_grace", shutdownGrace);
    flags.put("mode", mode);
    flags.put("watch_zones", watchZones);
    flags.put("proxy_listen", proxyListen);
    flags.put("upstream_proxy", upstreamProxy);
    flags.put("upstream_proxy_auth_file", upstreamProxyAuthFile);
    flags.put("no_proxy", noProxy);
    if (policyPrimary != null || policyZone != null || policyTsigKeyFile != null) {
      Map<String, String> source = new HashMap<>();
      source.put("primary", policyPrimary);
      source.put("zone", policyZone);
      source.put("tsig_key_file", policyTsigKeyFile);
      flags.put("policy_source", source);
    }
    flags.put("udp_sink_listen", udpSinkListen);
    flags.put("process_identity", processIdentity);
    return ConfigFile.of(flags);
  }
}
