package dev.allowdns.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the YAML config file or the command-line flags say; every field is optional ({@code null}
 * when unsaid). Keys are the snake_case names of the components ({@code relay_listen}).
 */
public record ConfigFile(
    List<String> listen,
    List<String> upstreams,
    String zones,
    String relayListen,
    String adminListen,
    String logDir,
    String stateDir,
    String ledgerMinTtl,
    String upstreamTimeout,
    String serveStaleMax,
    Long cacheSize,
    String tcpIdleTimeout,
    String logMaxFileSize,
    String logTotalSize,
    String logMaxAge,
    String relayConnectTimeout,
    String relayIdleTimeout,
    String relayPeekTimeout,
    String shutdownGrace,
    String mode,
    Boolean watchZones,
    String proxyListen,
    String upstreamProxy,
    String upstreamProxyAuthFile,
    List<String> noProxy,
    Map<String, PolicyEntry> policies,
    List<SandboxEntry> sandboxes,
    FeedEntry policySource,
    List<FeedEntry> rpz,

    String udpSinkListen,
    Long udpSinkMaxFlows,
    String processIdentity,
    Map<String, String> limits,
    String logHoldSize,
    String onLogFailure) {

  /** One {@code sandboxes:} item of the YAML file. */
  public record SandboxEntry(
      String cidr, String id, String taskId, String user, String policy, String netns, Integer netnsPid) {
    /** An entry of a sandbox the host cannot look into. */
    public SandboxEntry(String cidr, String id, String taskId, String user, String policy) {
      this(cidr, id, taskId, user, policy, null, null);
    }
  }

  /**
   * One {@code policies:} item: its zone names (the list form {@code strict: [npm]}), or the map
   * form {@code strict: {zones: [npm], limits: {dns_qps: 20}}}.
   */
  public record PolicyEntry(List<String> zones, Map<String, String> limits) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static PolicyEntry from(Object said) {
      if (said instanceof Map<?, ?> map) {
        for (Object key : map.keySet()) {
          if (!"zones".equals(key) && !"limits".equals(key)) {
            throw new IllegalArgumentException("unknown key '" + key + "' of a policy (known: zones, limits)");
          }
        }
        Map<String, String> limits = null;
        if (map.get("limits") instanceof Map<?, ?> said2) {
          limits = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : said2.entrySet()) {
            limits.put(String.valueOf(e.getKey()), e.getValue() == null ? null : String.valueOf(e.getValue()));
          }
        } else if (map.get("limits") != null) {
          throw new IllegalArgumentException("a policy's limits must be a map of key: value, got " + map.get("limits"));
        }
        return new PolicyEntry(zoneNames(map.get("zones")), limits);
      }
      return new PolicyEntry(zoneNames(said), null);
    }

    private static List<String> zoneNames(Object said) {
      if (said == null) {
        return null;
      }
      List<?> list = said instanceof List<?> l ? l : List.of(said);
      List<String> names = new ArrayList<>();
      for (Object item : list) {
        if (item instanceof Map || item instanceof List) {
          throw new IllegalArgumentException("expected zone names, got " + item);
        }
        names.add(item == null ? null : String.valueOf(item));
      }
      return names;
    }

    /** The list form: zones only, the global limits. */
    public static PolicyEntry of(List<String> zones) {
      return new PolicyEntry(zones, null);
    }
  }

  /** A zone transferred from a primary: {@code policy_source:} or one {@code rpz:} item. */
  public record FeedEntry(String primary, String zone, String tsigKeyFile) {}

  /**
   * Made on first use: Jackson's YAML and databind classes take a few hundred milliseconds to
   * load, which a start without a config file should not pay before its first answer.
   */
  private static final class Yaml {
    static final ObjectMapper MAPPER =
        new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);
  }

  /** The keys a flag map may hold ({@link #of}); {@code policies}, {@code sandboxes} and {@code limits} are file-only. */
  private static final Set<String> FLAG_KEYS =
      Set.of(
          "listen", "upstreams", "zones", "relay_listen", "admin_listen", "log_dir", "state_dir",
          "ledger_min_ttl", "upstream_timeout", "serve_stale_max", "cache_size", "tcp_idle_timeout",
          "log_max_file_size", "log_total_size", "log_max_age", "relay_connect_timeout",
          "relay_idle_timeout", "relay_peek_timeout", "shutdown_grace", "mode", "watch_zones",
          "proxy_listen", "upstream_proxy", "upstream_proxy_auth_file", "no_proxy", "udp_sink_listen",
          "udp_sink_max_flows", "process_identity", "log_hold_size", "on_log_failure");

  /** A file that says nothing: every value comes from flags or defaults. */
  public static final ConfigFile EMPTY =
      new ConfigFile(
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null);

  /**
   * Reads a YAML config file.
   *
   * @throws ConfigException as {@code file:line: reason} for unreadable files, bad YAML and
   *     unknown keys
   */
  public static ConfigFile read(Path file) throws ConfigException {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e);
    }
    try {
      ConfigFile parsed = Yaml.MAPPER.readValue(text, ConfigFile.class);
      return parsed == null ? EMPTY : parsed;
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(
          keyLine(file, text, e.getPropertyName())
              + "unknown key '"
              + e.getPropertyName()
              + "' (known: "
              + e.getKnownPropertyIds()
              + ")");
    } catch (JsonProcessingException e) {
      throw new ConfigException(at(file, e.getLocation()) + e.getOriginalMessage());
    }
  }

  /**
   * Returns the line of the first {@code key:} in the text: records are read through a buffer, so
   * the exception's own location is already past the key.
   */
  private static String keyLine(Path file, String text, String key) {
    String[] lines = text.split("\n", -1);
    Pattern keyPattern = Pattern.compile("^\\s*(-\\s+)?" + Pattern.quote(key) + "\\s*:");
    for (int i = 0; i < lines.length; i++) {
      if (keyPattern.matcher(lines[i]).find()) {
        return file + ":" + (i + 1) + ": ";
      }
    }
    return file + ": ";
  }

  private static String at(Path file, JsonLocation location) {
    return location == null ? file + ": " : file + ":" + location.getLineNr() + ": ";
  }

  /**
   * Returns the values given as {@code key → value}, keys as in the YAML file ({@code log_dir}); a
   * {@code null} value is unsaid. Flags use it, so they and the file share one vocabulary.
   *
   * @throws IllegalArgumentException naming a key that is not a config key, or a value of the
   *     wrong type
   */
  public static ConfigFile of(Map<String, ?> values) {
    if (!FLAG_KEYS.containsAll(values.keySet())) {
      try {
        return Yaml.MAPPER.convertValue(values, ConfigFile.class);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    return new ConfigFile(
        strings(values, "listen"),
        strings(values, "upstreams"),
        value(values, "zones", String.class),
        value(values, "relay_listen", String.class),
        value(values, "admin_listen", String.class),
        value(values, "log_dir", String.class),
        value(values, "state_dir", String.class),
        value(values, "ledger_min_ttl", String.class),
        value(values, "upstream_timeout", String.class),
        value(values, "serve_stale_max", String.class),
        value(values, "cache_size", Long.class),
        value(values, "tcp_idle_timeout", String.class),
        value(values, "log_max_file_size", String.class),
        value(values, "log_total_size", String.class),
        value(values, "log_max_age", String.class),
        value(values, "relay_connect_timeout", String.class),
        value(values, "relay_idle_timeout", String.class),
        value(values, "relay_peek_timeout", String.class),
        value(values, "shutdown_grace", String.class),
        value(values, "mode", String.class),
        value(values, "watch_zones", Boolean.class),
        value(values, "proxy_listen", String.class),
        value(values, "upstream_proxy", String.class),
        value(values, "upstream_proxy_auth_file", String.class),
        strings(values, "no_proxy"),
        null,
        null,
        null,
        null,
        value(values, "udp_sink_listen", String.class),
        value(values, "udp_sink_max_flows", Long.class),
        value(values, "process_identity", String.class),
        null,
        value(values, "log_hold_size", String.class),
        value(values, "on_log_failure", String.class));
  }

  private static <T> T value(Map<String, ?> values, String key, Class<T> type) {
    Object value = values.get(key);
    if (value == null || type.isInstance(value)) {
      return type.cast(value);
    }
    if (type == Long.class && value instanceof Number n) {
      return type.cast(n.longValue());
    }
    throw new IllegalArgumentException(
        key + ": expected " + type.getSimpleName() + ", got " + value.getClass().getSimpleName());
  }

  /** A list of strings, or one string as a list of one (as the YAML file may say it). */
  private static List<String> strings(Map<String, ?> values, String key) {
    Object value = values.get(key);
    if (value == null) {
      return null;
    }
    if (value instanceof String one) {
      return List.of(one);
    }
    if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
      return list.stream().map(String.class::cast).toList();
    }
    throw new IllegalArgumentException(key + ": expected a list of strings, got " + value);
  }

  /** Returns this file with every value that {@code flags} says replaced by the flag's value. */
  public ConfigFile overriddenBy(ConfigFile flags) {
    return new ConfigFile(
        either(flags.listen, listen),
        either(flags.upstreams, upstreams),
        either(flags.zones, zones),
        either(flags.relayListen, relayListen),
        either(flags.adminListen, adminListen),
        either(flags.logDir, logDir),
        either(flags.stateDir, stateDir),
        either(flags.ledgerMinTtl, ledgerMinTtl),
        either(flags.upstreamTimeout, upstreamTimeout),
        either(flags.serveStaleMax, serveStaleMax),
        either(flags.cacheSize, cacheSize),
        either(flags.tcpIdleTimeout, tcpIdleTimeout),
        either(flags.logMaxFileSize, logMaxFileSize),
        either(flags.logTotalSize, logTotalSize),
        either(flags.logMaxAge, logMaxAge),
        either(flags.relayConnectTimeout, relayConnectTimeout),
        either(flags.relayIdleTimeout, relayIdleTimeout),
        either(flags.relayPeekTimeout, relayPeekTimeout),
        either(flags.shutdownGrace, shutdownGrace),
        either(flags.mode, mode),
        either(flags.watchZones, watchZones),
        either(flags.proxyListen, proxyListen),
        either(flags.upstreamProxy, upstreamProxy),
        either(flags.upstreamProxyAuthFile, upstreamProxyAuthFile),
        either(flags.noProxy, noProxy),
        either(flags.policies, policies),
        either(flags.sandboxes, sandboxes),
        feedEither(flags.policySource, policySource),
        either(flags.rpz, rpz),
        either(flags.udpSinkListen, udpSinkListen),
        either(flags.udpSinkMaxFlows, udpSinkMaxFlows),
        either(flags.processIdentity, processIdentity),
        either(flags.limits, limits),
        either(flags.logHoldSize, logHoldSize),
        either(flags.onLogFailure, onLogFailure));
  }

  /** Returns the file's feed with each part the flags say replaced. */
  private static FeedEntry feedEither(FeedEntry flag, FeedEntry file) {
    if (flag == null || file == null) {
      return flag == null ? file : flag;
    }
    return new FeedEntry(
        either(flag.primary, file.primary), either(flag.zone, file.zone), either(flag.tsigKeyFile, file.tsigKeyFile));
  }

  /** Returns what the flag says, unless it says nothing (unset, or an empty list). */
  private static <T> T either(T flag, T file) {
    boolean unsaid = flag == null || (flag instanceof List<?> list && list.isEmpty());
    return unsaid ? file : flag;
  }
}
