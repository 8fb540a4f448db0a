package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.allowdns.config.Config;
import dev.allowdns.config.DurationText;
import dev.allowdns.config.HostPort;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.CommandResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks the systemd units under {@code deploy/systemd} with the real {@code systemd-analyze}
 * (Debian package {@code systemd}; it reads unit files offline, no running systemd needed), and
 * that the units, the example config {@code deploy/allowdns.yaml} and the jar agree with each other.
 */
class DeploySystemdUnitsIT {
  private static final String SERVICE = "deploy/systemd/allowdns.service";
  private static final String IPTABLES_SERVICE = "deploy/systemd/allowdns-iptables.service";
  private static final String EXAMPLE_CONFIG = "deploy/allowdns.yaml";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** systemd's exposure scale is 0–100, shown as 0.0–10.0; 2.0 and below is "OK". */
  private static final String MAX_EXPOSURE = "20";

  @Test
  void systemdAnalyzeVerify_acceptsBothUnitsWithoutAWarning() {
    Path analyze = DeployTools.program("systemd-analyze", "systemd");
    Path service = DeployTools.repoFile(SERVICE);
    Path iptables = DeployTools.repoFile(IPTABLES_SERVICE);

    DeployTools.Result result =
        DeployTools.run(
            service.getParent(),
            TIMEOUT,
            DeployTools.command(analyze, "verify", "--man=no", service.toString(), iptables.toString()));

    // verify exits 0 on unknown keys and bad values too: only its silence means a clean unit.
    assertEquals(0, result.exitCode(), result::describe);
    assertEquals("", result.stdout() + result.stderr(), result::describe);
  }

  @Test
  void systemdAnalyzeSecurity_ratesAllowdnsServiceExposureAtMostTwo() {
    Path analyze = DeployTools.program("systemd-analyze", "systemd");
    Path service = DeployTools.repoFile(SERVICE);

    DeployTools.Result result =
        DeployTools.run(
            service.getParent(),
            TIMEOUT,
            DeployTools.command(
                analyze, "security", "--offline=true", "--threshold=" + MAX_EXPOSURE, service.toString()));

    assertEquals(0, result.exitCode(), result::describe);
  }

  @Test
  void allowdnsService_waitsLongerThanTheShutdownGraceBeforeKilling() throws IOException {
    Duration timeoutStop = DurationText.parse(directive(SERVICE, "TimeoutStopSec"));
    Duration configured = DurationText.parse(exampleConfig().path("shutdown_grace").asText());
    Duration byDefault = DurationText.parse(Config.DEFAULT_SHUTDOWN_GRACE);

    // The grace, then the record logs' final flush: leave that at least 10 s.
    Duration needed = (configured.compareTo(byDefault) > 0 ? configured : byDefault).plusSeconds(10);
    assertTrue(
        timeoutStop.compareTo(needed) >= 0,
        () -> "TimeoutStopSec=" + timeoutStop + " must be at least shutdown_grace + 10s = " + needed);
  }

  @Test
  void iptablesService_redirectsToThePortsTheExampleConfigListensOn() throws IOException {
    String execStart = directive(IPTABLES_SERVICE, "ExecStart");
    JsonNode config = exampleConfig();
    int listenPort = HostPort.parse(config.path("listen").path(0).asText(), -1).port();
    int relayPort = HostPort.parse(config.path("relay_listen").asText(), -1).port();

    assertEquals(String.valueOf(listenPort), flagValue(execStart, "--dns-port"), execStart);
    assertEquals(String.valueOf(relayPort), flagValue(execStart, "--relay-port"), execStart);
  }

  @Test
  void iptablesService_argumentsAreAcceptedByTheJar() {
    String jarArgs = afterJar(directive(IPTABLES_SERVICE, "ExecStart"));
    assertTrue(jarArgs.startsWith("iptables apply "), jarArgs);
    // print takes the same options as apply and changes nothing: no root, no rules touched.
    List<String> print = new ArrayList<>(List.of(jarArgs.split("\\s+")));
    print.set(1, "print");
    Path workDir = DeployTools.repoFile(IPTABLES_SERVICE).getParent();

    CommandResult printed = AllowdnsCli.run(workDir, Duration.ofSeconds(30), print);

    assertEquals(0, printed.exitCode(), printed::describe);
    assertTrue(printed.stdout().contains("-i tap+"), printed::describe);
    assertTrue(printed.stdout().contains("--to-ports 1053"), printed::describe);
    assertTrue(printed.stdout().contains("--to-ports 15001"), printed::describe);
    String stop = afterJar(directive(IPTABLES_SERVICE, "ExecStop"));
    assertEquals("iptables remove", stop);
    CommandResult removeHelp = AllowdnsCli.run(workDir, "iptables", "remove", "--help");
    assertEquals(0, removeHelp.exitCode(), removeHelp::describe);
  }

  @Test
  void exampleConfig_validatesWithTheShippedZones() {
    Path config = DeployTools.repoFile(EXAMPLE_CONFIG);
    Path zones = DeployTools.repoFile("zones/README.md").getParent();

    CommandResult result =
        AllowdnsCli.run(config.getParent(), "validate", "--config", config.toString(), "--zones", zones.toString());

    assertEquals(0, result.exitCode(), result::describe);
  }

  @Test
  void allowdnsService_runsServeWithTheConfigAndReloadsBySighup() {
    String execStart = directive(SERVICE, "ExecStart");
    assertTrue(
        execStart.endsWith("/opt/allowdns/allowdns.jar serve --config /etc/allowdns/allowdns.yaml"),
        execStart);
    assertEquals("/bin/kill -HUP $MAINPID", directive(SERVICE, "ExecReload"));
  }

  /** Returns the allowdns arguments of an {@code ExecStart=/usr/bin/java -jar ...jar ARGS} line. */
  private static String afterJar(String execLine) {
    int jar = execLine.indexOf("allowdns.jar ");
    assertTrue(jar >= 0, () -> "not a java -jar allowdns.jar command: " + execLine);
    return execLine.substring(jar + "allowdns.jar ".length()).trim();
  }

  private static JsonNode exampleConfig() throws IOException {
    return new ObjectMapper(new YAMLFactory()).readTree(DeployTools.repoFile(EXAMPLE_CONFIG).toFile());
  }

  /** Returns the value of the one {@code KEY=value} line of a unit file. */
  private static String directive(String unit, String key) {
    List<String> values;
    try {
      values =
          Files.readAllLines(DeployTools.repoFile(unit), StandardCharsets.UTF_8).stream()
              .filter(line -> line.startsWith(key + "="))
              .map(line -> line.substring(key.length() + 1).trim())
              .toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + unit, e);
    }
    assertEquals(1, values.size(), () -> unit + " should set " + key + " once: " + values);
    return values.get(0);
  }

  private static String flagValue(String commandLine, String flag) {
    Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(flag) + "[ =](\\S+)").matcher(commandLine);
    return Optional.of(m).filter(Matcher::find).map(x -> x.group(1)).orElse("(no " + flag + ")");
  }
}
