package dev.allowdns.config;

import ch.qos.logback.core.util.FileSize;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The validated configuration of a server, every default applied. Immutable.
 *
 * @param relayListen {@code null} when the relay is off
 * @param proxying the explicit proxy and the parent proxy
 * @param policies zone names per policy; empty means one policy {@code default} of every zone
 * @param policySource the primary this server's policy is transferred from, {@code null} when it
 *     reads a zones directory
 * @param rpz the RPZ feeds applied on top of the policy
 * @param udpSinkListen where the UDP sink reads what TPROXY hands it; {@code null} when it is off
 * @param udpSinkMaxFlows how many UDP flows the sink tracks at once
 * @param processIdentity which connections get the {@code process} of their sandbox-side socket
 * @param limits every sandbox's budget, by policy
 * @param logHoldBytes bytes of records each record log holds in memory while its disk fails
 * @param onLogFailure what happens once that hold is full
 */
public record Config(
    List<HostPort> listen,
    List<HostPort> upstreams,
    Path zones,
    HostPort relayListen,
    HostPort adminListen,
    Path logDir,
    Path stateDir,
    Duration ledgerMinTtl,
    Duration upstreamTimeout,
    Duration serveStaleMax,
    long cacheSize,
    Duration tcpIdleTimeout,
    String logMaxFileSize,
    String logTotalSize,
    Duration logMaxAge,
    Duration relayConnectTimeout,
    Duration relayIdleTimeout,
    Duration relayPeekTimeout,
    Duration shutdownGrace,
    Mode mode,
    boolean watchZones,
    Proxying proxying,
    Map<String, List<String>> policies,
    List<Sandboxes.Entry> sandboxes,
    FeedSource policySource,
    List<FeedSource> rpz,

    HostPort udpSinkListen,
    long udpSinkMaxFlows,
    ProcessIdentity processIdentity,
    LimitsConfig limits,
    long logHoldBytes,
    OnLogFailure onLogFailure) {

  /** What allowdns does once a record log's hold is full (its disk takes no records). */
  public enum OnLogFailure {
    /** Refuse new queries and connections: nothing happens unrecorded (the default). */
    CLOSED,
    /** Answer anyway; each record that does not fit is dropped and counted. */
    OPEN;

    static OnLogFailure parse(String text) {
      return switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "closed" -> CLOSED;
        case "open" -> OPEN;
        default -> throw new IllegalArgumentException("expected closed or open, got '" + text + "'");
      };
    }
  }

  /** Which records get the process that owns the sandbox-side socket. */
  public enum ProcessIdentity {
    /** Refused connections and UDP flows (the default). */
    REFUSED,
    /** Every connection and UDP flow. */
    ALL,
    /** None. */
    OFF;

    static ProcessIdentity parse(String text) {
      for (ProcessIdentity value : values()) {
        if (value.name().equalsIgnoreCase(text)) {
          return value;
        }
      }
      throw new IllegalArgumentException("expected refused, all or off, got '" + text + "'");
    }
  }

  public static final String DEFAULT_LISTEN = "127.0.0.1:1053";
  public static final String DEFAULT_ADMIN_LISTEN = "127.0.0.1:9153";
  public static final String DEFAULT_ZONES = "./zones";
  public static final String DEFAULT_LOG_DIR = "./logs";
  public static final String DEFAULT_STATE_DIR = "./state";
  public static final String DEFAULT_LEDGER_MIN_TTL = "1h";
  public static final String DEFAULT_UPSTREAM_TIMEOUT = "2s";
  // RFC 8767 §5 suggests a stale cap of 1 to 3 days.
  public static final String DEFAULT_SERVE_STALE_MAX = "1d";
  public static final long DEFAULT_CACHE_SIZE = 100_000;
  // RFC 7766 §6.2.3: idle timeouts of a few seconds.
  public static final String DEFAULT_TCP_IDLE_TIMEOUT = "10s";
  public static final String DEFAULT_LOG_MAX_FILE_SIZE = "100MB";
  public static final String DEFAULT_LOG_TOTAL_SIZE = "2GB";
  /** A quarter of a year: long enough for a quarterly audit, short enough to bound old records. */
  public static final String DEFAULT_LOG_MAX_AGE = "90d";
  /** Some 100,000 records: minutes of a busy resolver, ample for a disk that fills for a moment. */
  public static final String DEFAULT_LOG_HOLD_SIZE = "32MB";
  public static final String DEFAULT_RELAY_CONNECT_TIMEOUT = "5s";
  public static final String DEFAULT_RELAY_IDLE_TIMEOUT = "10m";
  public static final String DEFAULT_RELAY_PEEK_TIMEOUT = "2s";
  public static final String DEFAULT_SHUTDOWN_GRACE = "10s";
  public static final long DEFAULT_UDP_SINK_MAX_FLOWS = 10_000;
  public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

  public Config {
    listen = List.copyOf(listen);
    upstreams = List.copyOf(upstreams);
    policies = Map.copyOf(policies);
    sandboxes = List.copyOf(sandboxes);
    rpz = List.copyOf(rpz);
  }

  /**
   * Resolves what the file and flags say into a configuration, applying defaults.
   *
   * @param said the YAML file already overridden by the flags
   * @param resolvConf where default upstreams come from when none is said; {@code null} for a
   *     command that needs no upstreams (then none is an empty list, not an error)
   * @throws ConfigException listing every bad value, each naming its key
   */
  public static Config resolve(ConfigFile said, Path resolvConf) throws ConfigException {
    List<String> errors = new ArrayList<>();
    Values v = new Values(errors);
    List<HostPort> listen =
        v.list("listen", said.listen(), List.of(DEFAULT_LISTEN), s -> HostPort.parse(s, -1));
    List<HostPort> upstreams =
        said.upstreams() == null || said.upstreams().isEmpty()
            ? resolvConf == null ? List.of() : v.upstreamsFrom(resolvConf)
            : v.list("upstreams", said.upstreams(), List.of(), s -> HostPort.parse(s, 53));
    HostPort relay =
        said.relayListen() == null ? null : v.one("relay_listen", said.relayListen(), s -> HostPort.parse(s, -1));
    HostPort admin =
        v.one("admin_listen", orElse(said.adminListen(), DEFAULT_ADMIN_LISTEN), s -> HostPort.parse(s, -1));
    Duration ledgerMinTtl =
        v.duration("ledger_min_ttl", said.ledgerMinTtl(), DEFAULT_LEDGER_MIN_TTL);
    Duration upstreamTimeout =
        v.duration("upstream_timeout", said.upstreamTimeout(), DEFAULT_UPSTREAM_TIMEOUT);
    Duration serveStaleMax =
        v.duration("serve_stale_max", said.serveStaleMax(), DEFAULT_SERVE_STALE_MAX);
    Duration tcpIdle =
        v.duration("tcp_idle_timeout", said.tcpIdleTimeout(), DEFAULT_TCP_IDLE_TIMEOUT);
    Duration relayConnect =
        v.duration("relay_connect_timeout", said.relayConnectTimeout(), DEFAULT_RELAY_CONNECT_TIMEOUT);
    Duration relayIdle =
        v.duration("relay_idle_timeout", said.relayIdleTimeout(), DEFAULT_RELAY_IDLE_TIMEOUT);
    Duration relayPeek =
        v.duration("relay_peek_timeout", said.relayPeekTimeout(), DEFAULT_RELAY_PEEK_TIMEOUT);
    Duration shutdownGrace =
        v.duration("shutdown_grace", said.shutdownGrace(), DEFAULT_SHUTDOWN_GRACE);
    Duration logMaxAge = v.duration("log_max_age", said.logMaxAge(), DEFAULT_LOG_MAX_AGE);
    Mode mode = said.mode() == null ? Mode.ENFORCE : v.one("mode", said.mode(), Mode::parse);
    HostPort udpSink =
        said.udpSinkListen() == null ? null : v.one("udp_sink_listen", said.udpSinkListen(), s -> HostPort.parse(s, -1));
    long udpSinkMaxFlows = said.udpSinkMaxFlows() == null ? DEFAULT_UDP_SINK_MAX_FLOWS : said.udpSinkMaxFlows();
    if (udpSinkMaxFlows < 1 || udpSinkMaxFlows > 1_000_000) {
      errors.add("udp_sink_max_flows: must be 1..1000000, got " + udpSinkMaxFlows);
    }
    ProcessIdentity processIdentity =
        said.processIdentity() == null
            ? ProcessIdentity.REFUSED
            : v.one("process_identity", said.processIdentity(), ProcessIdentity::parse);
    Long logHoldBytes =
        v.one("log_hold_size", orElse(said.logHoldSize(), DEFAULT_LOG_HOLD_SIZE), Config::positiveSize);
    OnLogFailure onLogFailure =
        said.onLogFailure() == null ? OnLogFailure.CLOSED : v.one("on_log_failure", said.onLogFailure(), OnLogFailure::parse);
    long cacheSize = said.cacheSize() == null ? DEFAULT_CACHE_SIZE : said.cacheSize();
    if (cacheSize < 1) {
      errors.add("cache_size: must be at least 1, got " + cacheSize);
    }
    if (upstreamTimeout != null && upstreamTimeout.isZero()) {
      errors.add("upstream_timeout: must be more than 0");
    }
    if (logMaxAge != null && logMaxAge.isZero()) {
      // Retention is bounded: there is no "keep forever" (DESIGN.md, "Records at scale").
      errors.add("log_max_age: must be more than 0 (retention is never unlimited), got '" + said.logMaxAge() + "'");
    }
    Proxying proxying = v.proxying(said);
    Map<String, List<String>> policies = new LinkedHashMap<>();
    Map<String, Map<String, String>> policyLimits = new LinkedHashMap<>();
    if (said.policies() != null) {
      said.policies().forEach((name, entry) -> {
        // A policy named with nothing after it (`policies: {strict: }`): an error, not a null list.
        if (name == null || entry == null || entry.zones() == null || entry.zones().contains(null)) {
          errors.add("policies." + name + ": needs a list of zone names");
          return;
        }
        policies.put(name, entry.zones());
        policyLimits.put(name, entry.limits());
      });
    }
    LimitsConfig limits = LimitsConfig.resolve(said.limits(), policyLimits, errors);
    List<Sandboxes.Entry> sandboxes = v.sandboxes(said.sandboxes(), policies);
    FeedSource policySource =
        said.policySource() == null ? null : FeedSource.parse("policy_source", said.policySource(), errors);
    if (policySource != null && said.policies() != null) {
      errors.add("policies: a secondary takes its policies from zone " + policySource.zone() + ", not from the config file");
    }
    List<FeedSource> rpz = new ArrayList<>();
    List<ConfigFile.FeedEntry> feeds = said.rpz() == null ? List.of() : said.rpz();
    for (int i = 0; i < feeds.size(); i++) {
      FeedSource feed = FeedSource.parse("rpz[" + i + "]", feeds.get(i), errors);
      if (feed != null) {
        rpz.add(feed);
      }
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new Config(
        listen,
        upstreams,
        Path.of(orElse(said.zones(), DEFAULT_ZONES)).normalize(),
        relay,
        admin,
        Path.of(orElse(said.logDir(), DEFAULT_LOG_DIR)),
        Path.of(orElse(said.stateDir(), DEFAULT_STATE_DIR)),
        ledgerMinTtl,
        upstreamTimeout,
        serveStaleMax,
        cacheSize,
        tcpIdle,
        orElse(said.logMaxFileSize(), DEFAULT_LOG_MAX_FILE_SIZE),
        orElse(said.logTotalSize(), DEFAULT_LOG_TOTAL_SIZE),
        logMaxAge,
        relayConnect,
        relayIdle,
        relayPeek,
        shutdownGrace,
        mode,
        Boolean.TRUE.equals(said.watchZones()),
        proxying,
        policies,
        sandboxes,
        policySource,
        rpz,

        udpSink,
        udpSinkMaxFlows,
        processIdentity,
        limits,
        logHoldBytes,
        onLogFailure);
  }

  /** Parses a size as the log sizes are said ({@code 64KB}, {@code 32MB}: binary multiples). */
  private static long positiveSize(String text) {
    long bytes = FileSize.valueOf(text).getSize();
    if (bytes < 1) {
      throw new IllegalArgumentException("must be at least 1 byte, got '" + text + "'");
    }
    return bytes;
  }

  private static String orElse(String value, String fallback) {
    return value == null ? fallback : value;
  }

  /** Parses values one key at a time, collecting every error instead of stopping at the first. */
  private record Values(List<String> errors) {
    <T> T one(String key, String text, Function<String, T> parser) {
      try {
        return parser.apply(text);
      } catch (IllegalArgumentException e) {
        errors.add(key + ": " + e.getMessage());
        return null;
      }
    }

    Duration duration(String key, String text, String fallback) {
      return one(key, text == null ? fallback : text, DurationText::parse);
    }

    <T> List<T> list(String key, List<String> texts, List<String> fallback, Function<String, T> parser) {
      List<T> values = new ArrayList<>();
      for (String text : texts == null || texts.isEmpty() ? fallback : texts) {
        if (text == null) { // an empty YAML item (`- ` alone)
          errors.add(key + ": an empty value");
          continue;
        }
        T value = one(key, text, parser);
        if (value != null) {
          values.add(value);
        }
      }
      return values;
    }

    Proxying proxying(ConfigFile said) {
      HostPort listen =
          said.proxyListen() == null ? null : one("proxy_listen", said.proxyListen(), s -> HostPort.parse(s, -1));
      ParentProxy parent =
          said.upstreamProxy() == null ? null : one("upstream_proxy", said.upstreamProxy(), ParentProxy::parse);
      NoProxy noProxy =
          said.noProxy() == null ? NoProxy.NONE : one("no_proxy", String.join(",", said.noProxy()), s -> NoProxy.parse(List.of(s)));
      Path authFile = said.upstreamProxyAuthFile() == null ? null : Path.of(said.upstreamProxyAuthFile());
      if (authFile != null && !Files.isReadable(authFile)) {
        errors.add("upstream_proxy_auth_file: cannot read " + authFile);
      }
      return new Proxying(listen, parent, authFile, noProxy == null ? NoProxy.NONE : noProxy);
    }

    List<HostPort> upstreamsFrom(Path resolvConf) {
      List<HostPort> found = new ArrayList<>();
      try {
        for (String line : Files.readAllLines(resolvConf)) {
          String[] words = line.trim().split("\\s+");
          if (words.length >= 2 && words[0].equals("nameserver")) {
            HostPort upstream = one("upstreams (from " + resolvConf + ")", words[1], s -> HostPort.parse(s, 53));
            if (upstream != null) {
              found.add(upstream);
            }
          }
        }
      } catch (IOException e) {
        errors.add("upstreams: none given and " + resolvConf + " cannot be read: " + e.getMessage());
        return found;
      }
      if (found.isEmpty()) {
        errors.add("upstreams: none given and " + resolvConf + " names no nameserver");
      }
      return found;
    }

    List<Sandboxes.Entry> sandboxes(List<ConfigFile.SandboxEntry> said, Map<String, List<String>> policies) {
      List<Sandboxes.Entry> entries = new ArrayList<>();
      if (said == null) {
        return entries;
      }
      for (int i = 0; i < said.size(); i++) {
        ConfigFile.SandboxEntry s = said.get(i);
        String key = "sandboxes[" + i + "]";
        if (s == null) { // "- " with nothing after it
          errors.add(key + ": is empty (needs cidr and id)");
          continue;
        }
        if (s.cidr() == null || s.id() == null) {
          errors.add(key + ": needs both cidr and id");
          continue;
        }
        String policy = s.policy() == null ? "default" : s.policy();
        if (!policies.isEmpty() && !policies.containsKey(policy)) {
          errors.add(key + ": unknown policy '" + policy + "' (known: " + policies.keySet() + ")");
        }
        Cidr cidr = one(key + ".cidr", s.cidr(), Cidr::parse);
        String netns = one(key, null, ignored -> Sandbox.netnsFile(s.netns(), s.netnsPid()));
        if (cidr != null) {
          entries.add(new Sandboxes.Entry(cidr, new Sandbox(s.id(), s.taskId(), s.user(), policy, netns)));
        }
      }
      return entries;
    }
  }
}
