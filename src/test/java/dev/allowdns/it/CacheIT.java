package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertNotBlocked;
import static dev.allowdns.testing.DnsAssertions.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.RecordLine;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The answer cache: TTLs counted down, negative answers cached (RFC 2308), both logged. */
@RequiresPrograms({"knotd", "dig"})
class CacheIT {
  @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();

  @Test
  void ttl_secondAnswerFromCache_isCountedDown() throws Exception {
    DigResult first = stack.dig().query("countdown.it.test", "A");
    Thread.sleep(2200);
    DigResult second = stack.dig().query("countdown.it.test", "A");

    assertAnswered(first);
    assertAnswered(second);
    assertEquals(data(first, "A"), data(second, "A"));
    long firstTtl = first.answer().get(0).ttl();
    long secondTtl = second.answer().get(0).ttl();
    assertTrue(firstTtl <= 60 && firstTtl >= 58, () -> "fresh TTL near 60:\n" + first.describe());
    assertTrue(
        secondTtl <= firstTtl - 2 && secondTtl >= firstTtl - 5,
        () -> "2.2 s later the TTL is 2 to 5 s lower than " + firstTtl + ":\n" + second.describe());

    List<JsonNode> logged = stack.queryLog().awaitFor("countdown.it.test", 2);
    assertEquals(false, logged.get(0).path("cached").asBoolean(true), logged::toString);
    assertEquals(true, logged.get(1).path("cached").asBoolean(false), logged::toString);
  }

  @Test
  void nxdomain_fromUpstream_isCachedAndNotDressedAsBlocked() {
    DigResult first = stack.dig().query("missing-1.neg.it.test", "A");
    DigResult second = stack.dig().query("missing-1.neg.it.test", "A");

    for (DigResult result : List.of(first, second)) {
      assertEquals("NXDOMAIN", result.status(), result::describe);
      assertNotBlocked(result);
      // RFC 2308 §3: the negative answer carries the zone's SOA.
      assertEquals(
          List.of("it.test SOA"),
          result.authority().stream().map(r -> r.owner() + " " + r.type()).toList(),
          result::describe);
    }
    assertCachedOnSecondQuery("missing-1.neg.it.test");
  }

  @Test
  void nodata_fromUpstream_isCached() {
    DigResult first = stack.dig().query("nodata.it.test", "AAAA");
    DigResult second = stack.dig().query("nodata.it.test", "AAAA");

    for (DigResult result : List.of(first, second)) {
      assertEquals("NOERROR", result.status(), result::describe);
      assertEquals(List.of(), result.answer(), result::describe);
      assertEquals(
          List.of("SOA"),
          result.authority().stream().map(RecordLine::type).toList(),
          result::describe);
    }
    assertCachedOnSecondQuery("nodata.it.test");
  }

  private static void assertCachedOnSecondQuery(String name) {
    List<JsonNode> logged = stack.queryLog().awaitFor(name, 2);
    assertEquals(false, logged.get(0).path("cached").asBoolean(true), logged::toString);
    assertEquals(true, logged.get(1).path("cached").asBoolean(false), logged::toString);
  }
}
