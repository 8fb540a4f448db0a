package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code allowdns iptables} as users run it, where no root is needed: output and exit codes. */
class IptablesCommandIT {
  @Test
  void print_tapWildcardOnDefaultPorts_writesTheReviewedScriptsAndExits0() throws IOException {
    ExternalCommand.Result result =
        ExternalCommand.run(
            AllowdnsJar.command("iptables", "print", "--sandbox-interface", "tap+"));

    assertEquals(0, result.exitCode(), result.toString());
    assertEquals(RestoreScriptTest.reviewedTapScripts(), result.stdout());
    assertEquals("", result.stderr());
  }

  @Test
  void print_badInterfaceName_exits2AndSaysWhy() {
    ExternalCommand.Result result =
        ExternalCommand.run(
            AllowdnsJar.command("iptables", "print", "--sandbox-interface", "tap+0"));

    assertEquals(2, result.exitCode(), result.toString());
    assertEquals(
        "iptables print: sandbox interface 'tap+0' has '+' before its end: '+' is a wildcard only"
            + " as the last character\n",
        result.stderr());
    assertEquals("", result.stdout());
  }

  @Test
  void print_withoutSandboxInterface_exits2() {
    ExternalCommand.Result result = ExternalCommand.run(AllowdnsJar.command("iptables", "print"));

    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(
        result.stderr().startsWith("Missing required option: '--sandbox-interface=IF'"),
        result.stderr());
  }

  @Test
  void print_portOutOfRange_exits2() {
    ExternalCommand.Result result =
        ExternalCommand.run(
            AllowdnsJar.command(
                "iptables", "print", "--sandbox-interface", "tap+", "--relay-port", "70000"));

    assertEquals(2, result.exitCode(), result.toString());
    assertEquals("iptables print: relay port must be 1..65535, got 70000\n", result.stderr());
  }

  @Test
  void iptables_withoutSubcommand_exits2() {
    ExternalCommand.Result result = ExternalCommand.run(AllowdnsJar.command("iptables"));

    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(result.stderr().startsWith("Missing subcommand"), result.stderr());
  }

  @Test
  void apply_withoutIptablesOnPath_exits2AndNamesTheProgram() {
    ExternalCommand.Result result =
        ExternalCommand.run(
            AllowdnsJar.command("iptables", "apply", "--sandbox-interface", "tap+"),
            Map.of("PATH", "/nonexistent"));

    assertEquals(2, result.exitCode(), result.toString());
    assertTrue(
        result.stderr().startsWith("iptables apply: cannot run iptables (is it installed and on"
            + " PATH?)"),
        result.stderr());
  }
}
