package dev.allowdns.iptables;

import java.util.List;

/** The chains allowdns owns, each jumped to from the built-in chain of the same name. */
enum OwnChain {
  PREROUTING("nat"),
  INPUT("filter"),
  FORWARD("filter");

  /** The tables that hold the chains, in the order the scripts write them. */
  static final List<String> TABLES = List.of("nat", "filter");

  private final String table;

  OwnChain(String table) {
    this.table = table;
  }

  /** Returns the table that holds this chain. */
  String table() {
    return table;
  }

  /** Returns the built-in chain that jumps here. */
  String builtIn() {
    return name();
  }

  /** Returns the chain's name, e.g. {@code ALLOWDNS-INPUT}. */
  String chainName() {
    return "ALLOWDNS-" + name();
  }
}
