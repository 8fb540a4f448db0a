package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static dev.allowdns.testing.DnsAssertions.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.DnsRecords;
import dev.allowdns.testing.FakeUpstream;
import dev.allowdns.testing.FakeUpstream.ReceivedQuery;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStack;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * What allowdns sends upstream and what it accepts back, seen from a scripted fake upstream:
 * blocked names never leave, cached answers are not asked again, spoofed replies are discarded.
 */
@RequiresPrograms({"dig"})
class UpstreamExchangeIT {
  private static final String ANSWER = "192.0.2.77";
  private static final String SPOOFED = "203.0.113.66";

  private static FakeUpstream upstream;
  private static AllowdnsProcess allowdns;
  private static Dig dig;

  @BeforeAll
  static void start() {
    upstream = FakeUpstream.start(UpstreamExchangeIT::answerEverything);
    allowdns =
        AllowdnsProcess.builder()
            .zonesFromResource(ResolverStack.ZONES)
            .upstream(upstream.address())
            .flag("--upstream-timeout", "500ms")
            .warmUp(ResolverStack.WARM_UP_NAME)
            .start();
    dig = Dig.at(allowdns.port());
  }

  @AfterAll
  static void stop() {
    if (allowdns != null) {
      allowdns.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @BeforeEach
  void answerEverythingAgain() {
    upstream.respondWith(UpstreamExchangeIT::answerEverything);
  }

  @Test
  void blockedNames_neverReachTheUpstream() {
    List<String> blocked =
        List.of(
            "unlisted.it.test",
            "denied.it.test",
            "denied-too.it.test",
            "one.it.test",
            "a.b.one.it.test",
            "many.it.test",
            "api-x.re.it.test",
            "secret.example.test");
    for (String name : blocked) {
      assertBlocked(dig.query(name, "A"), "default");
      assertBlocked(dig.query(name, "AAAA", "+tcp"), "default");
    }
    // Control: an allowed name does reach this upstream, so a zero below means something.
    assertAnswered(dig.query("exchange-control.many.it.test", "A"));
    assertEquals(
        1L, upstream.queriesFor("exchange-control.many.it.test"), upstream::describeQueries);

    for (String name : blocked) {
      assertEquals(
          0L,
          upstream.queriesFor(name),
          () -> name + " leaked upstream: " + upstream.describeQueries());
    }
  }

  @Test
  void forwardedQuery_asksForRecursionWithEdns1232() {
    assertAnswered(dig.query("forwarded.many.it.test", "A"));

    Message forwarded = onlyQueryFor("forwarded.many.it.test");
    // The upstreams are recursive resolvers: without RD they may answer with a referral.
    assertTrue(forwarded.getHeader().getFlag(Flags.RD), forwarded::toString);
    assertTrue(forwarded.getOPT() != null, () -> "EDNS(0) OPT record:\n" + forwarded);
    assertEquals(1232, forwarded.getOPT().getPayloadSize(), forwarded::toString);
  }

  @Test
  void forwardedQueries_useDistinctIdsAndSourcePorts() {
    // RFC 5452 §9.2: an off-path spoofer must guess both the ID and the source port.
    Set<Integer> ids = new HashSet<>();
    Set<Integer> ports = new HashSet<>();
    for (int i = 0; i < 6; i++) {
      String name = "entropy-" + i + ".many.it.test";
      assertAnswered(dig.query(name, "A"));
      FakeUpstream.ReceivedQuery query =
          upstream.queries().stream().filter(q -> q.name().equals(name)).findFirst().orElseThrow();
      ids.add(query.message().getHeader().getID());
      ports.add(((InetSocketAddress) query.source()).getPort());
    }

    assertTrue(ids.size() >= 5, () -> "IDs " + ids);
    assertTrue(ports.size() >= 5, () -> "source ports " + ports);
  }

  @Test
  void allowedName_isAskedUpstreamOnce_thenAnsweredFromCache() {
    for (int i = 0; i < 3; i++) {
      DigResult result = dig.query("cache-once.many.it.test", "A");
      assertEquals(List.of(ANSWER), data(result, "A"), result::describe);
    }

    assertEquals(1L, upstream.queriesFor("cache-once.many.it.test"), upstream::describeQueries);
  }

  @Test
  void nxdomain_isAskedUpstreamOnce_thenAnsweredFromNegativeCache() {
    upstream.respondWith(
        query -> {
          Message reply = FakeUpstream.reply(query.message(), Rcode.NXDOMAIN);
          reply.addRecord(DnsRecords.soa("it.test", 60), Section.AUTHORITY);
          return List.of(reply);
        });

    for (int i = 0; i < 3; i++) {
      DigResult result = dig.query("cache-negative.many.it.test", "A");
      assertEquals("NXDOMAIN", result.status(), result::describe);
    }

    assertEquals(1L, upstream.queriesFor("cache-negative.many.it.test"), upstream::describeQueries);
  }

  @ParameterizedTest(name = "a reply with the wrong {0} is discarded")
  @ValueSource(strings = {"id", "name", "type"})
  void spoofedReplyBeforeTheRealOne_isDiscarded(String wrong) {
    String name = "spoof-" + wrong + ".many.it.test";
    upstream.respondWith(
        query -> {
          Message real = answer(query, ANSWER);
          Message forged = answer(query, SPOOFED);
          Message spoof =
              switch (wrong) {
                case "id" ->
                    FakeUpstream.withId(forged, query.message().getHeader().getID() ^ 0x5A5A);
                case "name" ->
                    FakeUpstream.withQuestionName(forged, DnsRecords.name("other.many.it.test"));
                case "type" -> FakeUpstream.withQuestionType(forged, Type.TXT);
                default -> throw new IllegalArgumentException(wrong);
              };
          return List.of(spoof, real);
        });

    DigResult first = dig.query(name, "A");
    DigResult again = dig.query(name, "A");

    assertEquals(List.of(ANSWER), data(first, "A"), () -> first.describe() + allowdns.describe());
    assertEquals(
        List.of(ANSWER),
        data(again, "A"),
        () -> "the cache keeps the real answer:\n" + again.describe());
  }

  @Test
  void replyFromAnotherPort_isDiscarded() {
    // RFC 5452 §9.1: a reply must also come from the address and port the query went to.
    upstream.respondWith(
        query -> {
          upstream.sendFromOtherPort(answer(query, SPOOFED), query.source());
          sleep(50); // let the forgery arrive first
          return List.of(answer(query, ANSWER));
        });

    DigResult result = dig.query("spoof-port.many.it.test", "A");

    assertEquals(List.of(ANSWER), data(result, "A"), () -> result.describe() + allowdns.describe());
  }

  @Test
  void cnameToDeniedNameWrittenInOtherCase_isBlocked() {
    // Names compare case-insensitively inside the chain too: "DENIED.It.Test" is denied.it.test.
    upstream.respondWith(
        query -> {
          Name target = DnsRecords.name("DENIED.It.Test");
          return List.of(
              FakeUpstream.answer(
                  query.message(),
                  new CNAMERecord(query.question().getName(), DClass.IN, 300, target),
                  DnsRecords.a(target, 300, ANSWER)));
        });

    assertBlocked(dig.query("case-chain.many.it.test", "A"), "default");
  }

  @Test
  void silentUpstream_uncachedName_isServfail() {
    upstream.respondWith(query -> List.of());

    DigResult result = dig.query("silent.many.it.test", "A");

    assertEquals("SERVFAIL", result.status(), result::describe);
    assertTrue(upstream.queriesFor("silent.many.it.test") >= 1, upstream::describeQueries);
  }

  @Test
  void truncatedUpstreamReply_isRetriedOverTcp() {
    upstream.respondWith(
        query -> {
          if (query.overTcp()) {
            return List.of(answer(query, ANSWER));
          }
          Message truncated = FakeUpstream.answer(query.message());
          truncated.getHeader().setFlag(Flags.TC);
          return List.of(truncated);
        });

    DigResult result = dig.query("truncated.many.it.test", "A");

    assertEquals(List.of(ANSWER), data(result, "A"), result::describe);
    assertTrue(
        upstream.queries().stream()
            .anyMatch(q -> q.overTcp() && q.name().equals("truncated.many.it.test")),
        upstream::describeQueries);
  }

  @Test
  void any_upstreamSendsEveryRrset_clientGetsOneRrset() {
    upstream.respondWith(
        query -> {
          Name name = query.question().getName();
          return List.of(
              FakeUpstream.answer(
                  query.message(),
                  DnsRecords.a(name, 300, "192.0.2.5"),
                  DnsRecords.aaaa(name, 300, "2001:db8::5"),
                  DnsRecords.txt(name, 300, "multi"),
                  DnsRecords.mx(name, 300, 10, "mail.it.test")));
        });

    for (String transport : List.of("+notcp", "+tcp")) {
      DigResult result = dig.query("multi.it.test", "ANY", transport);

      // RFC 8482 §4.1: one RRset, or a synthesized HINFO.
      assertEquals("NOERROR", result.status(), result::describe);
      assertFalse(result.answer().isEmpty(), result::describe);
      assertEquals(1, result.response().answerTypes().size(), result::describe);
    }
  }

  private static Message onlyQueryFor(String name) {
    List<Message> queries =
        upstream.queries().stream()
            .filter(query -> query.name().equals(name))
            .map(FakeUpstream.ReceivedQuery::message)
            .toList();
    assertEquals(1, queries.size(), upstream::describeQueries);
    return queries.get(0);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static List<Message> answerEverything(ReceivedQuery query) {
    if (query.type() == Type.A) {
      return List.of(answer(query, ANSWER));
    }
    return List.of(FakeUpstream.answer(query.message()));
  }

  private static Message answer(ReceivedQuery query, String address) {
    return FakeUpstream.answer(
        query.message(), DnsRecords.a(query.question().getName(), 300, address));
  }
}
