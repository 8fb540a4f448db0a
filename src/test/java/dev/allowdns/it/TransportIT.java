package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static dev.allowdns.testing.DnsAssertions.data;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.DigResponse;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.DnsRecords;
import dev.allowdns.testing.RawDns;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * UDP and TCP behaviour: truncation (RFC 1035 §4.2.1, RFC 6891 §6.2.5), TCP connection reuse and
 * pipelining (RFC 7766 §6.2.1.1), idle timeout, and malformed input that must not stop the server.
 */
@RequiresPrograms({"knotd", "dig", "kdig"})
class TransportIT {
  @RegisterExtension
  static final ResolverStackExtension stack = new ResolverStackExtension("--tcp-idle-timeout", "1s");

  @AfterEach
  void serverStillRunsAndAnswers() {
    assertTrue(stack.allowdns().isAlive(), () -> stack.allowdns().describe());
    assertAnswered(stack.dig().query("www.it.test", "A"));
  }

  @Test
  void bigTxt_overUdp_isTruncated() {
    // +ignore: show the UDP answer instead of retrying over TCP.
    DigResult result = stack.dig().query("big.it.test", "TXT", "+notcp", "+ignore");

    assertEquals("NOERROR", result.status(), result::describe);
    assertTrue(result.hasFlag("tc"), () -> "TC flag:\n" + result.describe());
  }

  @Test
  void bigTxt_overTcp_returnsTheWholeRrset() {
    DigResult result = stack.dig().query("big.it.test", "TXT", "+tcp");

    assertAnswered(result);
    assertFalse(result.hasFlag("tc"), result::describe);
    assertEquals(6, data(result, "TXT").size(), result::describe);
  }

  @Test
  void bigTxt_digDefault_retriesOverTcpAndGetsTheWholeRrset() {
    DigResult result = stack.dig().query("big.it.test", "TXT");

    assertTrue(result.stdout().contains("Truncated, retrying in TCP mode"), result::describe);
    assertEquals(6, data(result, "TXT").size(), result::describe);
  }

  @Test
  void midTxt_withoutEdns_isTruncatedAt512Bytes() {
    DigResult result = stack.dig().query("mid.it.test", "TXT", "+noedns", "+notcp", "+ignore");

    assertTrue(result.hasFlag("tc"), () -> "TC flag:\n" + result.describe());
  }

  @Test
  void midTxt_clientAdvertising600Bytes_isTruncated() {
    // About 680 bytes: more than this client said it can take (RFC 6891 §6.2.5).
    DigResult result = stack.dig().query("mid.it.test", "TXT", "+bufsize=600", "+notcp", "+ignore");

    assertTrue(result.hasFlag("tc"), () -> "TC flag:\n" + result.describe());
  }

  @Test
  void midTxt_withEdns1232_fitsWithoutTruncation() {
    DigResult result =
        stack.dig().query("mid.it.test", "TXT", "+bufsize=1232", "+notcp", "+ignore");

    assertAnswered(result);
    assertFalse(result.hasFlag("tc"), result::describe);
    assertEquals(3, data(result, "TXT").size(), result::describe);
  }

  @Test
  void tcp_pipelinedQueries_areAllAnsweredOnOneConnection() throws Exception {
    List<Message> queries =
        List.of(
            query("www.it.test", Type.A),
            query("v6.it.test", Type.AAAA),
            query("big.it.test", Type.TXT),
            query("unlisted.it.test", Type.A),
            query("txt.it.test", Type.TXT),
            query("www.it.test", Type.A));
    Map<Integer, Message> byId = new HashMap<>();
    for (int i = 0; i < queries.size(); i++) {
      queries.get(i).getHeader().setID(0x4100 + i);
      byId.put(queries.get(i).getHeader().getID(), queries.get(i));
    }

    List<Message> replies = stack.raw().tcpPipeline(queries, Duration.ofSeconds(5));

    assertEquals(queries.size(), replies.size());
    Map<String, Message> replyByName = new HashMap<>();
    for (Message reply : replies) {
      Message query = byId.remove(reply.getHeader().getID());
      assertTrue(query != null, () -> "reply with an unknown or repeated ID:\n" + reply);
      assertEquals(query.getQuestion(), reply.getQuestion(), () -> "question echoed:\n" + reply);
      assertTrue(reply.getHeader().getFlag(Flags.QR));
      replyByName.put(
          reply.getQuestion().getName().toString(true)
              + "/"
              + Type.string(reply.getQuestion().getType()),
          reply);
    }
    assertEquals(Rcode.NOERROR, replyByName.get("www.it.test/A").getRcode());
    assertEquals(Rcode.NOERROR, replyByName.get("v6.it.test/AAAA").getRcode());
    assertEquals(6, replyByName.get("big.it.test/TXT").getSection(Section.ANSWER).size());
    assertFalse(replyByName.get("big.it.test/TXT").getHeader().getFlag(Flags.TC));
    assertEquals(Rcode.NXDOMAIN, replyByName.get("unlisted.it.test/A").getRcode());
    assertEquals(Rcode.NOERROR, replyByName.get("txt.it.test/TXT").getRcode());
  }

  @Test
  void tcp_queryWrittenInPieces_isAnswered() throws Exception {
    Message query = query("www.it.test", Type.A);
    byte[] wire = query.toWire();
    try (Socket socket = stack.raw().connect(Duration.ofSeconds(3))) {
      var out = socket.getOutputStream();
      // The length prefix split in two, then the message in two parts (RFC 7766 §8).
      out.write(wire.length >> 8);
      out.flush();
      Thread.sleep(50);
      out.write(wire.length & 0xFF);
      out.write(wire, 0, 5);
      out.flush();
      Thread.sleep(50);
      out.write(wire, 5, wire.length - 5);
      out.flush();

      var in = new java.io.DataInputStream(socket.getInputStream());
      byte[] reply = new byte[in.readUnsignedShort()];
      in.readFully(reply);
      Message answer = new Message(reply);
      assertEquals(query.getHeader().getID(), answer.getHeader().getID());
      assertEquals(Rcode.NOERROR, answer.getRcode(), answer::toString);
      assertEquals(1, answer.getSection(Section.ANSWER).size(), answer::toString);
    }
  }

  @Test
  void kdig_keepOpen_getsEveryAnswerOverOneConnection() {
    DigResult result =
        stack
            .dig()
            .kdig(
                "+tcp",
                "+keepopen",
                "www.it.test",
                "A",
                "v6.it.test",
                "AAAA",
                "unlisted.it.test",
                "A",
                "txt.it.test",
                "TXT");

    List<DigResponse> responses = result.responses();
    assertEquals(4, responses.size(), result::describe);
    assertEquals(
        List.of("NOERROR", "NOERROR", "NXDOMAIN", "NOERROR"),
        responses.stream().map(DigResponse::status).toList(),
        result::describe);
    assertFalse(result.stdout().contains("connection reset"), result::describe);
  }

  @Test
  void tcp_idleConnection_isClosedByServerAfterIdleTimeout() throws Exception {
    try (Socket socket = stack.raw().connect(Duration.ofSeconds(5))) {
      Optional<Duration> closedAfter = RawDns.awaitServerClose(socket, Duration.ofSeconds(5));

      assertTrue(closedAfter.isPresent(), "--tcp-idle-timeout 1s: still open after 5 s");
      assertTrue(
          closedAfter.get().toMillis() >= 700,
          "closed after " + closedAfter.get().toMillis() + " ms, before the 1 s idle timeout");
    }
  }

  @Test
  void udp_garbageShorterThanAHeader_isDropped() throws Exception {
    Optional<byte[]> reply =
        stack.raw().udpExchange(new byte[] {0x13, 0x37, 0x42, 0x00, 0x01}, Duration.ofMillis(800));

    assertTrue(reply.isEmpty(), "garbage must be dropped, not answered");
  }

  @Test
  void udp_headerOnlyClaimingOneQuestion_getsFormerr() throws Exception {
    byte[] reply = formerrExchange(RawDns.header(0x1234, 1, 0, 0, 0));

    assertEquals(0x1234, RawDns.id(reply));
  }

  @Test
  void udp_questionCutMidName_getsFormerr() throws Exception {
    ByteArrayOutputStream packet = new ByteArrayOutputStream();
    packet.write(RawDns.header(0x2345, 1, 0, 0, 0));
    packet.write(new byte[] {3, 'w', 'w', 'w', 2, 'i'}); // label "it" cut short, no type/class
    byte[] reply = formerrExchange(packet.toByteArray());

    assertEquals(0x2345, RawDns.id(reply));
  }

  @Test
  void udp_twoQuestions_getsFormerr() throws Exception {
    Message query = query("www.it.test", Type.A);
    query.addRecord(
        Record.newRecord(DnsRecords.name("v6.it.test"), Type.AAAA, DClass.IN), Section.QUESTION);

    byte[] reply = formerrExchange(query.toWire());

    assertEquals(query.getHeader().getID(), RawDns.id(reply));
  }

  @Test
  void udp_noQuestion_getsFormerr() throws Exception {
    byte[] reply = formerrExchange(RawDns.header(0x3456, 0, 0, 0, 0));

    assertEquals(0x3456, RawDns.id(reply));
  }

  @Test
  void tcp_brokenMessages_thenClose_leaveTheServerAnswering() throws Exception {
    // A length prefix promising 65535 bytes, a few bytes, then the client goes away.
    stack.raw().tcpSendAndClose(new byte[] {(byte) 0xFF, (byte) 0xFF, 1, 2, 3, 4, 5, 6, 7, 8});
    // A length prefix alone, cut in half.
    stack.raw().tcpSendAndClose(new byte[] {0x00});
    // A well-framed message that is garbage inside.
    stack.raw().tcpSendAndClose(new byte[] {0x00, 0x04, 0x13, 0x37, 0x13, 0x37});

    assertAnswered(stack.dig().query("www.it.test", "A", "+tcp"));
    assertBlocked(stack.dig().query("unlisted.it.test", "A", "+tcp"), "default");
  }

  /** Sends a datagram, asserts a FORMERR response came back, and returns it. */
  private static byte[] formerrExchange(byte[] packet) throws Exception {
    byte[] reply =
        stack
            .raw()
            .udpExchange(packet, Duration.ofSeconds(2))
            .orElseThrow(() -> new AssertionError("no reply; expected FORMERR"));
    assertTrue(RawDns.isResponse(reply), "QR set");
    assertEquals(
        Rcode.FORMERR, RawDns.rcode(reply), () -> "rcode " + Rcode.string(RawDns.rcode(reply)));
    return reply;
  }

  private static Message query(String name, int type) {
    return Message.newQuery(Record.newRecord(DnsRecords.name(name), type, DClass.IN));
  }
}
