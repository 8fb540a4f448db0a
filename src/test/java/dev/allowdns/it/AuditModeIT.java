package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code serve --mode audit}: nothing is blocked, and what enforcing would have blocked is
 * recorded as {@code would_block} with its reason.
 */
@RequiresPrograms({"knotd", "dig"})
class AuditModeIT {
  @RegisterExtension
  static final ResolverStackExtension stack = new ResolverStackExtension("--mode", "audit");

  @Test
  void nameNoRuleAllows_isAnsweredAndRecordedAsWouldBlock() {
    var result = stack.dig().query("unlisted.it.test", "A");
    assertAnswered(result);
    assertEquals(List.of("192.0.2.99"), data(result, "A"));
    JsonNode entry = stack.queryLog().awaitFirst("unlisted.it.test", "A");
    assertEquals("would_block", entry.path("result").asText(), entry::toString);
    assertEquals("not_allowed", entry.path("reason").asText(), entry::toString);
  }

  @Test
  void deniedName_isAnsweredAndRecordedWithTheDenyRule() {
    var result = stack.dig().query("denied.it.test", "A");
    assertAnswered(result);
    JsonNode entry = stack.queryLog().awaitFirst("denied.it.test", "A");
    assertEquals("would_block", entry.path("result").asText(), entry::toString);
    assertEquals("denied", entry.path("reason").asText(), entry::toString);
    assertEquals("default:basic", entry.path("allowlist_rule").asText(), entry::toString);
  }

  @Test
  void deniedNameInsideAChain_isAnsweredAndRecordedAsWouldBlock() {
    var result = stack.dig().query("via-denied.it.test", "A");
    assertAnswered(result);
    assertTrue(data(result, "A").contains("192.0.2.4"), result::toString);
    JsonNode entry = stack.queryLog().awaitFirst("via-denied.it.test", "A");
    assertEquals("would_block", entry.path("result").asText(), entry::toString);
    assertEquals("denied", entry.path("reason").asText(), entry::toString);
  }

  @Test
  void allowedName_isStillRecordedAsAllowed() {
    assertAnswered(stack.dig().query("www.it.test", "A"));
    JsonNode entry = stack.queryLog().awaitFirst("www.it.test", "A");
    assertEquals("allowed", entry.path("result").asText(), entry::toString);
  }
}
