package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static dev.allowdns.testing.DnsAssertions.data;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.FakeUpstream;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.RecordLine;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStack;
import dev.allowdns.testing.UpstreamDns;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The upstream goes away. Each test gets its own knotd and allowdns (the upstream is killed or
 * frozen), with {@code --upstream-timeout 500ms}.
 */
@RequiresPrograms({"knotd", "dig"})
class UpstreamFailureIT {
  private ResolverStack stack;

  @AfterEach
  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void upstreamKilled_neverSeenNameIsServfail_expiredNameIsServedStaleWithTtl30() throws Exception {
    stack = ResolverStack.start();
    DigResult fresh = stack.dig().query("stale-a.it.test", "A");
    assertAnswered(fresh);
    DigResult negative = stack.dig().query("gone-1.neg.it.test", "A");
    assertEquals("NXDOMAIN", negative.status(), negative::describe);

    stack.upstream().stop();
    // stale-a has TTL 2: let it expire.
    Thread.sleep(2500);

    assertServfail(stack.dig().query("never-asked.it.test", "A"));
    JsonNode failed = stack.queryLog().awaitFirst("never-asked.it.test", "A");
    assertEquals("error", failed.path("result").asText(), failed::toString);
    assertServedStale(stack.dig().query("stale-a.it.test", "A"), "192.0.2.41");
    // Within its 60 s negative TTL, the cached NXDOMAIN needs no upstream.
    DigResult cachedNegative = stack.dig().query("gone-1.neg.it.test", "A");
    assertEquals("NXDOMAIN", cachedNegative.status(), cachedNegative::describe);
    // Blocked names never needed the upstream.
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");
  }

  @Test
  void upstreamSilent_neverSeenNameIsServfail_expiredNameIsServedStaleWithTtl30() throws Exception {
    stack = ResolverStack.start();
    assertAnswered(stack.dig().query("stale-b.it.test", "A"));

    stack.upstream().pause();
    Thread.sleep(2500);

    // dig waits 2 s: with a 500 ms upstream timeout the answer must come before that.
    assertServfail(stack.dig().query("never-asked.it.test", "A"));
    assertServedStale(stack.dig().query("stale-b.it.test", "A"), "192.0.2.42");
  }

  @Test
  void serveStaleMax_passed_expiredNameIsServfail() throws Exception {
    stack = ResolverStack.start("--serve-stale-max", "1s");
    assertAnswered(stack.dig().query("stale-c.it.test", "A"));

    stack.upstream().stop();
    // TTL 2 s, then 1 s of allowed staleness, then some margin.
    Thread.sleep(4000);

    assertServfail(stack.dig().query("stale-c.it.test", "A"));
  }

  @Test
  void firstUpstreamsDeadOrSilent_nextUpstreamAnswers() {
    UpstreamDns knotd = ResolverStack.startUpstream();
    try (knotd;
        FakeUpstream silent = FakeUpstream.start(query -> List.of());
        AllowdnsProcess allowdns =
            AllowdnsProcess.builder()
                .zonesFromResource(ResolverStack.ZONES)
                // Nothing listens on the first: ICMP port unreachable. The second never answers.
                .upstream("127.0.0.1:" + FreePorts.udpAndTcp())
                .upstream(silent.address())
                .upstream(knotd.address())
                .flag("--upstream-timeout", "500ms")
                .warmUp(ResolverStack.WARM_UP_NAME)
                .start()) {
      DigResult result = Dig.at(allowdns.port()).query("www.it.test", "A");

      assertEquals(List.of("192.0.2.1"), data(result, "A"), result::describe);
    }
  }

  private static void assertServfail(DigResult result) {
    assertEquals("SERVFAIL", result.status(), result::describe);
    assertEquals(List.of(), result.answer(), result::describe);
  }

  /** RFC 8767 §4: a stale answer goes out with a TTL of 30 seconds. */
  private static void assertServedStale(DigResult result, String address) {
    assertEquals("NOERROR", result.status(), result::describe);
    assertEquals(List.of(address), data(result, "A"), result::describe);
    assertEquals(
        List.of(30L), result.answer().stream().map(RecordLine::ttl).toList(), result::describe);
  }
}
