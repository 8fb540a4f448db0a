package dev.allowdns.config;

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
import java.util.List;
import java.util.Map;
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
    String relayConnectTimeout,
    String relayIdleTimeout,
    String relayPeekTimeout,
    String shutdownGrace,
    String mode,
    Boolean watchZones,
    Map<String, List<String>> policies,
    List<SandboxEntry> sandboxes) {

  /** One {@code sandboxes:} item of the YAML file. */
  public record SandboxEntry(String cidr, String id, String taskId, String user, String policy) {}

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY);

  /** A file that says nothing: every value comes from flags or defaults. */
  public static final ConfigFile EMPTY = of(Map.of());

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
      ConfigFile parsed = YAML.readValue(text, ConfigFile.class);
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
   */
  public static ConfigFile of(Map<String, ?> values) {
    return YAML.convertValue(values, ConfigFile.class);
  }

  /** Returns this file with every value that {@code flags} says replaced by the flag's value. */
  @SuppressWarnings("unchecked")
  public ConfigFile overriddenBy(ConfigFile flags) {
    Map<String, Object> merged = YAML.convertValue(this, Map.class);
    Map<String, Object> said = YAML.convertValue(flags, Map.class);
    said.forEach(
        (key, value) -> {
          boolean unsaid = value == null || (value instanceof List<?> list && list.isEmpty());
          if (!unsaid) {
            merged.put(key, value);
          }
        });
    return YAML.convertValue(merged, ConfigFile.class);
  }
}
