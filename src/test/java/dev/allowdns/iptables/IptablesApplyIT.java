package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code allowdns iptables apply|remove} against the real iptables and ip6tables, in a network
 * namespace of the test's own that already holds someone else's rules.
 */
class IptablesApplyIT {
  private static final List<String> FOREIGN_IPV4 =
      List.of(
          "-A INPUT -s 192.0.2.7/32 -j DROP",
          "-A FORWARD -j ACCEPT",
          "-N FOREIGN",
          "-A FOREIGN -p udp -j RETURN",
          "-A INPUT -j FOREIGN",
          "-t nat -A PREROUTING -s 192.0.2.8/32 -p tcp -j REDIRECT --to-ports 8080",
          "-t nat -A POSTROUTING -s 10.1.0.0/16 -j MASQUERADE");
  private static final List<String> FOREIGN_IPV6 =
      List.of(
          "-A INPUT -s 2001:db8::7/128 -j DROP",
          "-A FORWARD -j ACCEPT",
          "-t nat -A PREROUTING -s 2001:db8::8/128 -p tcp -j REDIRECT --to-ports 8080");

  private NetworkNamespace ns;

  @BeforeEach
  void createNamespaceWithForeignRules() {
    RootNetworking.assumeAvailable();
    ns = NetworkNamespace.create(NetworkNamespace.newRun(), "host");
    for (String rule : FOREIGN_IPV4) {
      ns.run(command("iptables", rule)).assertSuccess();
    }
    for (String rule : FOREIGN_IPV6) {
      ns.run(command("ip6tables", rule)).assertSuccess();
    }
  }

  @AfterEach
  void deleteNamespace() {
    if (ns != null) {
      ns.close();
    }
  }

  @Test
  void apply_installsTheChainsWithJumpsFirstInTheBuiltInChains() {
    allowdns("apply", "--sandbox-interface", "tap+", "--sandbox-interface", "vm-7");

    for (String family : List.of("iptables", "ip6tables")) {
      List<String> saved = saved(family).lines().toList();
      assertFalse(saved.contains(":" + OwnChain.UDP_SINK.chainName() + " - [0:0]"), "no sink asked for");
      for (OwnChain chain : List.of(OwnChain.PREROUTING, OwnChain.INPUT, OwnChain.FORWARD)) {
        assertTrue(saved.contains(":" + chain.chainName() + " - [0:0]"), family + ":\n" + saved);
        List<String> builtIn = rulesOf(saved, chain.builtIn());
        assertEquals(
            List.of(
                "-A " + chain.builtIn() + " -i tap+ -j " + chain.chainName(),
                "-A " + chain.builtIn() + " -i vm-7 -j " + chain.chainName()),
            builtIn.subList(0, Math.min(2, builtIn.size())),
            family + " " + chain.builtIn() + " must start with the jumps:\n" + saved);
      }
      assertTrue(
          saved.contains("-A ALLOWDNS-PREROUTING -p tcp -j REDIRECT --to-ports 15001"),
          family + ":\n" + saved);
    }
    List<String> ipv4 = saved("iptables").lines().toList();
    assertTrue(ipv4.contains("-A INPUT -s 192.0.2.7/32 -j DROP"), String.join("\n", ipv4));
    assertTrue(ipv4.contains("-A INPUT -j FOREIGN"), String.join("\n", ipv4));
    assertTrue(ipv4.contains("-A FORWARD -j ACCEPT"), String.join("\n", ipv4));
    List<String> ipv6 = saved("ip6tables").lines().toList();
    assertTrue(
        ipv6.contains("-A ALLOWDNS-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT"),
        String.join("\n", ipv6));
    assertTrue(ipv6.contains("-A INPUT -s 2001:db8::7/128 -j DROP"), String.join("\n", ipv6));
  }

  @Test
  void apply_twice_leavesExactlyTheSameRuleset() {
    allowdns("apply", "--sandbox-interface", "tap+", "--sandbox-interface", "vm-7");
    String ipv4 = saved("iptables");
    String ipv6 = saved("ip6tables");

    allowdns("apply", "--sandbox-interface", "tap+", "--sandbox-interface", "vm-7");

    assertEquals(ipv4, saved("iptables"));
    assertEquals(ipv6, saved("ip6tables"));
  }

  @Test
  void apply_otherPortsAndInterfaces_replacesTheEarlierRuleset() {
    List<String> second = List.of("apply", "--sandbox-interface", "fc+", "--dns-port", "5353",
        "--relay-port", "8443");
    allowdns("apply", "--sandbox-interface", "tap+", "--sandbox-interface", "vm-7");

    allowdns(second.toArray(String[]::new));
    String ipv4 = saved("iptables");
    String ipv6 = saved("ip6tables");

    for (String saved : List.of(ipv4, ipv6)) {
      assertFalse(saved.contains("tap+") || saved.contains("vm-7"), saved);
      assertFalse(saved.contains("1053") || saved.contains("15001"), saved);
      assertTrue(saved.contains("--to-ports 8443"), saved);
    }
    // The same ruleset as applying the second settings to the rules before allowdns:
    allowdns("remove");
    allowdns(second.toArray(String[]::new));
    assertEquals(ipv4, saved("iptables"));
    assertEquals(ipv6, saved("ip6tables"));
  }

  @Test
  void remove_leavesExactlyTheRulesetBeforeApply_andCanBeRepeated() {
    String ipv4 = saved("iptables");
    String ipv6 = saved("ip6tables");
    allowdns("apply", "--sandbox-interface", "tap+", "--sandbox-interface", "vm-7");
    assertTrue(saved("iptables").contains("ALLOWDNS-"), "apply installed nothing");

    assertEquals("removed\n", allowdns("remove").stdout());
    assertEquals(ipv4, saved("iptables"));
    assertEquals(ipv6, saved("ip6tables"));

    assertEquals("nothing to remove\n", allowdns("remove").stdout());
    assertEquals(ipv4, saved("iptables"));
    assertEquals(ipv6, saved("ip6tables"));
  }

  @Test
  void remove_withJumpsInAForeignChain_deletesThemTooAndNothingElse() {
    allowdns("apply", "--sandbox-interface", "tap+");
    String before = saved("iptables");
    ns.run("iptables", "-A", "FOREIGN", "-i", "tap9", "-j", "ALLOWDNS-INPUT").assertSuccess();

    allowdns("remove");

    String after = saved("iptables");
    assertFalse(after.contains("ALLOWDNS"), after);
    assertTrue(after.contains("-A FOREIGN -p udp -j RETURN"), after);
    assertTrue(before.contains("-A FOREIGN -p udp -j RETURN"), before);
  }

  @Test
  void applyWithUdpSinkAndProxy_thenRemoveWithTheSameFlags_leavesRulesetAndRoutesAsBefore() {
    foreignMangleRules();
    // Someone else's policy route: removal must leave it, and take only its own.
    ns.run("ip", "rule", "add", "pref", "100", "fwmark", "0x1", "lookup", "100").assertSuccess();
    ns.run("ip", "route", "add", "local", "192.0.2.0/24", "dev", "lo", "table", "100").assertSuccess();
    String before = snapshot();
    String[] flags = {
      "--sandbox-interface", "tap+", "--sandbox-interface", "vm-7", "--udp-sink-port", "15353",
      "--proxy-port", "3128"
    };

    allowdns(concat("apply", flags));
    String applied = snapshot();
    assertTrue(applied.contains("-j TPROXY --on-port 15353 --on-ip 127.0.0.1 --tproxy-mark 0x400000/0x400000"), applied);
    assertTrue(applied.contains("-j TPROXY --on-port 15353 --on-ip ::1 --tproxy-mark 0x400000/0x400000"), applied);
    assertTrue(applied.contains("-A ALLOWDNS-INPUT -p tcp -m tcp --dport 3128 -j ACCEPT"), applied);
    assertTrue(applied.contains("15300:\tfrom all fwmark 0x400000/0x400000 lookup 15300"), applied);
    assertEquals(
        2, applied.split("local default dev lo table 15300 ", -1).length - 1, "one route per family:\n" + applied);
    allowdns(concat("apply", flags));
    assertEquals(applied, snapshot(), "a second apply changes nothing, routes included");

    assertEquals("removed\n", allowdns(concat("remove", flags)).stdout());
    assertEquals(before, snapshot());
  }

  @Test
  void applyWithoutSink_overOneWithIt_takesTheSinkAndItsRoutesAway() {
    foreignMangleRules();
    allowdns("apply", "--sandbox-interface", "tap+");
    String withoutSink = snapshot();
    allowdns("remove");

    allowdns("apply", "--sandbox-interface", "tap+", "--udp-sink-port", "15353");
    allowdns("apply", "--sandbox-interface", "tap+");

    assertEquals(withoutSink, snapshot());
  }

  /**
   * Adds someone else's mangle rules, as hosts have: with iptables-nft a table, once made, stays
   * (empty) after its last rule goes, so a host without any mangle table would not look the same
   * again after apply and remove.
   */
  private void foreignMangleRules() {
    ns.run(command("iptables", "-t mangle -A PREROUTING -s 192.0.2.9/32 -j MARK --set-mark 0x1")).assertSuccess();
    ns.run(command("ip6tables", "-t mangle -A PREROUTING -s 2001:db8::9/128 -j MARK --set-mark 0x1")).assertSuccess();
    ns.run("ip", "link", "set", "lo", "up").assertSuccess();
  }

  private static String[] concat(String first, String... rest) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  /** Returns both rulesets, both families' policy rules and every route of every table. */
  private String snapshot() {
    return saved("iptables") + saved("ip6tables")
        + ns.run("ip", "-4", "rule", "show").assertSuccess().stdout()
        + ns.run("ip", "-6", "rule", "show").assertSuccess().stdout()
        + ns.run("ip", "-4", "route", "show", "table", "all").assertSuccess().stdout()
        + ns.run("ip", "-6", "route", "show", "table", "all").assertSuccess().stdout();
  }

  private ExternalCommand.Result allowdns(String... args) {
    List<String> full = new ArrayList<>(List.of("iptables"));
    full.addAll(List.of(args));
    return ns.run(AllowdnsJar.command(full.toArray(String[]::new))).assertSuccess();
  }

  /** Returns {@code iptables-save} (or ip6tables-save) output without comments and counters. */
  private String saved(String family) {
    String saved = ns.run(family + "-save").assertSuccess().stdout();
    return saved
        .lines()
        .filter(line -> !line.startsWith("#"))
        .map(line -> line.replaceAll("\\[\\d+:\\d+\\]$", "[0:0]"))
        .reduce("", (text, line) -> text + line + "\n");
  }

  private static List<String> rulesOf(List<String> saved, String chain) {
    return saved.stream().filter(line -> line.startsWith("-A " + chain + " ")).toList();
  }

  private static List<String> command(String program, String rule) {
    List<String> command = new ArrayList<>(List.of(program, "-w"));
    command.addAll(List.of(rule.split(" ")));
    return command;
  }
}
