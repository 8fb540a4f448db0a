package dev.allowdns.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.logs.ZoneSuggestion.Rule;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ZoneSuggestionTest {
  private static final Instant T = Instant.parse("2026-04-21T10:00:00Z");

  @TempDir Path dir;

  private static QueryEntry query(String name, String result) {
    return new QueryEntry(T, "vm", name, "A", result, "NOERROR", null);
  }

  private static ConnectionEntry connection(
      String domain, String sni, String dstIp, String result) {
    return new ConnectionEntry(T, "vm", domain, sni, dstIp, 443, "https", 10, 10, result, null, null, null, null, null, null, null);
  }

  private static ZoneSuggestion fromQueries(String... names) {
    ZoneSuggestion suggestion = new ZoneSuggestion();
    for (String name : names) {
      suggestion.add(query(name, "would_block"));
    }
    return suggestion;
  }

  private static List<String> rules(ZoneSuggestion suggestion) {
    return suggestion.rules().stream().map(Rule::rule).toList();
  }

  static Stream<Arguments> widening() {
    return Stream.of(
        Arguments.of(
            "one name stays exact", List.of("registry.npmjs.org"), List.of("registry.npmjs.org")),
        Arguments.of(
            "two siblings stay exact",
            List.of("a.npmjs.org", "b.npmjs.org"),
            List.of("a.npmjs.org", "b.npmjs.org")),
        Arguments.of(
            "three siblings one label below become *.parent",
            List.of("a.npmjs.org", "b.npmjs.org", "c.npmjs.org"),
            List.of("*.npmjs.org")),
        Arguments.of(
            "three names at several depths become **.parent",
            List.of("a.example.org", "b.x.example.org", "c.d.e.example.org"),
            List.of("**.example.org")),
        Arguments.of(
            "three names all two labels below become **.parent",
            List.of("a.x.example.org", "b.y.example.org", "c.z.example.org"),
            List.of("**.example.org")),
        Arguments.of(
            "the narrowest parent wins and the rest stays exact",
            List.of("a.x.example.org", "b.x.example.org", "c.x.example.org", "d.example.org"),
            List.of("d.example.org", "*.x.example.org")),
        Arguments.of(
            "the apex stays exact beside its wildcard",
            List.of("npmjs.org", "a.npmjs.org", "b.npmjs.org", "c.npmjs.org"),
            List.of("npmjs.org", "*.npmjs.org")),
        Arguments.of(
            "never a wildcard directly under com",
            List.of("a.com", "b.com", "c.com", "d.com"),
            List.of("a.com", "b.com", "c.com", "d.com")),
        Arguments.of(
            "never a wildcard directly under co.uk",
            List.of("a.co.uk", "b.co.uk", "c.co.uk"),
            List.of("a.co.uk", "b.co.uk", "c.co.uk")),
        Arguments.of(
            "never **. under com for names at several depths",
            List.of("a.b.com", "c.d.e.com", "f.g.com"),
            List.of("a.b.com", "c.d.e.com", "f.g.com")),
        Arguments.of(
            "never a wildcard directly under a top-level name, even one not on the list",
            List.of("a.test", "b.test", "c.test"),
            List.of("a.test", "b.test", "c.test")),
        Arguments.of(
            "a registrable name under co.uk may be widened",
            List.of("a.shop.co.uk", "b.shop.co.uk", "c.shop.co.uk"),
            List.of("*.shop.co.uk")),
        Arguments.of(
            "a private-section suffix is widened, as the zone parser allows",
            List.of("a.github.io", "b.github.io", "c.github.io"),
            List.of("*.github.io")),
        Arguments.of(
            "names are normalised and counted once",
            List.of("WWW.Example.ORG.", "www.example.org", "www.EXAMPLE.org"),
            List.of("www.example.org")),
        Arguments.of(
            "rules are sorted by domain, from the right",
            List.of("z.alpha.org", "a.beta.org", "m.alpha.net", "alpha.org"),
            List.of("m.alpha.net", "alpha.org", "z.alpha.org", "a.beta.org")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("widening")
  void rules_widenOnlyWhereTheNamesSayTo(String why, List<String> names, List<String> expected) {
    assertEquals(expected, rules(fromQueries(names.toArray(String[]::new))));
  }

  @Test
  void add_blockedRecordsAreIgnored_wouldBlockRecordsAreUsed() {
    ZoneSuggestion suggestion = new ZoneSuggestion();
    suggestion.add(query("blocked.test", "blocked"));
    suggestion.add(query("refused.test", "refused"));
    suggestion.add(query("allowed.test", "allowed"));
    suggestion.add(query("audited.test", "would_block"));
    suggestion.add(connection("blocked-conn.test", "blocked-conn.test", "192.0.2.1", "blocked"));
    suggestion.add(connection("conn.test", "conn-sni.test", "192.0.2.2", "would_block"));

    assertEquals(List.of("audited.test", "conn.test", "conn-sni.test"), rules(suggestion));
    assertEquals(1, suggestion.queries());
    assertEquals(1, suggestion.connections());
  }

  @Test
  void rules_countRecordsPerRule() {
    ZoneSuggestion suggestion =
        fromQueries("a.n.test", "a.n.test", "b.n.test", "c.n.test", "x.test");
    suggestion.add(connection("x.test", "x.test", "192.0.2.1", "would_block"));

    assertEquals(
        List.of(
            new Rule("*.n.test", List.of("a.n.test", "b.n.test", "c.n.test"), 4),
            new Rule("x.test", List.of("x.test"), 2)),
        suggestion.rules());
  }

  @Test
  void zoneText_connectionWithoutAName_isACommentedOutIpRule() {
    ZoneSuggestion suggestion = new ZoneSuggestion();
    suggestion.add(connection(null, null, "203.0.113.9", "would_block"));
    suggestion.add(connection(null, null, "203.0.113.9", "would_block"));

    String text = suggestion.zoneText(List.of());

    assertEquals(List.of(new ZoneSuggestion.Address("203.0.113.9", 2)), suggestion.addresses());
    assertTrue(text.contains("\n# ip:203.0.113.9  # 2 connections\n"), text);
    assertEquals(List.of(), suggestion.rules());
  }

  @Test
  void zoneText_nameNoRuleCanBeWrittenFor_isLeftOutAndReported() {
    ZoneSuggestion suggestion = fromQueries("ok.test", "bad name.test", ".");

    assertEquals(List.of("ok.test"), rules(suggestion));
    assertEquals(java.util.Set.of("bad name.test", "."), suggestion.unusableNames());
  }

  @Test
  void zoneText_headerIsComments_andEveryRuleLineLoadsAsAZoneThatAllowsWhatWasSeen()
      throws Exception {
    List<String> seen =
        List.of(
            "registry.npmjs.org",
            "a.cdn.test",
            "b.cdn.test",
            "c.cdn.test",
            "x.deep.test",
            "y.z.deep.test",
            "w.v.u.deep.test",
            "one.com",
            "two.com",
            "three.com",
            "apex.test");
    ZoneSuggestion suggestion = fromQueries(seen.toArray(String[]::new));
    suggestion.add(connection(null, null, "203.0.113.9", "would_block"));

    String text = suggestion.zoneText(List.of("Suggested by a test", "from some records"));
    Files.createDirectories(dir.resolve("zones"));
    Files.writeString(dir.resolve("zones/suggested.zone"), text);
    Policy policy =
        PolicySet.load(dir.resolve("zones"), Map.of(), 1)
            .policy(PolicySet.DEFAULT_POLICY)
            .orElseThrow();

    List<String> lines = Arrays.asList(text.split("\n"));
    assertEquals("# Suggested by a test", lines.get(0));
    assertEquals("# from some records", lines.get(1));
    for (String name : seen) {
      assertTrue(policy.decide(name).allowed(), () -> name + " is allowed by:\n" + text);
    }
    assertTrue(policy.decide("new.cdn.test").allowed(), text);
    assertFalse(policy.decide("four.com").allowed(), text);
    assertFalse(policy.decide("cdn.test").allowed(), text);
    assertFalse(policy.ipRangeFor(java.net.InetAddress.getByName("203.0.113.9")).isPresent(), text);
    assertTrue(
        lines.contains(
            "*.cdn.test          # 3 names, 3 records: a.cdn.test, b.cdn.test, c.cdn.test"),
        text);
  }

  @Test
  void zoneText_withoutRecords_saysThereIsNothingToSuggest() {
    String text = new ZoneSuggestion().zoneText(List.of("header"));

    assertEquals("# header\n# No would_block records: nothing to suggest.\n", text);
  }
}
