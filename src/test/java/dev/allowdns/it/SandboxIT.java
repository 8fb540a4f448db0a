package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.LocalAddresses;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Clients are told apart by source address: a registered sandbox (127.0.0.2, from {@code --config})
 * gets its own policy and is named in the query log; other loopback clients get {@code default};
 * anyone else is REFUSED, so allowdns is never an open resolver.
 */
@RequiresPrograms({"knotd", "dig"})
class SandboxIT {
  private static final String CONFIG =
      """
      policies:
        default: [basic, denylist, private]
        strict: [private]
      sandboxes:
        - cidr: 127.0.0.2/32
          id: vm-strict
          task_id: task_it
          user: it@example.test
          policy: strict
      """;

  @RegisterExtension
  static final ResolverStackExtension stack = ResolverStackExtension.withConfig(CONFIG);

  @Test
  void registeredSandbox_getsItsOwnPolicy() {
    DigResult outsidePolicy = stack.dig().query("www.it.test", "A", "-b", "127.0.0.2");
    DigResult insidePolicy = stack.dig().query("kept.it.test", "A", "-b", "127.0.0.2");

    assertBlocked(outsidePolicy, "strict");
    assertAnswered(insidePolicy);
  }

  @Test
  void registeredSandbox_isNamedInTheQueryLog() {
    assertAnswered(stack.dig().query("kept.it.test", "AAAA", "-b", "127.0.0.2"));

    JsonNode entry = stack.queryLog().awaitFirst("kept.it.test", "AAAA");

    assertEquals("vm-strict", entry.path("sandbox").asText(), entry::toString);
    assertEquals("task_it", entry.path("task_id").asText(), entry::toString);
    assertEquals("it@example.test", entry.path("user").asText(), entry::toString);
    assertEquals("127.0.0.2", entry.path("client_ip").asText(), entry::toString);
    assertEquals("strict:private", entry.path("allowlist_rule").asText(), entry::toString);
  }

  @Test
  void otherLoopbackClient_getsDefaultPolicy() {
    assertAnswered(stack.dig().query("www.it.test", "A", "-b", "127.0.0.3"));
    assertBlocked(stack.dig().query("unlisted.it.test", "A", "-b", "127.0.0.3"), "default");
  }

  @Test
  void nonLoopbackUnregisteredClient_isRefusedAndNothingIsForwarded() {
    InetAddress source = LocalAddresses.nonLoopbackIpv4().orElse(null);
    Assumptions.assumeTrue(source != null, "this machine has no non-loopback IPv4 address");

    DigResult result =
        stack.dig().query("refused-client.many.it.test", "A", "-b", source.getHostAddress());

    assertEquals("REFUSED", result.status(), result::describe);
    assertEquals(List.of(), result.answer(), result::describe);
    JsonNode entry = stack.queryLog().awaitFirst("refused-client.many.it.test", "A");
    assertEquals("refused", entry.path("result").asText(), entry::toString);
    assertEquals(source.getHostAddress(), entry.path("client_ip").asText(), entry::toString);
    assertTrue(
        entry.path("upstream").isNull() || entry.path("upstream").asText().isEmpty(),
        entry::toString);
  }
}
