package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LimitsConfigTest {
  @TempDir Path dir;

  @Test
  void resolve_nothingSaid_givesTheDefaults() throws Exception {
    Config config = Config.resolve(ConfigFile.of(Map.of("upstreams", List.of("10.0.0.1"))), null);
    assertEquals(Limits.DEFAULTS, config.limits().forPolicy("default"));
    assertEquals(
        "dns_qps 200, names_per_domain_per_hour 500, connections_per_second 100, open_connections 1024,"
            + " bandwidth_up 200Mbit, bandwidth_down 1Gbit",
        Limits.DEFAULTS.describe());
  }

  @Test
  void resolve_globalAndPolicyLimits_policyOverridesKeyByKey() throws Exception {
    Config config =
        resolve(
            """
            limits: {dns_qps: 50, bandwidth_down: 100MB}
            policies:
              default: [npm]
              strict: {zones: [npm], limits: {dns_qps: 20, bandwidth_up: 10Mbit, open_connections: 0}}
            """);
    Limits global = config.limits().forPolicy("default");
    assertEquals(50, global.dnsQps());
    assertEquals(100_000_000, global.bandwidthDown());
    assertEquals(Limits.DEFAULTS.bandwidthUp(), global.bandwidthUp());
    Limits strict = config.limits().forPolicy("strict");
    assertEquals(20, strict.dnsQps());
    assertEquals(1_250_000, strict.bandwidthUp());
    assertEquals(100_000_000, strict.bandwidthDown()); // from the global limits:
    assertEquals(0, strict.openConnections()); // unlimited
    assertEquals(Map.of("default", List.of("npm"), "strict", List.of("npm")), config.policies());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "1Gbit   | 125000000",
        "200Mbit | 25000000",
        "1.5Gbit | 187500000",
        "800Kbit | 100000",
        "10MB    | 10000000",
        "64KB    | 64000",
        "0       | 0",
      })
  void bandwidth_siUnits(String text, long bytesPerSecond) {
    assertEquals(bytesPerSecond, Limits.bytesPerSecond(text));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "dns_qps: -1                  | limits.dns_qps: must be 0 (unlimited) or more, got -1",
        "dns_qps: fast                | limits.dns_qps: expected a whole number (0 = unlimited), got 'fast'",
        "bandwidth_up: 10Mbps         | limits.bandwidth_up: unknown unit 'Mbps' (known: Kbit, Mbit, Gbit, KB, MB, GB; SI, per second), got '10Mbps'",
        "bandwidth_up: 100            | limits.bandwidth_up: needs a unit (known: Kbit, Mbit, Gbit, KB, MB, GB; SI, per second), got '100'",
        "bandwidth_down: -5MB         | limits.bandwidth_down: must be 0 (unlimited) or more, got '-5MB'",
        "dns_qbs: 5                   | limits.dns_qbs: unknown key (known: dns_qps, names_per_domain_per_hour, connections_per_second, open_connections, bandwidth_up, bandwidth_down)",
        "names_per_domain_per_hour: 5000 | limits.names_per_domain_per_hour: at most 2048, got 5000",
      })
  void resolve_badValue_isKeyColonReason(String line, String error) throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> resolve("limits: {" + line + "}\n"));
    assertEquals(List.of(error), e.errors());
  }

  @Test
  void resolve_badPolicyLimit_namesThePolicy() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> resolve("policies:\n  strict: {zones: [npm], limits: {dns_qps: -3}}\n"));
    assertEquals(List.of("policies.strict.limits.dns_qps: must be 0 (unlimited) or more, got -3"), e.errors());
  }

  @Test
  void read_unknownKeyOfAPolicy_isAnError() throws Exception {
    Path file = write("policies:\n  strict: {zones: [npm], limit: {dns_qps: 3}}\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.read(file));
    assertEquals(1, e.errors().size());
    assertEquals(true, e.errors().get(0).contains("unknown key 'limit' of a policy (known: zones, limits)"), e.getMessage());
  }

  private Config resolve(String yaml) throws IOException, ConfigException {
    return Config.resolve(ConfigFile.read(write("upstreams: [10.0.0.1]\n" + yaml)), null);
  }

  private Path write(String text) throws IOException {
    return Files.writeString(dir.resolve("allowdns.yaml"), text);
  }
}
