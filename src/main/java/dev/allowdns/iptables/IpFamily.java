package dev.allowdns.iptables;

/** An address family, with the binaries and reject message that differ between the two. */
public enum IpFamily {
  IPV4("iptables", "icmp-port-unreachable", "-4", "127.0.0.1", "0.0.0.0/0"),
  IPV6("ip6tables", "icmp6-port-unreachable", "-6", "::1", "::/0");

  private final String command;
  private final String portUnreachable;
  private final String ipOption;
  private final String loopback;
  private final String everything;

  IpFamily(String command, String portUnreachable, String ipOption, String loopback, String everything) {
    this.command = command;
    this.portUnreachable = portUnreachable;
    this.ipOption = ipOption;
    this.loopback = loopback;
    this.everything = everything;
  }

  /** Returns the family option of {@code ip}: {@code -4} or {@code -6}. */
  String ipOption() {
    return ipOption;
  }

  /** Returns the loopback address, where TPROXY hands datagrams to the UDP sink. */
  String loopback() {
    return loopback;
  }

  /** Returns the prefix of every address: {@code 0.0.0.0/0} or {@code ::/0}. */
  String everything() {
    return everything;
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
