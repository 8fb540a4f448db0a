package dev.allowdns.iptables;

import java.util.List;

/** The chains allowdns owns, each jumped to from a built-in chain of its table. */
enum OwnChain {
  /** Sends UDP other than DNS to the UDP sink (TPROXY); installed only with a sink. */
  UDP_SINK("mangle", "PREROUTING", "ALLOWDNS-UDP-SINK"),
  PREROUTING("nat", "PREROUTING", "ALLOWDNS-PREROUTING"),
  INPUT("filter", "INPUT", "ALLOWDNS-INPUT"),
  FORWARD("filter", "FORWARD", "ALLOWDNS-FORWARD");

  /** The tables that hold the chains, in the order the scripts write them. */
  static final List<String> TABLES = List.of("mangle", "nat", "filter");

  private final String table;
  private final String builtIn;
  private final String chainName;

  OwnChain(String table, String builtIn, String chainName) {
    this.table = table;
    this.builtIn = builtIn;
    this.chainName = chainName;
  }

  /** Returns the table that holds this chain. */
  String table() {
    return table;
  }

  /** Returns the built-in chain that jumps here. */
  String builtIn() {
    return builtIn;
  }

  /** Returns the chain's name, e.g. {@code ALLOWDNS-INPUT}. */
  String chainName() {
    return chainName;
  }
}
