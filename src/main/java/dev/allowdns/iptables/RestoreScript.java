package dev.allowdns.iptables;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes the {@code iptables-restore} / {@code ip6tables-restore} scripts, in the form {@code
 * --noflush} accepts: one table at a time, each closed by {@code COMMIT}, so that the kernel swaps
 * in each table whole. Pure text: nothing here runs a program.
 *
 * <p>For traffic that comes in on a sandbox interface:
 *
 * <ul>
 *   <li>nat {@code PREROUTING}: DNS (UDP and TCP port 53, to any address) is redirected to the
 *       resolver, every other TCP connection to the relay;
 *   <li>filter {@code INPUT}: replies, the resolver and the relay are accepted, and for IPv6 the
 *       neighbour discovery the link needs; everything else is rejected;
 *   <li>filter {@code FORWARD}: everything is rejected, so nothing is routed past allowdns.
 * </ul>
 */
public final class RestoreScript {
  /** ICMPv6 router solicitation and advertisement, neighbour solicitation and advertisement. */
  private static final List<Integer> NEIGHBOUR_DISCOVERY_TYPES = List.of(133, 134, 135, 136);

  private RestoreScript() {}

  /**
   * Returns the script that installs the rules for {@code family} on a host without allowdns
   * rules: what {@code allowdns iptables print} shows. Its chain declarations create the allowdns
   * chains or, under {@code --noflush}, empty them.
   */
  public static String install(RuleSettings settings, IpFamily family) {
    return install(settings, family, InstalledRules.NONE);
  }

  /**
   * Returns the script that installs the rules for {@code family} over what is {@code installed}:
   * it also deletes the jumps found there before inserting new ones, so loading it over an
   * earlier allowdns ruleset replaces that ruleset.
   */
  static String install(RuleSettings settings, IpFamily family, InstalledRules installed) {
    List<String> out = new ArrayList<>();
    String interfaces = String.join(" ", settings.sandboxInterfaces());
    String restore = family.restoreCommand();
    out.add("# " + restore);
    out.add("# allowdns, for traffic that comes in on " + interfaces + ":");
    out.add("#   DNS (port 53, to any address) goes to the resolver on port " + settings.dnsPort());
    out.add("#   all other TCP goes to the relay on port " + settings.relayPort());
    if (settings.udpSink()) {
      out.add("#   all other UDP goes to the UDP sink on port " + settings.udpSinkPort()
          + " (TPROXY; needs `allowdns iptables apply`'s policy route)");
    }
    if (settings.proxyPort() != RuleSettings.OFF) {
      out.add("#   the explicit proxy on this host's TCP port " + settings.proxyPort() + " is open");
    }
    out.add("#   nothing else reaches this host or is routed.");
    out.add("# Load with `" + restore + " --noflush`. `allowdns iptables apply` does that and");
    out.add("# first deletes earlier allowdns jumps, so that loading again does not repeat them.");
    addMangleTable(out, settings, family, installed);
    addNatTable(out, settings, installed);
    addFilterTable(out, settings, family, installed);
    return text(out);
  }

  /**
   * Returns the script that deletes the jumps and chains in {@code installed}, touching no other
   * rule; empty when nothing is installed.
   */
  static Optional<String> removal(IpFamily family, InstalledRules installed) {
    if (installed.isEmpty()) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>();
    out.add("# " + family.restoreCommand());
    out.add("# Removes the allowdns jumps and chains; other rules stay as they are.");
    for (String table : OwnChain.TABLES) {
      List<String> commands = new ArrayList<>();
      for (InstalledRules.Jump jump : installed.jumps()) {
        if (jump.table().equals(table)) {
          commands.add(jump.deletion());
        }
      }
      for (OwnChain chain : OwnChain.values()) {
        if (chain.table().equals(table) && installed.chains().contains(chain)) {
          commands.add("-F " + chain.chainName());
          commands.add("-X " + chain.chainName());
        }
      }
      if (!commands.isEmpty()) {
        out.add("*" + table);
        out.addAll(commands);
        out.add("COMMIT");
      }
    }
    return Optional.of(text(out));
  }

  /**
   * With a UDP sink: UDP other than DNS is handed to the sink's socket by TPROXY, which keeps the
   * original destination and marks the packet so that the policy route ({@link PolicyRoute})
   * delivers it locally. Without one, an earlier ruleset's sink chain is taken away.
   */
  private static void addMangleTable(
      List<String> out, RuleSettings settings, IpFamily family, InstalledRules installed) {
    OwnChain sink = OwnChain.UDP_SINK;
    if (!settings.udpSink()) {
      List<String> commands = new ArrayList<>();
      installed.jumps().stream()
          .filter(jump -> jump.table().equals(sink.table()))
          .forEach(jump -> commands.add(jump.deletion()));
      if (installed.chains().contains(sink)) {
        commands.add("-F " + sink.chainName());
        commands.add("-X " + sink.chainName());
      }
      if (!commands.isEmpty()) {
        out.add("*" + sink.table());
        out.add("# The earlier ruleset's UDP sink, which these settings do not have.");
        out.addAll(commands);
        out.add("COMMIT");
      }
      return;
    }
    String chain = "-A " + sink.chainName();
    out.add("*" + sink.table());
    out.add(declaration(sink));
    addJumpDeletions(out, sink.table(), installed);
    out.add("# DNS stays with the resolver; every other UDP datagram goes to the UDP sink, which");
    out.add("# records it (original destination kept by TPROXY) and drops it.");
    out.add(chain + " -p udp -m udp --dport 53 -j RETURN");
    if (settings.dnsPort() != 53) {
      out.add(chain + " -p udp -m udp --dport " + settings.dnsPort() + " -j RETURN");
    }
    out.add(
        chain
            + " -p udp -j TPROXY --on-port "
            + settings.udpSinkPort()
            + " --on-ip "
            + family.loopback()
            + " --tproxy-mark "
            + PolicyRoute.MARK);
    addJumps(out, settings, sink);
    out.add("COMMIT");
  }

  private static void addNatTable(
      List<String> out, RuleSettings settings, InstalledRules installed) {
    String chain = "-A " + OwnChain.PREROUTING.chainName();
    out.add("*nat");
    out.add(declaration(OwnChain.PREROUTING));
    addJumpDeletions(out, "nat", installed);
    out.add("# DNS to any address is answered by allowdns; every other TCP connection goes to the");
    out.add("# relay, which reads its original destination (SO_ORIGINAL_DST).");
    out.add(chain + " -p udp -m udp --dport 53 -j REDIRECT --to-ports " + settings.dnsPort());
    out.add(chain + " -p tcp -m tcp --dport 53 -j REDIRECT --to-ports " + settings.dnsPort());
    if (settings.proxyPort() != RuleSettings.OFF) {
      out.add("# The explicit proxy on this host is reached as it is, not through the relay.");
      out.add(
          chain + " -p tcp -m tcp --dport " + settings.proxyPort()
              + " -m addrtype --dst-type LOCAL -j RETURN");
    }
    out.add(chain + " -p tcp -j REDIRECT --to-ports " + settings.relayPort());
    addJumps(out, settings, OwnChain.PREROUTING);
    out.add("COMMIT");
  }

  private static void addFilterTable(
      List<String> out, RuleSettings settings, IpFamily family, InstalledRules installed) {
    String input = "-A " + OwnChain.INPUT.chainName();
    out.add("*filter");
    out.add(declaration(OwnChain.INPUT));
    out.add(declaration(OwnChain.FORWARD));
    addJumpDeletions(out, "filter", installed);
    out.add("# From sandboxes this host accepts only replies, the resolver and the relay.");
    out.add(input + " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    out.add(input + " -p udp -m udp --dport " + settings.dnsPort() + " -j ACCEPT");
    out.add(input + " -p tcp -m tcp --dport " + settings.dnsPort() + " -j ACCEPT");
    out.add(input + " -p tcp -m tcp --dport " + settings.relayPort() + " -j ACCEPT");
    if (settings.proxyPort() != RuleSettings.OFF) {
      out.add(input + " -p tcp -m tcp --dport " + settings.proxyPort() + " -j ACCEPT");
    }
    if (settings.udpSink()) {
      out.add("# UDP that TPROXY handed to the UDP sink (marked in mangle PREROUTING).");
      out.add(input + " -p udp -m mark --mark " + PolicyRoute.MARK + " -j ACCEPT");
    }
    if (family == IpFamily.IPV6) {
      out.add("# Neighbour discovery (RFC 4861 section 4): without it the link does not work.");
      for (int type : NEIGHBOUR_DISCOVERY_TYPES) {
        out.add(input + " -p ipv6-icmp -m icmp6 --icmpv6-type " + type + " -j ACCEPT");
      }
    }
    addRejectEverything(out, OwnChain.INPUT, family);
    out.add("# Nothing from sandboxes is routed: their DNS and TCP were redirected to this host.");
    addRejectEverything(out, OwnChain.FORWARD, family);
    addJumps(out, settings, OwnChain.INPUT);
    addJumps(out, settings, OwnChain.FORWARD);
    out.add("COMMIT");
  }

  private static String declaration(OwnChain chain) {
    return ":" + chain.chainName() + " - [0:0]";
  }

  private static void addJumpDeletions(List<String> out, String table, InstalledRules installed) {
    List<InstalledRules.Jump> jumps =
        installed.jumps().stream().filter(jump -> jump.table().equals(table)).toList();
    if (!jumps.isEmpty()) {
      out.add("# Earlier allowdns jumps, replaced below.");
      jumps.forEach(jump -> out.add(jump.deletion()));
    }
  }

  /**
   * Inserts one jump per interface at the top of the built-in chain, in the order given, so that
   * no rule already there can let sandbox traffic around allowdns.
   */
  private static void addJumps(List<String> out, RuleSettings settings, OwnChain chain) {
    out.add("# Jumps first in " + chain.builtIn() + ", one per sandbox interface.");
    int position = 1;
    for (String sandboxInterface : settings.sandboxInterfaces()) {
      out.add(
          "-I "
              + chain.builtIn()
              + " "
              + position++
              + " -i "
              + sandboxInterface
              + " -j "
              + chain.chainName());
    }
  }

  private static void addRejectEverything(List<String> out, OwnChain chain, IpFamily family) {
    String append = "-A " + chain.chainName();
    out.add(append + " -p tcp -j REJECT --reject-with tcp-reset");
    out.add(append + " -j REJECT --reject-with " + family.portUnreachable());
  }

  private static String text(List<String> lines) {
    return String.join("\n", lines) + "\n";
  }
}
