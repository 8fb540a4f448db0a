package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class InstalledRulesTest {
  private static final String NAT =
      """
      -P PREROUTING ACCEPT
      -P INPUT ACCEPT
      -P OUTPUT ACCEPT
      -P POSTROUTING ACCEPT
      -N ALLOWDNS-PREROUTING
      -A PREROUTING -i tap+ -j ALLOWDNS-PREROUTING
      -A PREROUTING -s 192.0.2.8/32 -j ACCEPT
      -A ALLOWDNS-PREROUTING -p tcp -j REDIRECT --to-ports 15001
      """;
  private static final String FILTER =
      """
      -P INPUT ACCEPT
      -P FORWARD ACCEPT
      -P OUTPUT ACCEPT
      -N ALLOWDNS-FORWARD
      -N ALLOWDNS-INPUT
      -N FOREIGN
      -A INPUT -i vm1 -j ALLOWDNS-INPUT
      -A INPUT -s 192.0.2.7/32 -j DROP
      -A INPUT -m comment --comment "not -j ALLOWDNS-INPUT" -j ACCEPT
      -A FORWARD -i vm1 -j ALLOWDNS-FORWARD
      -A FOREIGN -i tap3 -g ALLOWDNS-FORWARD
      -A ALLOWDNS-INPUT -j ALLOWDNS-FORWARD
      """;

  @Test
  void parse_listings_findAllowdnsChainsAndEveryJumpFromOtherChains() {
    InstalledRules installed = InstalledRules.parse(Map.of("nat", NAT, "filter", FILTER));

    assertEquals(Set.of(OwnChain.PREROUTING, OwnChain.INPUT, OwnChain.FORWARD), installed.chains());
    assertEquals(
        List.of(
            new InstalledRules.Jump("nat", "-A PREROUTING -i tap+ -j ALLOWDNS-PREROUTING"),
            new InstalledRules.Jump("filter", "-A INPUT -i vm1 -j ALLOWDNS-INPUT"),
            new InstalledRules.Jump("filter", "-A FORWARD -i vm1 -j ALLOWDNS-FORWARD"),
            new InstalledRules.Jump("filter", "-A FOREIGN -i tap3 -g ALLOWDNS-FORWARD")),
        installed.jumps());
  }

  @Test
  void parse_allowdnsChainNameInTheWrongTable_isNotOurs() {
    InstalledRules installed =
        InstalledRules.parse(
            Map.of("nat", "-N ALLOWDNS-INPUT\n-A PREROUTING -j ALLOWDNS-INPUT\n", "filter", ""));
    assertTrue(installed.isEmpty(), installed.toString());
  }

  @Test
  void parse_emptyListings_isNothingInstalled() {
    assertTrue(InstalledRules.parse(Map.of()).isEmpty());
    assertTrue(InstalledRules.parse(Map.of("nat", "-P PREROUTING ACCEPT\n")).isEmpty());
  }

  @Test
  void deletion_ofAListedJump_isTheSameRuleWithD() {
    assertEquals(
        "-D INPUT -i tap+ -j ALLOWDNS-INPUT",
        new InstalledRules.Jump("filter", "-A INPUT -i tap+ -j ALLOWDNS-INPUT").deletion());
  }

  @Test
  void words_quotedTextWithEscapes_isOneWord() {
    assertEquals(
        List.of("-A", "INPUT", "-m", "comment", "--comment", "say \"hi\" -j X", "-j", "ACCEPT"),
        InstalledRules.words("-A INPUT -m comment --comment \"say \\\"hi\\\" -j X\" -j ACCEPT"));
  }
}
