package dev.allowdns.iptables;

import java.util.ArrayList;
import java.util.List;

/**
 * The policy route TPROXY needs (kernel Documentation/networking/tproxy.rst): datagrams that the
 * UDP sink rule marked are looked up in a table of their own, whose one route says every address
 * is local, so they are delivered to the sink's socket instead of being forwarded. Installed per
 * family with {@code ip rule} and {@code ip route}; found again by its priority, mark and table,
 * so removal takes exactly this and nothing else.
 */
final class PolicyRoute {
  /** The packet mark (value/mask) of datagrams handed to the sink: one bit of allowdns's own. */
  static final String MARK = "0x400000/0x400000";
  /** The routing table and the rule's priority. */
  static final int TABLE = 15300;

  private PolicyRoute() {}

  /** What of the policy route is installed in one family. */
  record Installed(boolean rule, boolean route) {
    boolean isEmpty() {
      return !rule && !route;
    }
  }

  /** Returns the {@code ip} commands that install the policy route over what is installed. */
  static List<List<String>> install(IpFamily family, Installed installed) {
    List<List<String>> commands = new ArrayList<>();
    // replace: loading twice leaves one route, as a second apply must.
    commands.add(ip(family, "route", "replace", "local", family.everything(), "dev", "lo", "table", table()));
    if (!installed.rule()) {
      commands.add(ip(family, "rule", "add", "pref", table(), "fwmark", MARK, "lookup", table()));
    }
    return commands;
  }

  /** Returns the {@code ip} commands that delete what is installed. */
  static List<List<String>> removal(IpFamily family, Installed installed) {
    List<List<String>> commands = new ArrayList<>();
    if (installed.rule()) {
      commands.add(ip(family, "rule", "del", "pref", table(), "fwmark", MARK, "lookup", table()));
    }
    if (installed.route()) {
      commands.add(ip(family, "route", "del", "local", family.everything(), "dev", "lo", "table", table()));
    }
    return commands;
  }

  /** Returns the command that lists the rules, for {@link #parse}. */
  static List<String> listRules(IpFamily family) {
    return ip(family, "rule", "show");
  }

  /**
   * Returns the command that lists the routes of every table, for {@link #parse}: asking for a
   * table that does not exist is an error, not an empty list.
   */
  static List<String> listRoutes(IpFamily family) {
    return ip(family, "route", "show", "table", "all");
  }

  /**
   * Reads {@code ip rule show} ({@code 15300:\tfrom all fwmark 0x400000/0x400000 lookup 15300})
   * and {@code ip route show table all} ({@code local default dev lo table 15300 scope host}).
   */
  static Installed parse(String rules, String routes) {
    boolean rule =
        rules.lines()
            .map(String::strip)
            .anyMatch(
                line ->
                    line.startsWith(table() + ":")
                        && line.contains("fwmark " + MARK)
                        && line.endsWith("lookup " + table()));
    boolean route =
        routes.lines()
            .map(String::strip)
            .anyMatch(
                line -> line.startsWith("local default dev lo ") && line.contains(" table " + table() + " "));
    return new Installed(rule, route);
  }

  private static String table() {
    return Integer.toString(TABLE);
  }

  private static List<String> ip(IpFamily family, String... args) {
    List<String> command = new ArrayList<>(List.of("ip", family.ipOption()));
    command.addAll(List.of(args));
    return command;
  }
}
