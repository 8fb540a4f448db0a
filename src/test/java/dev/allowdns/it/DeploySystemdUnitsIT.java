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
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the systemd units under {@code deploy/systemd} with the real {@code systemd-analyze}
 * (Debian package {@code systemd}; it reads unit files offline, no running systemd needed), and
 * that the units, the example config {@code deploy/allowdns.yaml} and the jar agree with each other.
 */
class DeploySystemdUnitsIT {
  private static final String SERVICE = "deploy/systemd/allowdns.service";
  private static final String IPTABLES_SERVICE = "deploy/systemd/allowdns-iptables.service";
  private static final String EXAMPLE_CONFIG = "deploy/allowdns.yaml";
  private static final String INSTALLED_LAUNCHER = "/opt/allowdns/bin/allowdns";
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** systemd's exposure scale is 0–100, shown as 0.0–10.0; 2.0 and below is "OK". */
  private static final String MAX_EXPOSURE = "20";

  @Test
  void systemdAnalyzeVerify_acceptsBothUnitsWithoutAWarning(@TempDir Path installed) throws IOException {
    Path analyze = DeployTools.program("systemd-analyze", "systemd");
    // verify checks that ExecStart's program exists: point the units at the repository's launcher.
    Path service = installedUnit(SERVICE, installed);
    Path iptables = installedUnit(IPTABLES_SERVICE, installed);

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
    String arguments = launcherArguments(directive(IPTABLES_SERVICE, "ExecStart"));
    assertTrue(arguments.startsWith("iptables apply "), arguments);
    // print takes the same options as apply and changes nothing: no root, no rules touched.
    List<String> print = new ArrayList<>(List.of(arguments.split("\\s+")));
    print.set(1, "print");
    Path workDir = DeployTools.repoFile(IPTABLES_SERVICE).getParent();

    CommandResult printed = AllowdnsCli.run(workDir, Duration.ofSeconds(30), print);

    assertEquals(0, printed.exitCode(), printed::describe);
    assertTrue(printed.stdout().contains("-i tap+"), printed::describe);
    assertTrue(printed.stdout().contains("--to-ports 1053"), printed::describe);
    assertTrue(printed.stdout().contains("--to-ports 15001"), printed::describe);
    String stop = launcherArguments(directive(IPTABLES_SERVICE, "ExecStop"));
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
        execStart.equals(INSTALLED_LAUNCHER + " serve --config /etc/allowdns/allowdns.yaml"),
        execStart);
    assertEquals("/bin/kill -HUP $MAINPID", directive(SERVICE, "ExecReload"));
  }

  /** Copies a unit into {@code dir} with the installed launcher's path replaced by the repository's. */
  private static Path installedUnit(String unit, Path dir) throws IOException {
    String launcher = DeployTools.repoFile("bin/allowdns").toString();
    String text = Files.readString(DeployTools.repoFile(unit), StandardCharsets.UTF_8);
    Path copy = dir.resolve(Path.of(unit).getFileName());
    Files.writeString(copy, text.replace(INSTALLED_LAUNCHER, launcher), StandardCharsets.UTF_8);
    return copy;
  }

  /** Returns the allowdns arguments of an {@code ExecStart=/opt/allowdns/bin/allowdns ARGS} line. */
  private static String launcherArguments(String execLine) {
    String launcher = INSTALLED_LAUNCHER + " ";
    assertTrue(execLine.startsWith(launcher), () -> "not a command of the launcher: " + execLine);
    return execLine.substring(launcher.length()).trim();
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
