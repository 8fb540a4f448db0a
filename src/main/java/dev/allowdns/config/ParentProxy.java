package dev.allowdns.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A parent (corporate) HTTP proxy, written {@code http://HOST:PORT}: the form of {@code
 * upstream_proxy} and of a zone's {@code @proxy} line. Immutable.
 *
 * @param host an IP literal or a host name (resolved by the host's own resolver when connecting),
 *     lower case, IPv6 without brackets
 * @param port 1..65535
 */
public record ParentProxy(String host, int port) {
  private static final String FORM = "expected http://HOST:PORT";

  public ParentProxy {
    if (host == null || host.isEmpty() || port < 1 || port > 65535) {
      throw new IllegalArgumentException("a parent proxy needs a host and a port 1..65535");
    }
  }

  /**
   * Parses {@code http://HOST:PORT}. Credentials in the URL are refused: they belong in the
   * root-only auth file, never in a file that errors and logs may quote.
   *
   * @throws IllegalArgumentException saying what is wrong, never repeating credentials
   */
  public static ParentProxy parse(String url) {
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL (" + FORM + ")");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "a proxy URL must not carry credentials (put them in upstream_proxy_auth_file)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http")) {
      throw new IllegalArgumentException("'" + url + "' has scheme '" + scheme + "' (" + FORM + ")");
    }
    String host = uri.getHost();
    if (host == null || uri.getPort() < 1) {
      throw new IllegalArgumentException("'" + url + "' needs a host and a port (" + FORM + ")");
    }
    String path = uri.getRawPath();
    if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
      throw new IllegalArgumentException("'" + url + "' has a path (" + FORM + ")");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new ParentProxy(host.toLowerCase(Locale.ROOT), uri.getPort());
  }

  /** Returns {@code HOST:PORT}, IPv6 in brackets: the record's {@code via} and the auth file's key. */
  public String label() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return label();
  }
}
