package dev.allowdns.config;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Destinations that go direct although {@code upstream_proxy} is set, by Go's {@code NO_PROXY}
 * rules: {@code *} matches everything; a CIDR or an IP matches the destination address;
 * {@code .corp.example} (or {@code *.corp.example}) matches the names below corp.example;
 * {@code corp.example} matches it and the names below; {@code NAME:PORT} matches that port only.
 * Immutable.
 */
public final class NoProxy {
  /** Nothing goes direct. */
  public static final NoProxy NONE = new NoProxy(List.of(), List.of(), false);

  private record NamePattern(String name, boolean belowOnly, int port) {}

  private final List<Cidr> networks;
  private final List<NamePattern> names;
  private final boolean everything;

  private NoProxy(List<Cidr> networks, List<NamePattern> names, boolean everything) {
    this.networks = List.copyOf(networks);
    this.names = List.copyOf(names);
    this.everything = everything;
  }

  /**
   * Parses the entries of {@code no_proxy} (each may also be a comma-separated list, as in the
   * environment variable).
   *
   * @throws IllegalArgumentException naming the entry that is neither a CIDR, an IP nor a name
   */
  public static NoProxy parse(List<String> entries) {
    List<Cidr> networks = new ArrayList<>();
    List<NamePattern> names = new ArrayList<>();
    boolean everything = false;
    for (String list : entries) {
      for (String raw : list.split(",")) {
        String entry = raw.strip().toLowerCase(Locale.ROOT);
        if (entry.isEmpty()) {
          continue;
        }
        if (entry.equals("*")) {
          everything = true;
        } else if (entry.indexOf('/') >= 0) {
          networks.add(Cidr.parse(entry));
        } else if (InetAddresses.isInetAddress(stripBrackets(entry))) {
          InetAddress address = InetAddresses.forString(stripBrackets(entry));
          networks.add(new Cidr(address, address.getAddress().length * 8));
        } else {
          names.add(namePattern(entry, raw));
        }
      }
    }
    return new NoProxy(networks, names, everything);
  }

  private static NamePattern namePattern(String entry, String raw) {
    int port = 0;
    String name = entry;
    int colon = entry.lastIndexOf(':');
    if (colon > 0) {
      try {
        port = Integer.parseInt(entry.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("'" + raw.strip() + "' has a bad port (expected NAME:1..65535)");
      }
      name = entry.substring(0, colon);
    }
    boolean belowOnly = name.startsWith(".") || name.startsWith("*.");
    name = name.substring(name.startsWith("*.") ? 2 : belowOnly ? 1 : 0);
    if (name.endsWith(".")) {
      name = name.substring(0, name.length() - 1);
    }
    if (name.isEmpty() || !name.matches("[a-z0-9_.-]+") || name.contains("..")) {
      throw new IllegalArgumentException(
          "'" + raw.strip() + "' is not a CIDR, an IP or a name (expected 10.0.0.0/8, .corp.example or corp.example)");
    }
    return new NamePattern(name, belowOnly, port);
  }

  private static String stripBrackets(String s) {
    return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
  }

  /**
   * Returns whether a connection goes direct.
   *
   * @param name the normalised name it is for, or {@code null} when it has none
   * @param address the destination address when known, or {@code null}
   */
  public boolean matches(String name, InetAddress address, int port) {
    if (everything) {
      return true;
    }
    if (address != null) {
      for (Cidr network : networks) {
        if (network.contains(address)) {
          return true;
        }
      }
    }
    if (name != null) {
      for (NamePattern p : names) {
        boolean portMatches = p.port() == 0 || p.port() == port;
        boolean below = name.endsWith(p.name()) && name.length() > p.name().length()
            && name.charAt(name.length() - p.name().length() - 1) == '.';
        if (portMatches && (below || (!p.belowOnly() && name.equals(p.name())))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Returns whether no entry was given. */
  public boolean isEmpty() {
    return !everything && networks.isEmpty() && names.isEmpty();
  }
}
