package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.Fixtures;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.RawDns;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The one-shot commands ({@code check}, {@code validate}) and serve's start-up errors. */
class CliIT {
  private static final String ZONES = "/it/zones";
  private static final String BAD_ZONES = "/it/zones-bad";

  @TempDir static Path dir;
  private static Path zones;
  private static Path badZones;

  @BeforeAll
  static void copyFixtures() throws Exception {
    zones = Fixtures.copyZones(ZONES, dir.resolve("zones"));
    badZones = Fixtures.copyZones(BAD_ZONES, dir.resolve("zones-bad"));
    Files.writeString(dir.resolve("strict.yaml"), Fixtures.text("/it/config/strict-sandbox.yaml"));
  }

  @Test
  void check_allowedName_exits0AndNamesRuleAndItsLine() {
    CommandResult result = allowdns("check", "www.it.test", "--zones", zones.toString());

    assertEquals(0, result.exitCode(), result::describe);
    assertContainsIgnoringCase(result, "allowed");
    assertContains(result, "default:basic");
    assertContains(result, "basic.zone:" + Fixtures.lineOf(ZONES + "/basic.zone", "www.it.test"));
  }

  @Test
  void check_showsTheRoute_directViaTheParentOrTheZonesOwn() throws Exception {
    Path routed = Files.createDirectories(dir.resolve("routed-zones"));
    Files.writeString(routed.resolve("open.zone"), "www.routed.test\nlocal.routed.test\n");
    Files.writeString(routed.resolve("corp.zone"), "@proxy http://10.0.0.9:8080 synthesize\nsecret.corp.test\n");
    Files.writeString(routed.resolve("own.zone"), "@proxy direct\nown.routed.test\n");
    Path config = dir.resolve("routed.yaml");
    Files.writeString(config, "upstream_proxy: http://10.0.0.3:3128\nno_proxy: [local.routed.test]\n");
    String[] base = {"--zones", routed.toString(), "--config", config.toString()};

    assertContains(allowdns(join("check", "www.routed.test", base)), "route: via 10.0.0.3:3128");
    assertContains(allowdns(join("check", "local.routed.test", base)), "route: direct");
    assertContains(allowdns(join("check", "own.routed.test", base)), "route: direct");
    assertContains(allowdns(join("check", "secret.corp.test", base)), "route: via 10.0.0.9:8080, answers synthesized");
    assertContains(allowdns("check", "www.routed.test", "--zones", routed.toString()), "route: direct");
  }

  private static String[] join(String command, String name, String[] rest) {
    String[] all = new String[rest.length + 2];
    all[0] = command;
    all[1] = name;
    System.arraycopy(rest, 0, all, 2, rest.length);
    return all;
  }

  @Test
  void check_showsTheLimitsOfTheSandboxsPolicy_andABadLimitExits2() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("limits.yaml"),
            "zones: " + zones + "\n"
                + "limits: {dns_qps: 50}\n"
                + "policies:\n  default: [basic]\n  strict: {zones: [basic], limits: {bandwidth_up: 10Mbit, open_connections: 0}}\n"
                + "sandboxes:\n  - {cidr: 10.9.0.2/32, id: vm-7, policy: strict}\n");
    CommandResult sandbox = allowdns("check", "www.it.test", "--config", config.toString(), "--sandbox", "10.9.0.2");
    CommandResult other = allowdns("check", "www.it.test", "--config", config.toString());

    assertEquals(0, sandbox.exitCode(), sandbox::describe);
    assertContains(
        sandbox,
        "limits: dns_qps 50, names_per_domain_per_hour 500, connections_per_second 100, open_connections unlimited,"
            + " bandwidth_up 10Mbit, bandwidth_down 1Gbit");
    assertContains(other, "limits: dns_qps 50, names_per_domain_per_hour 500, connections_per_second 100, open_connections 1024,");

    Files.writeString(config, "zones: " + zones + "\nlimits: {bandwidth_up: 10Mbps, dns_qps: -1}\n");
    CommandResult bad = allowdns("check", "www.it.test", "--config", config.toString());
    assertEquals(2, bad.exitCode(), bad::describe);
    assertTrue(bad.stderr().contains("limits.bandwidth_up: unknown unit 'Mbps'"), bad::describe);
    assertTrue(bad.stderr().contains("limits.dns_qps: must be 0 (unlimited) or more, got -1"), bad::describe);
  }

  @Test
  void check_nameMatchingAWildcard_namesTheWildcardRule() {
    CommandResult result = allowdns("check", "A.B.Many.It.Test.", "--zones", zones.toString());

    assertEquals(0, result.exitCode(), result::describe);
    assertContains(result, "default:basic");
    assertContains(
        result, "basic.zone:" + Fixtures.lineOf(ZONES + "/basic.zone", "**.many.it.test"));
  }

  @Test
  void check_internationalisedName_matchesInEitherForm() {
    Assumptions.assumeTrue(
        "UTF-8".equals(System.getProperty("sun.jnu.encoding")),
        "command-line arguments are not UTF-8 here, so 'bücher' cannot be passed intact");
    int line = Fixtures.lineOf(ZONES + "/basic.zone", "bücher.it.test");

    for (String name : List.of("bücher.it.test", "xn--bcher-kva.it.test", "BÜCHER.it.test")) {
      CommandResult result = allowdns("check", name, "--zones", zones.toString());

      assertEquals(0, result.exitCode(), result::describe);
      assertContains(result, "basic.zone:" + line);
    }
  }

  @Test
  void check_unlistedName_exits1() {
    CommandResult result = allowdns("check", "unlisted.it.test", "--zones", zones.toString());

    assertEquals(1, result.exitCode(), result::describe);
    assertContainsIgnoringCase(result, "blocked");
  }

  @Test
  void check_nameDeniedInAnotherZone_exits1AndNamesTheDenyRule() {
    CommandResult result = allowdns("check", "denied-too.it.test", "--zones", zones.toString());

    assertEquals(1, result.exitCode(), result::describe);
    assertContainsIgnoringCase(result, "blocked");
    assertContains(result, "default:denylist");
    assertContains(
        result,
        "denylist.zone:" + Fixtures.lineOf(ZONES + "/denylist.zone", "!denied-too.it.test"));
  }

  @Test
  void check_sandboxWithStrictPolicy_usesItsPolicy() {
    String config = dir.resolve("strict.yaml").toString();

    CommandResult blocked =
        allowdns(
            "check",
            "www.it.test",
            "--sandbox",
            "10.9.0.2",
            "--zones",
            zones.toString(),
            "--config",
            config);
    CommandResult allowed =
        allowdns(
            "check",
            "kept.it.test",
            "--sandbox",
            "10.9.0.2",
            "--zones",
            zones.toString(),
            "--config",
            config);
    CommandResult loopback =
        allowdns(
            "check",
            "www.it.test",
            "--sandbox",
            "127.0.0.1",
            "--zones",
            zones.toString(),
            "--config",
            config);

    assertEquals(1, blocked.exitCode(), blocked::describe);
    assertEquals(0, allowed.exitCode(), allowed::describe);
    assertContains(allowed, "strict:private");
    assertEquals(0, loopback.exitCode(), loopback::describe);
    assertContains(loopback, "default:basic");
  }

  @Test
  void check_withoutName_exits2() {
    CommandResult result = allowdns("check", "--zones", zones.toString());

    assertEquals(2, result.exitCode(), result::describe);
  }

  @Test
  void check_missingZonesDirectory_exits2() {
    CommandResult result =
        allowdns("check", "www.it.test", "--zones", dir.resolve("no-such-dir").toString());

    assertEquals(2, result.exitCode(), result::describe);
  }

  @Test
  void validate_goodZones_exits0() {
    CommandResult result = allowdns("validate", "--zones", zones.toString());

    assertEquals(0, result.exitCode(), result::describe);
  }

  @Test
  void validate_badZones_exits2AndReportsEveryErrorWithFileAndLine() {
    CommandResult result = allowdns("validate", "--zones", badZones.toString());

    assertEquals(2, result.exitCode(), result::describe);
    assertEveryBadLineReported(result);
  }

  @Test
  void serve_withBadZone_exits2WithEveryErrorAndServesNothing() throws Exception {
    int port = FreePorts.udpAndTcp();
    Path logs = Files.createDirectories(dir.resolve("serve-bad-logs"));

    CommandResult result =
        AllowdnsCli.run(
            dir,
            Duration.ofSeconds(20),
            List.of(
                "serve",
                "--listen",
                "127.0.0.1:" + port,
                "--upstream",
                "127.0.0.1:9",
                "--zones",
                badZones.toString(),
                "--log-dir",
                logs.toString()));

    assertFalse(
        result.timedOut(), () -> "serve kept running with bad zones:\n" + result.describe());
    assertEquals(2, result.exitCode(), result::describe);
    assertFalse(result.stdout().contains(AllowdnsProcess.READY_MARKER), result::describe);
    assertEveryBadLineReported(result);
    byte[] query = RawDns.header(0x77, 0, 0, 0, 0);
    assertTrue(
        RawDns.at(port).udpExchange(query, Duration.ofMillis(300)).isEmpty(), "nothing is served");
  }

  @ParameterizedTest(name = "allowdns {0} --version")
  @ValueSource(strings = {"", "serve", "check", "validate"})
  void version_onEveryCommand_printsVersionAndExits0(String command) {
    CommandResult result =
        allowdns(
            command.isEmpty() ? new String[] {"--version"} : new String[] {command, "--version"});

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(
        Pattern.compile("allowdns \\d+\\.\\d+\\.\\d+").matcher(result.stdout()).find(),
        result::describe);
  }

  @ParameterizedTest(name = "allowdns {0} --help")
  @ValueSource(strings = {"", "serve", "check", "validate"})
  void help_onEveryCommand_printsUsageAndExits0(String command) {
    CommandResult result =
        allowdns(command.isEmpty() ? new String[] {"--help"} : new String[] {command, "--help"});

    assertEquals(0, result.exitCode(), result::describe);
    assertContains(result, "Usage:");
    assertContains(result, command.isEmpty() ? "allowdns" : command);
  }

  /**
   * Asserts every error line of the bad fixtures is reported as {@code file:line: reason} on
   * stderr, and the good lines are not.
   */
  private static void assertEveryBadLineReported(CommandResult result) {
    List<String[]> errors =
        List.of(
            new String[] {"broken.zone", "*.com"},
            new String[] {"broken.zone", "~^(unclosed"},
            new String[] {"broken.zone", "@forward 10.0.0.53:99999"},
            new String[] {"broken.zone", "ip:300.1.2.3/8"},
            new String[] {"broken.zone", "bad..name.it.test"},
            new String[] {"alsobroken.zone", "**.co.uk"});
    for (String[] error : errors) {
      int line = Fixtures.lineOf(BAD_ZONES + "/" + error[0], error[1]);
      Pattern reported =
          Pattern.compile(
              "(^|[\\s/])" + Pattern.quote(error[0] + ":" + line + ":") + " \\S",
              Pattern.MULTILINE);
      assertTrue(
          reported.matcher(result.stderr()).find(),
          () ->
              error[0]
                  + ":"
                  + line
                  + ": reason (for '"
                  + error[1]
                  + "') on stderr:\n"
                  + result.describe());
    }
    for (String[] good :
        List.of(
            new String[] {"broken.zone", "fine-too.it.test"},
            new String[] {"alsobroken.zone", "fine.it.test"})) {
      int line = Fixtures.lineOf(BAD_ZONES + "/" + good[0], good[1]);
      assertFalse(
          result.stderr().contains(good[0] + ":" + line + ":"),
          () -> "a good line reported as an error:\n" + result.describe());
    }
  }

  private static CommandResult allowdns(String... args) {
    return AllowdnsCli.run(dir, args);
  }

  private static void assertContains(CommandResult result, String text) {
    assertTrue(
        result.stdout().contains(text),
        () -> "stdout contains '" + text + "':\n" + result.describe());
  }

  private static void assertContainsIgnoringCase(CommandResult result, String text) {
    assertTrue(
        result.stdout().toLowerCase(Locale.ROOT).contains(text.toLowerCase(Locale.ROOT)),
        () -> "stdout contains '" + text + "':\n" + result.describe());
  }
}
