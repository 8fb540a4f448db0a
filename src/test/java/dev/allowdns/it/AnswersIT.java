package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static dev.allowdns.testing.DnsAssertions.assertNotBlocked;
import static dev.allowdns.testing.DnsAssertions.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.DnsRecords;
import dev.allowdns.testing.RecordLine;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.Address;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Allowed names through allowdns in front of a real knotd: plain answers, CNAME chains, EDNS, the
 * rebinding guard and ANY.
 */
@RequiresPrograms({"knotd", "dig"})
class AnswersIT {
  @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();

  @Test
  void serve_printsOnlyItsReadyLineOnStdout() {
    // Scripts wait for this one line; logs belong on stderr or in files.
    assertAnswered(stack.dig().query("www.it.test", "A"));
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");

    assertEquals(
        List.of(stack.allowdns().readyLine()),
        stack.allowdns().stdoutLines(),
        () -> stack.allowdns().describe());
    assertTrue(
        stack.allowdns().readyLine().contains("127.0.0.1:" + stack.allowdns().port()),
        () -> "the ready line names the DNS address: " + stack.allowdns().readyLine());
  }

  @ParameterizedTest(name = "{1} {0} -> {2}")
  @CsvSource({
    "www.it.test, A, 192.0.2.1",
    "v6.it.test, AAAA, 2001:db8::1",
    "txt.it.test, TXT, '\"hello from it.test\"'"
  })
  void allowedName_returnsUpstreamData(String name, String type, String upstreamData) {
    assertAnswers(name, type, upstreamData);
  }

  @Test
  void dnsjavaClient_overUdpAndTcp_getsBothAddressFamilies() throws Exception {
    for (boolean tcp : new boolean[] {false, true}) {
      SimpleResolver resolver =
          new SimpleResolver(
              new InetSocketAddress(InetAddress.getLoopbackAddress(), stack.allowdns().port()));
      resolver.setTCP(tcp);
      resolver.setTimeout(Duration.ofSeconds(2));

      Message a = resolver.send(query("dual.it.test", Type.A));
      Message aaaa = resolver.send(query("dual.it.test", Type.AAAA));

      String transport = tcp ? "TCP" : "UDP";
      assertEquals(Rcode.NOERROR, a.getRcode(), transport + ":\n" + a);
      assertEquals(List.of("192.0.2.2"), rdata(a), transport + ":\n" + a);
      assertEquals(Rcode.NOERROR, aaaa.getRcode(), transport + ":\n" + aaaa);
      assertEquals(List.of(normalised("2001:db8::2")), rdata(aaaa), transport + ":\n" + aaaa);
    }
  }

  @Test
  void edns_answer_advertises1232BytePayload() {
    DigResult result = stack.dig().query("www.it.test", "A");

    assertEquals(java.util.Optional.of(1232), result.ednsUdpSize(), result::describe);
  }

  @Test
  void cnameChain_allowedFirstName_returnsWholeChainAndFinalAddress() {
    DigResult result = stack.dig().query("chain-a.it.test", "A");

    assertAnswered(result);
    Set<String> answer =
        result.answer().stream()
            .map(record -> record.owner() + " " + record.type() + " " + record.data())
            .collect(Collectors.toSet());
    assertEquals(
        Set.of(
            "chain-a.it.test CNAME chain-b.it.test.",
            "chain-b.it.test CNAME chain-c.it.test.",
            "chain-c.it.test A 192.0.2.3"),
        answer,
        result::describe);
  }

  @Test
  void cnameChainTarget_askedDirectly_isBlocked() {
    // The chain is trusted only as the answer of the allowed name, not as an allowlist entry.
    assertBlocked(stack.dig().query("chain-c.it.test", "A"), "default");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"A, 192.0.2.10", "AAAA, 2001:db8::10"})
  void rebindingGuard_mixedPublicAndPrivate_keepsOnlyPublicAddress(String type, String address) {
    assertAnswers("mixed.it.test", type, address);
  }

  @Test
  void rebindingGuard_rangeEdgesAndIpv4MappedIpv6_areRemoved() {
    // 10.255.255.254, 172.31.255.254, 169.254.0.1; febf::1, fc00::1, and ::ffff:127.0.0.1,
    // ::ffff:10.0.0.1, ::ffff:169.254.169.254 (IPv6 must not be a way around the guard).
    DigResult a = stack.dig().query("edges.it.test", "A");
    DigResult aaaa = stack.dig().query("edges.it.test", "AAAA");

    assertEquals(List.of("192.0.2.12"), data(a, "A"), a::describe);
    assertEquals(List.of("2001:db8::12"), data(aaaa, "AAAA"), aaaa::describe);
  }

  @Test
  void rebindingGuard_everyAddressPrivate_isEmptyNoerror() {
    for (String type : List.of("A", "AAAA")) {
      DigResult result = stack.dig().query("allprivate.it.test", type);

      assertEquals("NOERROR", result.status(), result::describe);
      assertEquals(List.of(), result.answer(), result::describe);
      assertNotBlocked(result);
    }
  }

  @Test
  void rebindingGuard_privateAddressesAtEndOfCnameChain_areRemoved() {
    DigResult result = stack.dig().query("chain-private.it.test", "A");

    assertEquals("NOERROR", result.status(), result::describe);
    assertEquals(List.of(), data(result, "A"), result::describe);
  }

  @Test
  void rebindingGuard_zoneWithAllowPrivate_keepsPrivateAddresses() {
    DigResult a = stack.dig().query("kept.it.test", "A");
    DigResult aaaa = stack.dig().query("kept.it.test", "AAAA");

    assertAnswered(a);
    assertEquals(Set.of("10.1.2.3", "192.0.2.11"), Set.copyOf(data(a, "A")), a::describe);
    assertAnswered(aaaa);
    assertEquals(Set.of("fe80::1", "2001:db8::11"), Set.copyOf(data(aaaa, "AAAA")), aaaa::describe);
  }

  @Test
  void any_allowedName_isAnsweredWithOneRrsetOnly() {
    // RFC 8482 §4: one RRset (or a synthesized HINFO), over UDP and over TCP alike.
    for (String transport : List.of("+notcp", "+tcp")) {
      DigResult result = stack.dig().query("multi.it.test", "ANY", transport);

      assertEquals("NOERROR", result.status(), result::describe);
      assertFalse(result.answer().isEmpty(), result::describe);
      assertEquals(1, result.response().answerTypes().size(), result::describe);
    }
  }

  @Test
  void answer_forAllowedName_keepsQueryIdAndQuestion() {
    DigResult result = stack.dig().query("WWW.It.Test", "A");

    assertAnswered(result);
    List<RecordLine> question = result.response().question();
    assertEquals(1, question.size(), result::describe);
    assertEquals("www.it.test", question.get(0).owner(), result::describe);
    assertTrue(result.response().flags().contains("qr"), result::describe);
  }

  @Test
  void answer_echoesQuestionCaseByteForByte() throws Exception {
    // RFC 1035 §7.3 / draft-vixie-dnsext-dns0x20: clients that randomise case check the echo.
    Message query = query("wWw.It.TeSt", Type.A);

    Message reply = stack.raw().udpQuery(query);

    assertEquals(query.getHeader().getID(), reply.getHeader().getID());
    assertEquals("wWw.It.TeSt.", reply.getQuestion().getName().toString(), reply::toString);
    assertEquals(Rcode.NOERROR, reply.getRcode(), reply::toString);
  }

  /** Asks allowdns for {@code name}, and checks it answered with exactly this one record data. */
  private static void assertAnswers(String name, String type, String data) {
    DigResult result = stack.dig().query(name, type);

    assertAnswered(result);
    assertEquals(List.of(data), data(result, type), result::describe);
    assertEquals(name, result.answer().get(0).owner(), result::describe);
  }

  private static Message query(String name, int type) {
    return Message.newQuery(Record.newRecord(DnsRecords.name(name), type, DClass.IN));
  }

  /** Returns the answer's addresses, each in Java's canonical text form. */
  private static List<String> rdata(Message message) {
    return message.getSection(Section.ANSWER).stream()
        .map(record -> normalised(record.rdataToString()))
        .toList();
  }

  private static String normalised(String addressLiteral) {
    try {
      return Address.getByAddress(addressLiteral).getHostAddress();
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError("not an address: " + addressLiteral, e);
    }
  }
}
