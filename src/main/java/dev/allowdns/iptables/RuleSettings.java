package dev.allowdns.iptables;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * What the rules are made of: the sandbox interfaces (iptables names, {@code tap+} matches every
 * name that starts with {@code tap}), the resolver's port and the relay's port.
 *
 * @param sandboxInterfaces the interfaces sandbox traffic comes in on, in order, without repeats
 * @param dnsPort the port the resolver listens on (UDP and TCP)
 * @param relayPort the port the transparent TCP relay listens on
 * @param udpSinkPort the port of the UDP sink that other UDP is sent to by TPROXY; {@link #OFF}:
 *     no sink, such UDP is rejected
 * @param proxyPort the TCP port of the explicit proxy opened to sandboxes; {@link #OFF}: none
 */
public record RuleSettings(
    List<String> sandboxInterfaces, int dnsPort, int relayPort, int udpSinkPort, int proxyPort) {
  /** A port that is not used. */
  public static final int OFF = 0;

  /** The kernel's IFNAMSIZ (16) less the terminating NUL. */
  static final int MAX_INTERFACE_LENGTH = 15;

  /**
   * Validates the settings and drops repeated interfaces.
   *
   * @throws IllegalArgumentException naming the bad value and the rule it breaks
   */
  public RuleSettings {
    Objects.requireNonNull(sandboxInterfaces, "sandboxInterfaces");
    if (sandboxInterfaces.isEmpty()) {
      throw new IllegalArgumentException("at least one sandbox interface is required");
    }
    sandboxInterfaces.forEach(RuleSettings::checkInterface);
    sandboxInterfaces = List.copyOf(new LinkedHashSet<>(sandboxInterfaces));
    checkPort("DNS port", dnsPort);
    checkPort("relay port", relayPort);
    if (dnsPort == relayPort) {
      throw new IllegalArgumentException(
          "the DNS port and the relay port must differ, both are " + dnsPort);
    }
    if (udpSinkPort != OFF) {
      checkPort("UDP sink port", udpSinkPort);
      if (udpSinkPort == dnsPort) {
        throw new IllegalArgumentException(
            "the UDP sink port and the DNS port must differ, both are " + dnsPort);
      }
    }
    if (proxyPort != OFF) {
      checkPort("proxy port", proxyPort);
      if (proxyPort == dnsPort || proxyPort == relayPort) {
        throw new IllegalArgumentException(
            "the proxy port must differ from the DNS and relay ports, got " + proxyPort);
      }
    }
  }

  /** Settings without UDP sink and without explicit proxy. */
  public RuleSettings(List<String> sandboxInterfaces, int dnsPort, int relayPort) {
    this(sandboxInterfaces, dnsPort, relayPort, OFF, OFF);
  }

  /** Returns whether the sandbox's UDP other than DNS goes to the UDP sink. */
  public boolean udpSink() {
    return udpSinkPort != OFF;
  }

  private static void checkInterface(String name) {
    String problem = interfaceProblem(name);
    if (problem != null) {
      throw new IllegalArgumentException("sandbox interface '" + name + "' " + problem);
    }
  }

  /** Returns why {@code name} is not a safe iptables interface name, or null when it is. */
  private static String interfaceProblem(String name) {
    if (name.isEmpty()) {
      return "is empty";
    }
    if (name.length() > MAX_INTERFACE_LENGTH) {
      return "is longer than " + MAX_INTERFACE_LENGTH + " characters";
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '.'
              || c == '-'
              || c == '+';
      if (!allowed) {
        return "contains '" + c + "': allowed are letters, digits, '_', '.', '-' and a final '+'";
      }
      if (c == '+' && i != name.length() - 1) {
        return "has '+' before its end: '+' is a wildcard only as the last character";
      }
    }
    if (name.startsWith("-")) {
      return "starts with '-', which iptables would read as an option";
    }
    if (name.equals("+")) {
      // "-i +" matches every interface, loopback and uplink too: it would cut the host off.
      return "matches every interface: name a prefix, such as 'tap+'";
    }
    return null;
  }

  private static void checkPort(String what, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(what + " must be 1..65535, got " + port);
    }
  }
}
