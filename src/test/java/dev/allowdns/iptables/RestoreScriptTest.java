package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RestoreScriptTest {
  private static final RuleSettings TAP = new RuleSettings(List.of("tap+"), 1053, 15001);

  /** The reviewed output of {@code allowdns iptables print --sandbox-interface tap+}. */
  static String reviewedTapScripts() throws IOException {
    try (InputStream in =
        RestoreScriptTest.class.getResourceAsStream("/iptables/print-tap-plus-1053-15001.rules")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void install_tapWildcardOnDefaultPorts_isTheReviewedScript() throws IOException {
    String both =
        RestoreScript.install(TAP, IpFamily.IPV4) + RestoreScript.install(TAP, IpFamily.IPV6);
    assertEquals(reviewedTapScripts(), both);
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  void install_eachFamily_isHeadedByItsProgramAndCommitsNatThenFilter(IpFamily family) {
    String script = RestoreScript.install(TAP, family);
    List<String> lines = commands(script);

    assertTrue(script.startsWith("# " + family.restoreCommand() + "\n"), script);
    assertEquals("*nat", lines.get(0));
    assertEquals(2, lines.stream().filter("COMMIT"::equals).count());
    assertEquals("*filter", lines.get(lines.indexOf("COMMIT") + 1));
    assertEquals("COMMIT", lines.get(lines.size() - 1));
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  void install_dnsToAnyAddressAndAllOtherTcp_areRedirected(IpFamily family) {
    List<String> lines = commands(RestoreScript.install(TAP, family));

    assertEquals(
        List.of(
            "-A ALLOWDNS-PREROUTING -p udp -m udp --dport 53 -j REDIRECT --to-ports 1053",
            "-A ALLOWDNS-PREROUTING -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 1053",
            "-A ALLOWDNS-PREROUTING -p tcp -j REDIRECT --to-ports 15001"),
        rulesOf(lines, "ALLOWDNS-PREROUTING"));
  }

  @Test
  void install_ipv4Input_acceptsRepliesResolverAndRelayAndRejectsTheRest() {
    List<String> lines = commands(RestoreScript.install(TAP, IpFamily.IPV4));

    assertEquals(
        List.of(
            "-A ALLOWDNS-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A ALLOWDNS-INPUT -p udp -m udp --dport 1053 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p tcp -m tcp --dport 1053 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p tcp -m tcp --dport 15001 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p tcp -j REJECT --reject-with tcp-reset",
            "-A ALLOWDNS-INPUT -j REJECT --reject-with icmp-port-unreachable"),
        rulesOf(lines, "ALLOWDNS-INPUT"));
    assertEquals(
        List.of(
            "-A ALLOWDNS-FORWARD -p tcp -j REJECT --reject-with tcp-reset",
            "-A ALLOWDNS-FORWARD -j REJECT --reject-with icmp-port-unreachable"),
        rulesOf(lines, "ALLOWDNS-FORWARD"));
  }

  @Test
  void install_ipv6Input_alsoAcceptsNeighbourDiscoveryAndRejectsWithIcmp6() {
    List<String> lines = commands(RestoreScript.install(TAP, IpFamily.IPV6));

    assertEquals(
        List.of(
            "-A ALLOWDNS-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A ALLOWDNS-INPUT -p udp -m udp --dport 1053 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p tcp -m tcp --dport 1053 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p tcp -m tcp --dport 15001 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT",
            "-A ALLOWDNS-INPUT -p tcp -j REJECT --reject-with tcp-reset",
            "-A ALLOWDNS-INPUT -j REJECT --reject-with icmp6-port-unreachable"),
        rulesOf(lines, "ALLOWDNS-INPUT"));
    assertEquals(
        List.of(
            "-A ALLOWDNS-FORWARD -p tcp -j REJECT --reject-with tcp-reset",
            "-A ALLOWDNS-FORWARD -j REJECT --reject-with icmp6-port-unreachable"),
        rulesOf(lines, "ALLOWDNS-FORWARD"));
  }

  @Test
  void install_otherPorts_appearInRedirectsAndAcceptsOnly() {
    RuleSettings settings = new RuleSettings(List.of("vm1"), 5353, 8443);
    String script = RestoreScript.install(settings, IpFamily.IPV4);
    List<String> lines = commands(script);

    assertTrue(
        lines.containsAll(
            List.of(
                "-A ALLOWDNS-PREROUTING -p udp -m udp --dport 53 -j REDIRECT --to-ports 5353",
                "-A ALLOWDNS-PREROUTING -p tcp -m tcp --dport 53 -j REDIRECT --to-ports 5353",
                "-A ALLOWDNS-PREROUTING -p tcp -j REDIRECT --to-ports 8443",
                "-A ALLOWDNS-INPUT -p udp -m udp --dport 5353 -j ACCEPT",
                "-A ALLOWDNS-INPUT -p tcp -m tcp --dport 5353 -j ACCEPT",
                "-A ALLOWDNS-INPUT -p tcp -m tcp --dport 8443 -j ACCEPT")),
        script);
    assertFalse(script.contains("1053") || script.contains("15001"), script);
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  void install_severalInterfaces_getOneJumpEachAtTheTopOfEveryBuiltInChain(IpFamily family) {
    RuleSettings settings = new RuleSettings(List.of("tap+", "vm-7", "fc.tap+"), 1053, 15001, 15353, 0);
    List<String> lines = commands(RestoreScript.install(settings, family));

    for (OwnChain chain : OwnChain.values()) {
      String to = " -j " + chain.chainName();
      assertEquals(
          List.of(
              "-I " + chain.builtIn() + " 1 -i tap+" + to,
              "-I " + chain.builtIn() + " 2 -i vm-7" + to,
              "-I " + chain.builtIn() + " 3 -i fc.tap+" + to),
          lines.stream()
              .filter(line -> line.startsWith("-I " + chain.builtIn() + " ") && line.endsWith(to))
              .toList());
    }
  }

  @Test
  void install_overAnEarlierRuleset_deletesItsJumpsBeforeInsertingNewOnes() {
    InstalledRules installed =
        new InstalledRules(
            Set.of(OwnChain.PREROUTING, OwnChain.INPUT),
            List.of(
                new InstalledRules.Jump("nat", "-A PREROUTING -i old0 -j ALLOWDNS-PREROUTING"),
                new InstalledRules.Jump("filter", "-A INPUT -i old0 -j ALLOWDNS-INPUT"),
                new InstalledRules.Jump("filter", "-A INPUT -i old0 -j ALLOWDNS-INPUT")));
    List<String> lines = commands(RestoreScript.install(TAP, IpFamily.IPV4, installed));

    int natDeletion = lines.indexOf("-D PREROUTING -i old0 -j ALLOWDNS-PREROUTING");
    assertTrue(lines.indexOf("*nat") < natDeletion, lines.toString());
    assertTrue(natDeletion < lines.indexOf("-I PREROUTING 1 -i tap+ -j ALLOWDNS-PREROUTING"));
    assertTrue(natDeletion < lines.indexOf("COMMIT"));
    List<String> filterDeletions =
        lines.stream().filter(line -> line.equals("-D INPUT -i old0 -j ALLOWDNS-INPUT")).toList();
    assertEquals(2, filterDeletions.size(), "a repeated jump is deleted as often as it is there");
    String deletion = filterDeletions.get(0);
    assertTrue(lines.indexOf("*filter") < lines.indexOf(deletion), lines.toString());
    assertTrue(
        lines.lastIndexOf(deletion) < lines.indexOf("-I INPUT 1 -i tap+ -j ALLOWDNS-INPUT"),
        lines.toString());
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  void install_withUdpSink_tproxiesUdpButDnsAndAcceptsWhatItMarked(IpFamily family) {
    RuleSettings settings = new RuleSettings(List.of("tap+"), 1053, 15001, 15353, 0);
    List<String> lines = commands(RestoreScript.install(settings, family));

    int mangle = lines.indexOf("*mangle");
    assertTrue(mangle >= 0 && mangle < lines.indexOf("*nat"), lines.toString());
    String loopback = family == IpFamily.IPV4 ? "127.0.0.1" : "::1";
    assertEquals(
        List.of(
            "-A ALLOWDNS-UDP-SINK -p udp -m udp --dport 53 -j RETURN",
            "-A ALLOWDNS-UDP-SINK -p udp -m udp --dport 1053 -j RETURN",
            "-A ALLOWDNS-UDP-SINK -p udp -j TPROXY --on-port 15353 --on-ip " + loopback
                + " --tproxy-mark 0x400000/0x400000"),
        lines.stream().filter(l -> l.startsWith("-A ALLOWDNS-UDP-SINK")).toList());
    assertTrue(lines.contains("-I PREROUTING 1 -i tap+ -j ALLOWDNS-UDP-SINK"), lines.toString());
    int accept = lines.indexOf("-A ALLOWDNS-INPUT -p udp -m mark --mark 0x400000/0x400000 -j ACCEPT");
    int reject = lines.indexOf("-A ALLOWDNS-INPUT -j REJECT --reject-with " + family.portUnreachable());
    assertTrue(accept >= 0 && accept < reject, lines.toString());
  }

  @Test
  void install_withoutUdpSink_overOneWithIt_takesTheSinkChainAway() {
    InstalledRules installed =
        new InstalledRules(
            Set.of(OwnChain.UDP_SINK, OwnChain.PREROUTING),
            List.of(new InstalledRules.Jump("mangle", "-A PREROUTING -i tap+ -j ALLOWDNS-UDP-SINK")));
    List<String> lines = commands(RestoreScript.install(TAP, IpFamily.IPV4, installed));

    int mangle = lines.indexOf("*mangle");
    assertEquals(
        List.of("*mangle", "-D PREROUTING -i tap+ -j ALLOWDNS-UDP-SINK", "-F ALLOWDNS-UDP-SINK",
            "-X ALLOWDNS-UDP-SINK", "COMMIT"),
        lines.subList(mangle, mangle + 5));
    assertFalse(lines.stream().anyMatch(l -> l.contains("TPROXY")), lines.toString());
  }

  @ParameterizedTest
  @EnumSource(IpFamily.class)
  void install_withProxyPort_opensItAndKeepsItOutOfTheRelay(IpFamily family) {
    RuleSettings settings = new RuleSettings(List.of("tap+"), 1053, 15001, 0, 3128);
    List<String> lines = commands(RestoreScript.install(settings, family));

    int proxyReturn =
        lines.indexOf("-A ALLOWDNS-PREROUTING -p tcp -m tcp --dport 3128 -m addrtype --dst-type LOCAL -j RETURN");
    assertTrue(proxyReturn >= 0, lines.toString());
    assertTrue(proxyReturn < lines.indexOf("-A ALLOWDNS-PREROUTING -p tcp -j REDIRECT --to-ports 15001"));
    assertTrue(lines.contains("-A ALLOWDNS-INPUT -p tcp -m tcp --dport 3128 -j ACCEPT"), lines.toString());
    assertFalse(lines.contains("*mangle"), "no sink, no mangle table: " + lines);
  }

  @Test
  void removal_nothingInstalled_isNoScript() {
    assertEquals(Optional.empty(), RestoreScript.removal(IpFamily.IPV4, InstalledRules.NONE));
  }

  @Test
  void removal_deletesTheJumpsThenEmptiesAndDeletesTheChains() {
    InstalledRules installed =
        new InstalledRules(
            Set.of(OwnChain.PREROUTING, OwnChain.INPUT, OwnChain.FORWARD),
            List.of(
                new InstalledRules.Jump("nat", "-A PREROUTING -i tap+ -j ALLOWDNS-PREROUTING"),
                new InstalledRules.Jump("filter", "-A INPUT -i tap+ -j ALLOWDNS-INPUT"),
                new InstalledRules.Jump("filter", "-A FORWARD -i tap+ -j ALLOWDNS-FORWARD")));

    assertEquals(
        """
        # ip6tables-restore
        # Removes the allowdns jumps and chains; other rules stay as they are.
        *nat
        -D PREROUTING -i tap+ -j ALLOWDNS-PREROUTING
        -F ALLOWDNS-PREROUTING
        -X ALLOWDNS-PREROUTING
        COMMIT
        *filter
        -D INPUT -i tap+ -j ALLOWDNS-INPUT
        -D FORWARD -i tap+ -j ALLOWDNS-FORWARD
        -F ALLOWDNS-INPUT
        -X ALLOWDNS-INPUT
        -F ALLOWDNS-FORWARD
        -X ALLOWDNS-FORWARD
        COMMIT
        """,
        RestoreScript.removal(IpFamily.IPV6, installed).orElseThrow());
  }

  @Test
  void removal_chainsOnlyInFilter_leavesNatAlone() {
    InstalledRules installed = new InstalledRules(Set.of(OwnChain.FORWARD), List.of());

    String script = RestoreScript.removal(IpFamily.IPV4, installed).orElseThrow();

    assertFalse(script.contains("*nat"), script);
    assertTrue(
        script.endsWith("*filter\n-F ALLOWDNS-FORWARD\n-X ALLOWDNS-FORWARD\nCOMMIT\n"), script);
  }

  /** Returns the script's lines without comments. */
  private static List<String> commands(String script) {
    return script.lines().filter(line -> !line.startsWith("#")).toList();
  }

  private static List<String> rulesOf(List<String> lines, String chain) {
    return lines.stream().filter(line -> line.startsWith("-A " + chain + " ")).toList();
  }
}
