package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Allowlist decisions end to end: every name below resolves at the upstream (knotd has wildcards at
 * every level), so only allowdns's policy decides whether the client sees it.
 */
@RequiresPrograms({"knotd", "dig"})
class PolicyIT {
  @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();

  @Test
  void unlistedName_isNxdomainWithSoaAndBlockedEde() {
    DigResult result = stack.dig().query("unlisted.it.test", "A");

    assertBlocked(result, "default");
  }

  @Test
  void unlistedName_isBlockedForEveryTypeAndOverTcp() {
    for (String type : List.of("A", "AAAA", "TXT", "MX")) {
      assertBlocked(stack.dig().query("unlisted.it.test", type), "default");
    }
    assertBlocked(stack.dig().query("unlisted.it.test", "A", "+tcp"), "default");
  }

  @ParameterizedTest(name = "{0} is allowed")
  @CsvSource({
    // exact names are case-insensitive
    "www.it.test",
    "WWW.IT.TEST",
    // *.one.it.test: exactly one label below
    "a.one.it.test",
    "x-1.one.it.test",
    // **.many.it.test: one or more labels below
    "a.many.it.test",
    "a.b.many.it.test",
    "a.b.c.d.many.it.test",
    // ~^api-[0-9]+\.re\.it\.test$ (RE2, full match)
    "api-7.re.it.test",
    "api-12345.re.it.test",
    // bücher.it.test in the zone file is matched in its IDNA form
    "xn--bcher-kva.it.test",
  })
  void allowedBy_exactWildcardOrRegexRule(String name) {
    assertAnswered(stack.dig().query(name, "A"));
  }

  @ParameterizedTest(name = "{0} is blocked: {1}")
  @CsvSource({
    "one.it.test, a one-label wildcard does not cover its apex",
    "a.b.one.it.test, a one-label wildcard does not cover two labels",
    "many.it.test, a many-label wildcard does not cover its apex",
    "api-x.re.it.test, the regex wants digits",
    "xapi-1.re.it.test, the regex must match the whole name",
    "a.api-1.re.it.test, the regex must match the whole name",
    "re.it.test, the regex does not match its parent",
    "denied.it.test, a deny rule",
    "denied-too.it.test, a deny rule in another zone beats an allow rule",
    "it.test, a parent of allowed names is not allowed",
    "www.it.test.example, a suffix after an allowed name",
  })
  void blockedBy_policy(String name, String why) {
    assertBlocked(stack.dig().query(name, "A"), "default");
  }

  @Test
  void cnameToDeniedName_isBlocked() {
    // via-denied -> denied (denied by !denied.it.test): the deny applies inside the chain.
    DigResult result = stack.dig().query("via-denied.it.test", "A");

    assertBlocked(result, "default");
    assertEquals(
        "blocked",
        stack.queryLog().awaitFirst("via-denied.it.test", "A").path("result").asText(),
        () -> stack.queryLog().contents());
  }

  @Test
  void cnameThroughDeniedNameInTheMiddle_isBlocked() {
    // via-mid -> denied-mid (denied) -> end-mid A: the final name is fine, the middle one is not.
    assertBlocked(stack.dig().query("via-mid.it.test", "A"), "default");
  }
}
