package dev.allowdns.config;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * An IP address and port written as {@code HOST:PORT} or, for IPv6, {@code [ADDR]:PORT}.
 *
 * @param address an IP literal (host names are not resolved: allowdns must not depend on DNS)
 * @param port 1..65535 (0 is allowed for listen addresses in tests: the kernel picks)
 */
public record HostPort(InetAddress address, int port) {
  public HostPort {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
  }

  /**
   * Parses {@code HOST:PORT}, {@code [IPV6]:PORT}, or, when {@code defaultPort} is positive, a bare
   * {@code HOST} or {@code IPV6}.
   *
   * @throws IllegalArgumentException stating the expected form and showing the value
   */
  public static HostPort parse(String text, int defaultPort) {
    String value = text.trim();
    String host;
    String port = null;
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("expected [IPV6]:PORT, got '" + text + "'");
      }
      host = value.substring(1, close);
      String rest = value.substring(close + 1);
      if (rest.startsWith(":")) {
        port = rest.substring(1);
      } else if (!rest.isEmpty()) {
        throw new IllegalArgumentException("expected [IPV6]:PORT, got '" + text + "'");
      }
    } else if (value.indexOf(':') != value.lastIndexOf(':')) {
      host = value; // a bare IPv6 address
    } else {
      int colon = value.indexOf(':');
      host = colon < 0 ? value : value.substring(0, colon);
      port = colon < 0 ? null : value.substring(colon + 1);
    }
    if (!InetAddresses.isInetAddress(host)) {
      throw new IllegalArgumentException("expected an IP address in '" + text + "', got '" + host + "'");
    }
    int portNumber;
    if (port == null) {
      if (defaultPort <= 0) {
        throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "' (no port)");
      }
      portNumber = defaultPort;
    } else {
      try {
        portNumber = Integer.parseInt(port);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("expected a port number in '" + text + "', got '" + port + "'");
      }
    }
    return new HostPort(InetAddresses.forString(host), portNumber);
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(address, port);
  }

  @Override
  public String toString() {
    return InetAddresses.toUriString(address) + ":" + port;
  }
}
