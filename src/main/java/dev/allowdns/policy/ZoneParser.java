package dev.allowdns.policy;

import com.google.common.net.InetAddresses;
import com.google.common.net.InternetDomainName;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import dev.allowdns.config.Cidr;
import dev.allowdns.config.ParentProxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses the lines of one zone file (DESIGN.md "Zone file format"). Every bad line becomes one
 * {@code file:line: reason} error; a file with any error yields no zone.
 */
final class ZoneParser {
  private static final int DNS_PORT = 53;
  private static final String IP_PREFIX = "ip:";
  private static final String SERVER_FORMS = "expected ADDR[:PORT], [IPv6]:PORT or a bare IPv6";

  private final String zoneName;
  private final String file;
  private final List<String> errors;
  private final List<Rule> rules = new ArrayList<>();
  private final List<InetSocketAddress> forwarders = new ArrayList<>();
  private final List<IpRange> ipRanges = new ArrayList<>();
  private boolean allowPrivate;
  private ZoneProxy proxy;
  private boolean failed;

  private ZoneParser(String zoneName, String file, List<String> errors) {
    this.zoneName = zoneName;
    this.file = file;
    this.errors = errors;
  }

  /**
   * Parses {@code lines} of zone {@code zoneName} read from {@code file}.
   *
   * @param errors receives every error as {@code file:line: reason}
   * @return the zone, or {@code null} when any line was bad
   */
  static Zone parse(String zoneName, String file, List<String> lines, List<String> errors) {
    ZoneParser parser = new ZoneParser(zoneName, file, errors);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1); // a byte order mark some editors write
      }
      parser.parseLine(i + 1, line);
    }
    if (parser.failed) {
      return null;
    }
    return new Zone(
                zoneName,
        file,
        parser.rules,
        parser.forwarders,
        parser.allowPrivate,
        parser.ipRanges,
        parser.proxy);
  }

  /** A line that cannot be parsed; its message is the reason. */
  private static final class BadLineException extends Exception {
    BadLineException(String reason) {
      super(reason, null, false, false);
    }
  }

  private void parseLine(int lineNumber, String line) {
    int comment = line.indexOf('#');
    String content = (comment >= 0 ? line.substring(0, comment) : line).strip();
    if (content.isEmpty()) {
      return;
    }
    String origin = file + ":" + lineNumber;
    String[] tokens = content.split("\\s+");
    if (tokens[0].startsWith("@")) {
      parseDirective(origin, tokens);
      return;
    }
    try {
      if (tokens.length > 1) {
        throw new BadLineException(
            "unexpected '"
                + tokens[1]
                + "' after rule '"
                + tokens[0]
                + "' (expected one rule per line)");
      }
      parseRule(origin, tokens[0]);
    } catch (BadLineException e) {
      fail(origin, e.getMessage());
    }
  }

  private void fail(String origin, String reason) {
    errors.add(origin + ": " + reason);
    failed = true;
  }

  private void parseDirective(String origin, String[] tokens) {
    switch (tokens[0]) {
      case "@forward" -> {
        if (tokens.length == 1) {
          fail(origin, "@forward needs at least one server (" + SERVER_FORMS + ")");
        }
        for (int i = 1; i < tokens.length; i++) {
          try {
            forwarders.add(parseServer(tokens[i]));
          } catch (BadLineException e) {
            fail(origin, e.getMessage());
          }
        }
      }
      case "@allow-private" -> {
        if (tokens.length > 1) {
          fail(origin, "@allow-private takes no arguments, got '" + tokens[1] + "'");
        }
        allowPrivate = true;
      }
      case "@proxy" -> parseProxy(origin, tokens);
      default ->
          fail(
              origin,
              "unknown directive '"
                  + tokens[0]
                  + "' (expected @forward, @allow-private or @proxy)");
    }
  }

  /** Parses {@code @proxy direct} or {@code @proxy http://HOST:PORT [synthesize]}. */
  private void parseProxy(String origin, String[] tokens) {
    String forms = "expected @proxy direct or @proxy http://HOST:PORT [synthesize]";
    if (proxy != null) {
      fail(origin, "a second @proxy line (a zone has one route)");
      return;
    }
    if (tokens.length < 2 || tokens.length > 3) {
      fail(origin, "@proxy takes one route (" + forms + ")");
      return;
    }
    if (tokens[1].equalsIgnoreCase("direct")) {
      if (tokens.length > 2) {
        fail(origin, "@proxy direct takes nothing after it, got '" + tokens[2] + "'");
        return;
      }
      proxy = ZoneProxy.DIRECT;
      return;
    }
    if (tokens.length == 3 && !tokens[2].equalsIgnoreCase("synthesize")) {
      fail(origin, "unexpected '" + tokens[2] + "' after the proxy URL (" + forms + ")");
      return;
    }
    try {
      proxy = new ZoneProxy(ParentProxy.parse(tokens[1]), tokens.length == 3);
    } catch (IllegalArgumentException e) {
      fail(origin, "@proxy " + e.getMessage());
    }
  }

  /** Parses an {@code @forward} server: IP literals only, so loading never waits for DNS. */
  private static InetSocketAddress parseServer(String server) throws BadLineException {
    String host = server;
    String port = null;
    if (server.startsWith("[")) {
      int close = server.indexOf(']');
      String rest = close < 0 ? "" : server.substring(close + 1);
      if (close < 0 || !(rest.isEmpty() || rest.startsWith(":"))) {
        throw new BadLineException(
            "@forward server '" + server + "' is malformed (" + SERVER_FORMS + ")");
      }
      host = server.substring(1, close);
      port = rest.isEmpty() ? null : rest.substring(1);
    } else {
      int colon = server.indexOf(':');
      if (colon >= 0 && server.indexOf(':', colon + 1) < 0) { // one colon: IPv4:PORT
        host = server.substring(0, colon);
        port = server.substring(colon + 1);
      }
    }
    InetAddress address = parseIpLiteral(host);
    if (address == null) {
      throw new BadLineException(
          "@forward server '"
              + server
              + "' is not an IP address ("
              + SERVER_FORMS
              + "; hostnames are not resolved)");
    }
    if (port == null) {
      return new InetSocketAddress(address, DNS_PORT);
    }
    int portNumber = parseBoundedInt(port, 1, 65535);
    if (portNumber < 0) {
      throw new BadLineException(
          "@forward server '" + server + "' has port '" + port + "' (expected 1..65535)");
    }
    return new InetSocketAddress(address, portNumber);
  }

  private void parseRule(String origin, String token) throws BadLineException {
    boolean deny = token.startsWith("!");
    String body = deny ? token.substring(1) : token;
    if (body.regionMatches(true, 0, IP_PREFIX, 0, IP_PREFIX.length())) {
      if (deny) {
        throw new BadLineException(
            "'" + token + "' cannot deny an ip: range (deny rules take name patterns)");
      }
      ipRanges.add(parseIpRange(origin, token, body.substring(IP_PREFIX.length())));
      return;
    }
    if (body.isEmpty()) {
      throw new BadLineException("'!' needs a name pattern");
    }
    if (body.startsWith("~")) {
      String source = body.substring(1);
      if (source.isEmpty()) {
        throw new BadLineException("'" + token + "' needs a regular expression");
      }
      if (!source.chars().allMatch(c -> c < 0x80) || source.contains("\\x{")) {
        // Names are matched as ASCII (punycode), and RE2/J's case folding of a wide non-ASCII
        // range (e.g. [a-\x{FEFF}]) takes seconds to minutes (found by ZoneFileFuzzTest).
        throw new BadLineException(
            "'" + token + "' may use only ASCII (names are matched in punycode); no \\x{...}");
      }
      try {
        // Checked without RuleIndex's flags, which wrap the source in errors; flags never make a
        // regex invalid.
        Pattern.compile(source);
      } catch (PatternSyntaxException e) {
        String near = source.equals(e.getPattern()) ? "" : " at '" + e.getPattern() + "'";
        throw new BadLineException("bad regex '" + token + "': " + e.getDescription() + near);
      }
      rules.add(new Rule(zoneName, origin, Rule.Kind.REGEX, source, deny));
      return;
    }
    Rule.Kind kind = Rule.Kind.EXACT;
    String name = body;
    if (body.startsWith("*")) {
      kind = body.startsWith("**") ? Rule.Kind.MANY_LABELS : Rule.Kind.ONE_LABEL;
      String afterStars = body.substring(kind == Rule.Kind.MANY_LABELS ? 2 : 1);
      if (afterStars.isEmpty() || afterStars.equals(".")) {
        throw new BadLineException("'" + token + "' needs a parent name");
      }
      if (!afterStars.startsWith(".")) {
        throw wildcardNotALabel(token);
      }
      name = afterStars.substring(1);
    }
    if (name.indexOf('*') >= 0) {
      throw wildcardNotALabel(token);
    }
    String normal;
    try {
      normal = DomainName.normalize(name);
    } catch (IllegalArgumentException e) {
      throw new BadLineException(e.getMessage());
    }
    if (kind != Rule.Kind.EXACT && !deny && isRegistrySuffix(normal)) {
      throw new BadLineException(
          "'" + token + "' allows a whole public suffix '" + normal + "'");
    }
    rules.add(new Rule(zoneName, origin, kind, normal, deny));
  }

  private static BadLineException wildcardNotALabel(String token) {
    return new BadLineException(
        "'" + token + "' has a wildcard that is not a whole first label"
            + " (expected *.PARENT or **.PARENT)");
  }

  /**
   * Returns whether {@code name} is a public suffix of the ICANN section of the Public Suffix List
   * ({@code com}, {@code co.uk}), where anyone may register names. Private-section suffixes such
   * as {@code githubusercontent.com} belong to one operator, so wildcards below them are fine.
   */
  private static boolean isRegistrySuffix(String name) {
    try {
      return InternetDomainName.from(name).isRegistrySuffix();
    } catch (IllegalArgumentException e) {
      return false; // Guava rejects some names we accept (e.g. _service labels): none is on the PSL
    }
  }

  private IpRange parseIpRange(String origin, String token, String spec)
      throws BadLineException {
    int slash = spec.indexOf('/');
    String addressText = slash < 0 ? spec : spec.substring(0, slash);
    InetAddress address = parseIpLiteral(addressText);
    if (address == null) {
      throw new BadLineException(
          "'" + token + "' is not an IP address or CIDR (expected ip:ADDRESS[/PREFIX])");
    }
    byte[] bytes = address.getAddress();
    int maxPrefix = bytes.length * 8;
    int prefix = maxPrefix;
    if (slash >= 0) {
      prefix = parseBoundedInt(spec.substring(slash + 1), 0, maxPrefix);
      if (prefix < 0) {
        throw new BadLineException(
            "'"
                + token
                + "' has prefix length '"
                + spec.substring(slash + 1)
                + "' (expected 0.."
                + maxPrefix
                + ")");
      }
    }
    InetAddress network = networkOf(bytes, prefix);
    if (!network.equals(address)) {
      throw new BadLineException(
          "'"
              + token
              + "' has host bits set (expected the network address "
              + InetAddresses.toAddrString(network)
              + "/"
              + prefix
              + ")");
    }
    return new IpRange(new Cidr(network, prefix), zoneName, origin);
  }

  private static InetAddress networkOf(byte[] address, int prefix) {
    byte[] network = address.clone();
    for (int bit = prefix; bit < network.length * 8; bit++) {
      network[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
    }
    try {
      return InetAddress.getByAddress(network);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes from an InetAddress", e);
    }
  }

  /** Returns the address an IP literal names, or {@code null}; never consults DNS. */
  private static InetAddress parseIpLiteral(String text) {
    if (text.isEmpty() || text.indexOf('%') >= 0 || !InetAddresses.isInetAddress(text)) {
      return null;
    }
    return InetAddresses.forString(text);
  }

  /** Returns the decimal {@code text} if it lies within {@code min..max}, else -1. */
  private static int parseBoundedInt(String text, int min, int max) {
    if (text.isEmpty() || text.length() > 5) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value >= min && value <= max ? value : -1;
  }
}
