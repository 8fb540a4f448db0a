package dev.allowdns.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Decisions of the default policy over the zones in {@code policy/matching}. */
class PolicyDecideTest {
  private static final Path MATCHING = Path.of("src/test/resources/policy/matching");

  private static Policy policy;

  @BeforeAll
  static void loadMatchingZones() throws PolicyException {
    policy = PolicySet.load(MATCHING, Map.of(), 1).policy(PolicySet.DEFAULT_POLICY).orElseThrow();
  }

  @ParameterizedTest(name = "{0} -> {1} {2} by {3}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          # name                               | verdict | reason      | rule                                   | label
          # exact
          registry.npmjs.org                   | ALLOWED | allowed     | registry.npmjs.org                     | default:npm
          github.com                           | ALLOWED | allowed     | github.com                             | default:github
          api.github.com                       | BLOCKED | not_allowed |                                        |
          # one label below
          a.npmjs.org                          | ALLOWED | allowed     | *.npmjs.org                            | default:npm
          a.b.npmjs.org                        | BLOCKED | not_allowed |                                        |
          npmjs.org                            | BLOCKED | not_allowed |                                        |
          xnpmjs.org                           | BLOCKED | not_allowed |                                        |
          # one or more labels below, apex never implied
          raw.githubusercontent.com            | ALLOWED | allowed     | **.githubusercontent.com               | default:github
          a.b.c.githubusercontent.com          | ALLOWED | allowed     | **.githubusercontent.com               | default:github
          githubusercontent.com                | BLOCKED | not_allowed |                                        |
          evilgithubusercontent.com            | BLOCKED | not_allowed |                                        |
          # regex: full match only
          my-bucket.s3.amazonaws.com           | ALLOWED | allowed     | ~^[a-z0-9-]+\\.s3\\.amazonaws\\.com$   | default:aws
          a.b.s3.amazonaws.com                 | BLOCKED | not_allowed |                                        |
          my-bucket.s3.amazonaws.com.evil.net  | BLOCKED | not_allowed |                                        |
          bucket-42.example.net                | ALLOWED | allowed     | ~bucket-[0-9]+\\.example\\.net         | default:aws
          xbucket-42.example.net               | BLOCKED | not_allowed |                                        |
          bucket-42.example.net.evil.com       | BLOCKED | not_allowed |                                        |
          # deny wins, also across zones
          gist.githubusercontent.com           | BLOCKED | denied      | !gist.githubusercontent.com            | default:github
          x.gist.githubusercontent.com         | ALLOWED | allowed     | **.githubusercontent.com               | default:github
          exfil.example.com                    | BLOCKED | denied      | !exfil.example.com                     | default:blocklist
          a.tracking.example.org               | BLOCKED | denied      | !**.tracking.example.org               | default:blocklist
          tracking.example.org                 | ALLOWED | allowed     | **.example.org                         | default:example
          paste1.example.com                   | BLOCKED | denied      | !~paste[0-9]*\\.example\\.com          | default:blocklist
          # the most specific allow decides
          img1.example.com                     | ALLOWED | allowed     | *.example.com                          | default:example
          static.example.org                   | ALLOWED | allowed     | static.example.org                     | default:example
          a.cdn.example.org                    | ALLOWED | allowed     | **.cdn.example.org                     | default:example
          a.b.cdn.example.org                  | ALLOWED | allowed     | **.cdn.example.org                     | default:example
          cdn.example.org                      | ALLOWED | allowed     | **.example.org                         | default:example
          # IDNA, case and trailing dots, in rules and in names
          xn--bcher-kva.example                | ALLOWED | allowed     | xn--bcher-kva.example                  | default:idn
          bücher.example                       | ALLOWED | allowed     | xn--bcher-kva.example                  | default:idn
          BÜCHER.Example.                      | ALLOWED | allowed     | xn--bcher-kva.example                  | default:idn
          a.xn--cole-9oa.example               | ALLOWED | allowed     | *.xn--cole-9oa.example                 | default:idn
          xn--cole-9oa.example                 | BLOCKED | not_allowed |                                        |
          mixed.case.example                   | ALLOWED | allowed     | mixed.case.example                     | default:idn
          MIXED.Case.Example.                  | ALLOWED | allowed     | mixed.case.example                     | default:idn
          REGISTRY.NPMJS.ORG.                  | ALLOWED | allowed     | registry.npmjs.org                     | default:npm
          # nothing matches
          unknown.test                         | BLOCKED | not_allowed |                                        |
          """)
  void decide_matchesTheMostSpecificRule(
      String name, Verdict verdict, String reason, String ruleText, String label) {
    Decision decision = policy.decide(name);

    assertEquals(verdict, decision.verdict(), "verdict");
    assertEquals(reason, decision.reason(), "reason");
    assertEquals(ruleText, decision.rule() == null ? null : decision.rule().text(), "rule");
    assertEquals(label, decision.ruleLabel(), "label");
    assertEquals("default", decision.policy());
  }

  @Test
  void decide_reportsTheDecidingRuleAsFileAndLine() {
    assertEquals(
        MATCHING.resolve("npm.zone") + ":3", policy.decide("a.npmjs.org").rule().origin());
    assertEquals(
        MATCHING.resolve("blocklist.zone") + ":1", policy.decide("exfil.example.com").rule().origin());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "a..b", "foo bar.example", "FOO BAR.example.", "Bücher..example"})
  void decide_nameThatCannotBeNormalised_isBlockedWithoutRule(String name) {
    Decision decision = policy.decide(name);

    assertEquals(Verdict.BLOCKED, decision.verdict());
    assertEquals(Decision.NOT_ALLOWED, decision.reason());
    assertNull(decision.rule());
  }

  @Test
  void zoneOf_returnsTheZoneTheDecidingRuleWasWrittenIn() {
    Rule rule = policy.decide("exfil.example.com").rule();

    Zone zone = policy.zoneOf(rule);

    assertEquals("blocklist", zone.name());
    assertEquals(MATCHING.resolve("blocklist.zone").toString(), zone.file());
  }
}
