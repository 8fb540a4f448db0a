package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The query log ({@code <log-dir>/queries.jsonl}): one JSON object per query, fields as in
 * DESIGN.md.
 */
@RequiresPrograms({"knotd", "dig"})
class QueryLogIT {
  private static final List<String> FIELDS =
      List.of(
          "timestamp",
          "sandbox",
          "task_id",
          "user",
          "client_ip",
          "name",
          "type",
          "result",
          "rcode",
          "allowlist_rule",
          "answers",
          "upstream",
          "cached",
          "duration_us");

  @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();

  @Test
  void allowedQuery_isLoggedWithEveryField() {
    Instant before = Instant.now();
    assertAnswered(stack.dig().query("www.it.test", "A"));

    JsonNode entry = stack.queryLog().awaitFirst("www.it.test", "A");

    assertHasEveryField(entry);
    assertTimestampNear(entry, before);
    assertEquals("127.0.0.1", entry.path("client_ip").asText(), entry::toString);
    // Names are logged normalised: lower case, no trailing dot.
    assertEquals("www.it.test", entry.path("name").asText(), entry::toString);
    assertEquals("A", entry.path("type").asText(), entry::toString);
    assertEquals("allowed", entry.path("result").asText(), entry::toString);
    assertRcode(entry, "NOERROR", 0);
    assertEquals("default:basic", entry.path("allowlist_rule").asText(), entry::toString);
    assertTrue(entry.path("answers").toString().contains("192.0.2.1"), entry::toString);
    assertTrue(
        entry.path("upstream").asText().contains(Integer.toString(stack.upstream().port())),
        () -> "upstream names " + stack.upstream().address() + ": " + entry);
    assertEquals(false, entry.path("cached").asBoolean(true), entry::toString);
    assertTrue(entry.path("duration_us").isIntegralNumber(), entry::toString);
    assertTrue(entry.path("duration_us").asLong() >= 0, entry::toString);
  }

  @Test
  void unlistedQuery_isLoggedAsBlockedWithoutRuleOrUpstream() {
    Instant before = Instant.now();
    assertBlocked(stack.dig().query("unlisted.it.test", "AAAA"), "default");

    JsonNode entry = stack.queryLog().awaitFirst("unlisted.it.test", "AAAA");

    assertHasEveryField(entry);
    assertTimestampNear(entry, before);
    assertEquals("127.0.0.1", entry.path("client_ip").asText(), entry::toString);
    assertEquals("AAAA", entry.path("type").asText(), entry::toString);
    assertEquals("blocked", entry.path("result").asText(), entry::toString);
    assertRcode(entry, "NXDOMAIN", 3);
    assertTrue(isNullOrEmpty(entry.path("allowlist_rule")), () -> "no rule decided: " + entry);
    assertTrue(isNullOrEmpty(entry.path("upstream")), () -> "never sent upstream: " + entry);
  }

  @Test
  void deniedQuery_isLoggedWithTheDenyRulesZone() {
    assertBlocked(stack.dig().query("denied.it.test", "A"), "default");
    assertBlocked(stack.dig().query("denied-too.it.test", "A"), "default");

    JsonNode denied = stack.queryLog().awaitFirst("denied.it.test", "A");
    JsonNode deniedToo = stack.queryLog().awaitFirst("denied-too.it.test", "A");

    assertEquals("blocked", denied.path("result").asText(), denied::toString);
    assertEquals("default:basic", denied.path("allowlist_rule").asText(), denied::toString);
    // allowed in basic.zone, denied in denylist.zone: the deny decided.
    assertEquals("blocked", deniedToo.path("result").asText(), deniedToo::toString);
    assertEquals(
        "default:denylist", deniedToo.path("allowlist_rule").asText(), deniedToo::toString);
  }

  @Test
  void cnameChain_isLoggedWhole() {
    assertAnswered(stack.dig().query("chain-a.it.test", "A"));

    JsonNode entry = stack.queryLog().awaitFirst("chain-a.it.test", "A");

    assertEquals("allowed", entry.path("result").asText(), entry::toString);
    assertEquals("default:basic", entry.path("allowlist_rule").asText(), entry::toString);
    String answers = entry.path("answers").toString();
    for (String part : List.of("chain-b.it.test", "chain-c.it.test", "192.0.2.3")) {
      assertTrue(answers.contains(part), () -> "answers mention " + part + ": " + entry);
    }
  }

  private static void assertHasEveryField(JsonNode entry) {
    for (String field : FIELDS) {
      assertTrue(entry.has(field), () -> "field " + field + " missing: " + entry);
    }
  }

  private static void assertTimestampNear(JsonNode entry, Instant before) {
    String text = entry.path("timestamp").asText();
    Instant timestamp = DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text, Instant::from);
    assertTrue(
        !timestamp.isBefore(before.minusSeconds(1))
            && timestamp.isBefore(Instant.now().plus(Duration.ofSeconds(1))),
        () -> "timestamp " + text + " is the time of the query (" + before + ")");
  }

  /** The contract does not fix the rcode's form: accept its mnemonic or its number. */
  private static void assertRcode(JsonNode entry, String mnemonic, int number) {
    JsonNode rcode = entry.path("rcode");
    assertTrue(
        rcode.isNumber() ? rcode.asInt() == number : rcode.asText().equals(mnemonic),
        () -> "rcode " + mnemonic + " (" + number + "): " + entry);
  }

  private static boolean isNullOrEmpty(JsonNode node) {
    return node.isMissingNode() || node.isNull() || node.asText().isEmpty();
  }
}
