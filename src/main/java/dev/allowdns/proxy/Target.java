package dev.allowdns.proxy;

import com.google.common.net.InetAddresses;
import dev.allowdns.policy.DomainName;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where a proxy request wants to go: the {@code CONNECT} authority or the absolute URI's host and
 * port, with the name normalised as rules match it. Immutable.
 *
 * @param host the normalised name, or the IP literal's text
 * @param address the IP literal's address, or {@code null} for a name
 * @param port the destination port
 * @param originForm for absolute-form requests, the path and query to send a destination directly
 */
record Target(String host, InetAddress address, int port, String originForm) {
  /** A request that names no destination a proxy can go to; the message says why. */
  static final class BadTarget extends Exception {
    BadTarget(String message) {
      super(message, null, false, false);
    }
  }

  boolean isLiteral() {
    return address != null;
  }

  /** Returns {@code host:port} as a CONNECT or a Host header writes it. */
  String authority() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Reads the destination of {@code request}.
   *
   * @throws BadTarget for origin-form requests, other schemes, a missing port on CONNECT, or a
   *     name that is not a DNS name
   */
  static Target of(HttpRequest request) throws BadTarget {
    String uri = request.uri();
    if (request.method().equals(HttpMethod.CONNECT)) {
      int colon = uri.lastIndexOf(':');
      if (colon <= 0 || uri.endsWith("]")) {
        throw new BadTarget("CONNECT needs host:port, got '" + printable(uri) + "'");
      }
      return named(uri.substring(0, colon), port(uri.substring(colon + 1), uri), null);
    }
    if (uri.startsWith("/")) {
      throw new BadTarget("this is a proxy: send absolute-form requests (GET http://host/path) or CONNECT");
    }
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw new BadTarget("not a URI: '" + printable(uri) + "'");
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http")) {
      throw new BadTarget("only http:// URIs are forwarded (use CONNECT for https), got '" + printable(scheme) + "'");
    }
    if (parsed.getHost() == null) {
      throw new BadTarget("no host in '" + printable(uri) + "'");
    }
    String path = parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/" : parsed.getRawPath();
    String origin = parsed.getRawQuery() == null ? path : path + "?" + parsed.getRawQuery();
    int port = parsed.getPort() < 0 ? 80 : parsed.getPort();
    if (port < 1 || port > 65535) { // java.net.URI takes any int (found by ProxyHeadFuzzTest)
      throw new BadTarget("bad port in '" + printable(uri) + "' (expected 1..65535)");
    }
    return named(parsed.getHost(), port, origin);
  }

  private static Target named(String rawHost, int port, String origin) throws BadTarget {
    String host = rawHost.startsWith("[") && rawHost.endsWith("]") ? rawHost.substring(1, rawHost.length() - 1) : rawHost;
    if (InetAddresses.isInetAddress(host) && host.indexOf('%') < 0) {
      InetAddress address = InetAddresses.forString(host);
      return new Target(InetAddresses.toAddrString(address), address, port, origin);
    }
    try {
      return new Target(DomainName.normalize(host), null, port, origin);
    } catch (IllegalArgumentException e) {
      throw new BadTarget("'" + printable(host) + "' is not a DNS name: " + e.getMessage());
    }
  }

  private static int port(String text, String uri) throws BadTarget {
    try {
      int port = Integer.parseInt(text);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new BadTarget("bad port in '" + printable(uri) + "' (expected 1..65535)");
  }

  /** Returns {@code text} safe to echo in a response or a log: printable ASCII, bounded. */
  static String printable(String text) {
    String shown = text.length() > 200 ? text.substring(0, 200) + "…" : text;
    return shown.replaceAll("[^\\x20-\\x7e…]", "?");
  }
}
