package dev.allowdns.iptables;

/** An address family, with the binaries and reject message that differ between the two. */
public enum IpFamily {
  IPV4("iptables", "icmp-port-unreachable"),
  IPV6("ip6tables", "icmp6-port-unreachable");

  private final String command;
  private final String portUnreachable;

  IpFamily(String command, String portUnreachable) {
    this.command = command;
    this.portUnreachable = portUnreachable;
  }

  /** Returns the rule command: {@code iptables} or {@code ip6tables}. */
  String command() {
    return command;
  }

  /** Returns the loader of whole scripts: {@code iptables-restore} or {@code ip6tables-restore}. */
  String restoreCommand() {
    return command + "-restore";
  }

  /** Returns the {@code --reject-with} value for everything but TCP. */
  String portUnreachable() {
    return portUnreachable;
  }
}
