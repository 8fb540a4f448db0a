package dev.allowdns.policy;

import dev.allowdns.config.Cidr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import dev.allowdns.config.ParentProxy;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing of zone files: accepted forms, and the exact {@code file:line: reason} of each error. */
class ZoneFileTest {
  @TempDir Path zonesDir;

  private Path write(String fileName, String... lines) throws IOException {
    return Files.write(zonesDir.resolve(fileName), List.of(lines), StandardCharsets.UTF_8);
  }

  private Zone loadOne(String... lines) throws IOException, PolicyException {
    write("x.zone", lines);
    return PolicySet.load(zonesDir, Map.of(), 1).zones().get(0);
  }

  private List<String> loadErrors() {
    return assertThrows(PolicyException.class, () -> PolicySet.load(zonesDir, Map.of(), 1))
        .errors();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          @forwrd 10.0.0.53                | unknown directive '@forwrd' (expected @forward, @allow-private or @proxy)
          @Forward 10.0.0.53               | unknown directive '@Forward' (expected @forward, @allow-private or @proxy)
          @forward                         | @forward needs at least one server (expected ADDR[:PORT], [IPv6]:PORT or a bare IPv6)
          @forward dns.corp.example        | @forward server 'dns.corp.example' is not an IP address (expected ADDR[:PORT], [IPv6]:PORT or a bare IPv6; hostnames are not resolved)
          @forward 10.0.0.300              | @forward server '10.0.0.300' is not an IP address (expected ADDR[:PORT], [IPv6]:PORT or a bare IPv6; hostnames are not resolved)
          @forward 10.0.0.53:0             | @forward server '10.0.0.53:0' has port '0' (expected 1..65535)
          @forward 10.0.0.53:65536         | @forward server '10.0.0.53:65536' has port '65536' (expected 1..65535)
          @forward [2001:db8::53]:dns      | @forward server '[2001:db8::53]:dns' has port 'dns' (expected 1..65535)
          @forward [2001:db8::53           | @forward server '[2001:db8::53' is malformed (expected ADDR[:PORT], [IPv6]:PORT or a bare IPv6)
          @forward [2001:db8::53]53        | @forward server '[2001:db8::53]53' is malformed (expected ADDR[:PORT], [IPv6]:PORT or a bare IPv6)
          @allow-private please            | @allow-private takes no arguments, got 'please'
          *.                               | '*.' needs a parent name
          **.                              | '**.' needs a parent name
          *                                | '*' needs a parent name
          !*.                              | '!*.' needs a parent name
          *.com                            | '*.com' allows a whole public suffix 'com'
          **.co.uk                         | '**.co.uk' allows a whole public suffix 'co.uk'
          *.CO.UK.                         | '*.CO.UK.' allows a whole public suffix 'co.uk'
          **.foo.ck                        | '**.foo.ck' allows a whole public suffix 'foo.ck'
          a.*.example.com                  | 'a.*.example.com' has a wildcard that is not a whole first label (expected *.PARENT or **.PARENT)
          *foo.example.com                 | '*foo.example.com' has a wildcard that is not a whole first label (expected *.PARENT or **.PARENT)
          ***.example.com                  | '***.example.com' has a wildcard that is not a whole first label (expected *.PARENT or **.PARENT)
          ~[a-                             | bad regex '~[a-': missing closing ]
          !~a(b                            | bad regex '!~a(b': missing closing )
          ~a**                             | bad regex '~a**': invalid nested repetition operator at '**'
          ~                                | '~' needs a regular expression
          ~^[a-\\x{FEFF}]+\\.test$            | '~^[a-\\x{FEFF}]+\\.test$' may use only ASCII (names are matched in punycode); no \\x{...}
          ~^café\\.test$                  | '~^café\\.test$' may use only ASCII (names are matched in punycode); no \\x{...}
          !                                | '!' needs a name pattern
          a..example.com                   | name 'a..example.com' has an empty label
          *.a..example.com                 | name 'a..example.com' has an empty label
          bad!name.example.com             | name 'bad!name.example.com' has character '!' (expected a-z, 0-9, '-' or '_')
          aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example | name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example' has a label of 64 characters (at most 63 allowed)
          foo bar.example.com              | unexpected 'bar.example.com' after rule 'foo' (expected one rule per line)
          ip:10.0.0.1/8                    | 'ip:10.0.0.1/8' has host bits set (expected the network address 10.0.0.0/8)
          ip:2001:db8::1/32                | 'ip:2001:db8::1/32' has host bits set (expected the network address 2001:db8::/32)
          ip:10.0.0.0/33                   | 'ip:10.0.0.0/33' has prefix length '33' (expected 0..32)
          ip:2001:db8::/129                | 'ip:2001:db8::/129' has prefix length '129' (expected 0..128)
          ip:10.0.0.0/                     | 'ip:10.0.0.0/' has prefix length '' (expected 0..32)
          ip:example.com                   | 'ip:example.com' is not an IP address or CIDR (expected ip:ADDRESS[/PREFIX])
          ip:                              | 'ip:' is not an IP address or CIDR (expected ip:ADDRESS[/PREFIX])
          !ip:10.0.0.0/8                   | '!ip:10.0.0.0/8' cannot deny an ip: range (deny rules take name patterns)
          @proxy                           | @proxy takes one route (expected @proxy direct or @proxy http://HOST:PORT [synthesize])
          @proxy direct synthesize         | @proxy direct takes nothing after it, got 'synthesize'
          @proxy http://10.0.0.3:3128 fast | unexpected 'fast' after the proxy URL (expected @proxy direct or @proxy http://HOST:PORT [synthesize])
          @proxy http://10.0.0.3           | @proxy 'http://10.0.0.3' needs a host and a port (expected http://HOST:PORT)
          @proxy https://10.0.0.3:3128     | @proxy 'https://10.0.0.3:3128' has scheme 'https' (expected http://HOST:PORT)
          @proxy http://u:secret@p.corp:3128 | @proxy a proxy URL must not carry credentials (put them in upstream_proxy_auth_file)
          """)
  void load_badLine_isReportedAsFileLineReason(String line, String reason) throws IOException {
    Path file = write("x.zone", "# a comment first", "", line);

    assertEquals(List.of(file + ":3: " + reason), loadErrors());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          **.githubusercontent.com     | MANY_LABELS | githubusercontent.com    | false
          *.s3.amazonaws.com           | ONE_LABEL   | s3.amazonaws.com         | false
          *.npmjs.org                  | ONE_LABEL   | npmjs.org                | false
          !*.com                       | ONE_LABEL   | com                      | true
          !**.co.uk                    | MANY_LABELS | co.uk                    | true
          _dmarc.Example.COM.          | EXACT       | _dmarc.example.com       | false
          *.bücher.example             | ONE_LABEL   | xn--bcher-kva.example    | false
          ~^[a-z]+\\.Example\\.com$    | REGEX       | ^[a-z]+\\.Example\\.com$ | false
          !~.*\\.onion                 | REGEX       | .*\\.onion               | true
          registry.npmjs.org#comment   | EXACT       | registry.npmjs.org       | false
          """)
  void load_goodRule_isParsedNormalised(String line, Rule.Kind kind, String pattern, boolean deny)
      throws Exception {
    Path file = write("x.zone", "   ", "  " + line + "   # trailing comment");

    Zone zone = PolicySet.load(zonesDir, Map.of(), 1).zones().get(0);

    assertEquals(List.of(new Rule("x", file + ":2", kind, pattern, deny)), zone.rules());
  }

  @Test
  void decide_regexIsCaseInsensitiveLikeNames() throws Exception {
    write("x.zone", "~^[a-z]+\\.Example\\.com$");

    Policy policy = PolicySet.load(zonesDir, Map.of(), 1).policy("default").orElseThrow();

    assertEquals(Decision.ALLOWED, policy.decide("www.example.com").reason());
  }

  @Test
  void load_commentsAndBlankLines_areIgnored() throws Exception {
    Zone zone = loadOne("# npm", "", "   ", "\t# indented comment", "registry.npmjs.org # why");

    assertEquals(List.of("registry.npmjs.org"), zone.rules().stream().map(Rule::text).toList());
    assertEquals(zonesDir.resolve("x.zone") + ":5", zone.rules().get(0).origin());
  }

  @Test
  void load_byteOrderMark_isIgnored() throws Exception {
    Zone zone = loadOne("\uFEFFregistry.npmjs.org");

    assertEquals("registry.npmjs.org", zone.rules().get(0).pattern());
  }

  @Test
  void load_forward_parsesIpv4Ipv6AndPortsAcrossLines() throws Exception {
    Zone zone =
        loadOne(
            "@forward 10.0.0.53 10.0.0.54:5353   # corporate resolvers",
            "@forward [2001:db8::53]:5353 2001:db8::54 [2001:db8::55]");

    assertEquals(
        List.of(
            server("10.0.0.53", 53),
            server("10.0.0.54", 5353),
            server("2001:db8::53", 5353),
            server("2001:db8::54", 53),
            server("2001:db8::55", 53)),
        zone.forwarders());
    assertFalse(zone.allowPrivate());
  }

  @Test
  void load_withoutForward_hasNoForwarders() throws Exception {
    assertEquals(List.of(), loadOne("registry.npmjs.org").forwarders());
  }

  @Test
  void load_proxy_parsesParentDirectAndSynthesize() throws Exception {
    assertEquals(ZoneProxy.DIRECT, loadOne("@proxy direct", "a.example").proxy());
    assertEquals(
        new ZoneProxy(new ParentProxy("proxy.corp.example", 3128), false),
        loadOne("@proxy http://proxy.corp.example:3128", "a.example").proxy());
    assertEquals(
        new ZoneProxy(new ParentProxy("fd00::3", 8080), true),
        loadOne("@proxy http://[fd00::3]:8080 synthesize", "a.example").proxy());
    assertEquals(null, loadOne("a.example").proxy());
  }

  @Test
  void load_allowPrivate_isSet() throws Exception {
    assertTrue(loadOne("@allow-private", "intranet.corp.example").allowPrivate());
  }

  @Test
  void load_badForwardServers_areEachReported() throws IOException {
    Path file = write("x.zone", "@forward 10.0.0.53 ns1.example 10.0.0.54:99999");

    assertEquals(
        List.of(
            file
                + ":1: @forward server 'ns1.example' is not an IP address (expected ADDR[:PORT],"
                + " [IPv6]:PORT or a bare IPv6; hostnames are not resolved)",
            file + ":1: @forward server '10.0.0.54:99999' has port '99999' (expected 1..65535)"),
        loadErrors());
  }

  @Test
  void load_everyBadLineOfAFile_isReported() throws IOException {
    Path file = write("x.zone", "*.com", "good.example", "~(", "@nope");

    assertEquals(
        List.of(
            file + ":1: '*.com' allows a whole public suffix 'com'",
            file + ":3: bad regex '~(': missing closing )",
            file + ":4: unknown directive '@nope' (expected @forward, @allow-private or @proxy)"),
        loadErrors());
  }

  @Test
  void load_severalFilesWithErrors_reportsEveryErrorOfEveryFile() {
    Path dir = Path.of("src/test/resources/policy/several-errors");

    PolicyException e =
        assertThrows(PolicyException.class, () -> PolicySet.load(dir, Map.of(), 1));

    assertEquals(
        List.of(
            dir.resolve("a-broken.zone")
                + ":2: unknown directive '@forwrd' (expected @forward, @allow-private or @proxy)",
            dir.resolve("a-broken.zone") + ":3: '*.com' allows a whole public suffix 'com'",
            dir.resolve("c-broken.zone") + ":3: bad regex '~[a-': missing closing ]",
            dir.resolve("c-broken.zone") + ":4: '*.' needs a parent name"),
        e.errors());
    assertEquals(String.join("\n", e.errors()), e.getMessage());
  }

  @Test
  void load_ipRules_becomeRangesWithOrigin() throws Exception {
    Path dir = Path.of("src/test/resources/policy/ip-ranges");

    List<Zone> zones = PolicySet.load(dir, Map.of(), 1).zones();

    assertEquals(
        List.of(
            new IpRange(Cidr.parse("192.0.2.7/32"), "corp", dir.resolve("corp.zone") + ":2"),
            new IpRange(Cidr.parse("2001:db8:1::1/128"), "corp", dir.resolve("corp.zone") + ":3")),
        zones.get(0).ipRanges());
    assertEquals(
        List.of(
            new IpRange(Cidr.parse("140.82.112.0/20"), "github", dir.resolve("github.zone") + ":2"),
            new IpRange(Cidr.parse("2001:db8::/32"), "github", dir.resolve("github.zone") + ":3")),
        zones.get(1).ipRanges());
    assertEquals(List.of("github.com"), zones.get(1).rules().stream().map(Rule::text).toList());
  }

  private static InetSocketAddress server(String address, int port) {
    return new InetSocketAddress(InetAddresses.forString(address), port);
  }
}
