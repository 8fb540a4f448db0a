package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The peek handlers on an EmbeddedChannel: what they report, and that every byte flows on. */
class PeekTest {
  /** Collects peek events and the bytes that reach the handler after the peeks. */
  static final class Sink extends ChannelInboundHandlerAdapter {
    final List<PeekResult> events = new ArrayList<>();
    final ByteBuf received = Unpooled.buffer();

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof PeekResult peek) {
        events.add(peek);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      received.writeBytes(b);
      b.release();
    }
  }

  private static ByteBuf clientHello(String serverName) throws Exception {
    SslContext client = SslContextBuilder.forClient().build();
    EmbeddedChannel tls = new EmbeddedChannel(client.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT, serverName, 443));
    ByteBuf hello = Unpooled.buffer();
    for (Object out; (out = tls.readOutbound()) != null; ) {
      hello.writeBytes((ByteBuf) out);
      ((ByteBuf) out).release();
    }
    tls.finishAndReleaseAll();
    return hello;
  }

  @Test
  void tls_clientHelloSplitAcrossSegments_reportsSniAndPassesEveryByte() throws Exception {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    ByteBuf hello = clientHello("registry.npmjs.org");
    int total = hello.readableBytes();
    ch.writeInbound(hello.readRetainedSlice(7)); // a record header and a bit: not enough yet
    assertEquals(0, sink.events.size());
    ch.writeInbound(hello.readRetainedSlice(hello.readableBytes()));
    hello.release();
    assertEquals(List.of(new PeekResult("https", "registry.npmjs.org", null, total)), sink.events);
    assertEquals(total, sink.received.readableBytes());
    assertNull(ch.pipeline().get(TlsNamePeek.class));
  }

  @Test
  void http_requestAcrossSegments_reportsHostAndPassesTheRequestUnchanged() {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    String request = "GET /index.html HTTP/1.1\r\nUser-Agent: t\r\nHoSt: pypi.org:8080\r\n\r\n";
    ch.writeInbound(Unpooled.copiedBuffer(request.substring(0, 20), StandardCharsets.US_ASCII));
    ch.writeInbound(Unpooled.copiedBuffer(request.substring(20), StandardCharsets.US_ASCII));
    assertEquals(List.of(new PeekResult("http", null, "pypi.org:8080", request.length())), sink.events);
    assertEquals(request, sink.received.toString(StandardCharsets.US_ASCII));
    assertNull(ch.pipeline().get(HttpHostPeek.class));
  }

  @Test
  void other_protocol_isReportedAsTcpWithItsBytes() {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    ch.writeInbound(Unpooled.copiedBuffer("SSH-2.0-OpenSSH_9.2\r\n", StandardCharsets.US_ASCII));
    assertEquals(List.of(PeekResult.nothing(21)), sink.events);
    assertEquals(21, sink.received.readableBytes());
  }

  @Test
  void other_protocol_startingLikeATlsAlert_isReportedAsTcp_notClosed() {
    // Netty's ClientHello parser drops such bytes and closes the channel (found by PeekFuzzTest).
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    byte[] sent = {0x15, 0x58, 0x01, 0x00, 0x6b, 0x03, 0x01, 0x51};
    ch.writeInbound(Unpooled.wrappedBuffer(sent));
    assertEquals(List.of(PeekResult.nothing(sent.length)), sink.events);
    assertEquals(sent.length, sink.received.readableBytes());
    assertTrue(ch.isOpen());
  }

  @Test
  void hostOf_findsTheFirstHostHeader_inAnyCase_withOrWithoutSpaces() {
    assertEquals("a.test", HttpHostPeek.hostOf("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test"));
    assertEquals("a.test:81", HttpHostPeek.hostOf("GET / HTTP/1.1\r\nAccept: */*\r\nhOST :a.test:81 "));
    assertEquals("", HttpHostPeek.hostOf("GET / HTTP/1.1\r\nHost:"));
  }

  @Test
  void hostOf_withoutAHostHeader_isNull() {
    assertNull(HttpHostPeek.hostOf("GET / HTTP/1.0"));
    assertNull(HttpHostPeek.hostOf("GET / HTTP/1.1\r\nX-Host: a.test\r\n: b.test"));
    assertNull(HttpHostPeek.hostOf(""));
  }

  /** A ClientHello record whose server_name extension lists {@code names} (RFC 6066 §3). */
  static ByteBuf clientHelloNaming(String... names) {
    return clientHelloNaming(new int[names.length], names);
  }

  /** A ClientHello record whose server_name list has an entry of {@code types[i]} for each name. */
  static ByteBuf clientHelloNaming(int[] types, String... names) {
    ByteBuf list = Unpooled.buffer();
    for (int i = 0; i < names.length; i++) {
      byte[] ascii = names[i].getBytes(StandardCharsets.US_ASCII);
      list.writeByte(types[i]).writeShort(ascii.length).writeBytes(ascii);
    }
    ByteBuf extensions = Unpooled.buffer();
    extensions.writeShort(0).writeShort(list.readableBytes() + 2).writeShort(list.readableBytes()).writeBytes(list);
    ByteBuf body = Unpooled.buffer();
    body.writeShort(0x0303).writeZero(32).writeByte(0); // version, random, no session id
    body.writeShort(2).writeShort(0x002f).writeByte(1).writeByte(0); // one suite, null compression
    body.writeShort(extensions.readableBytes()).writeBytes(extensions);
    ByteBuf record = Unpooled.buffer();
    record.writeByte(0x16).writeShort(0x0301).writeShort(body.readableBytes() + 4);
    record.writeByte(1).writeMedium(body.readableBytes()).writeBytes(body);
    list.release();
    extensions.release();
    body.release();
    return record;
  }

  @Test
  void tls_sniListWithTwoDifferentHostNames_isReportedAmbiguous() {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    ByteBuf hello = clientHelloNaming("allowed.test", "evil.test");
    int total = hello.readableBytes();
    ch.writeInbound(hello);
    assertEquals(
        List.of(new PeekResult("https", "allowed.test", null, total, "2 SNI host names that differ: allowed.test, evil.test")),
        sink.events);
    assertEquals(total, sink.received.readableBytes());
  }

  @Test
  void tls_sniListNamingOneHostTwice_isNotAmbiguous() {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    ByteBuf hello = clientHelloNaming("allowed.test", "ALLOWED.test");
    int total = hello.readableBytes();
    ch.writeInbound(hello);
    assertEquals(List.of(new PeekResult("https", "allowed.test", null, total)), sink.events);
  }

  @Test
  void http_twoDifferentHostHeaders_isReportedAmbiguous() {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    String request = "GET / HTTP/1.1\r\nHost: allowed.test\r\nhost: evil.test\r\n\r\n";
    ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    assertEquals(
        List.of(new PeekResult("http", null, "allowed.test", request.length(), "2 Host headers that differ: allowed.test, evil.test")),
        sink.events);
    assertEquals(request, sink.received.toString(StandardCharsets.US_ASCII));
  }

  @Test
  void http_sameHostTwice_isNotAmbiguous() {
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    String request = "GET / HTTP/1.1\r\nHost: allowed.test\r\nHost: Allowed.Test\r\n\r\n";
    ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    assertEquals(List.of(new PeekResult("http", null, "allowed.test", request.length())), sink.events);
  }

  @Test
  void tls_hostNameAfterAnEntryOfAnotherType_isStillChecked() {
    // Netty reads only the first entry, and gives up when it is not a host_name.
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    ByteBuf hello = clientHelloNaming(new int[] {1, 0}, "other.test", "evil.test");
    int total = hello.readableBytes();
    ch.writeInbound(hello);
    assertEquals(List.of(new PeekResult("https", "evil.test", null, total)), sink.events);
  }

  @Test
  void tls_clientHelloLongerThanTheBound_isReportedUncheckable_andEveryByteFlowsOn() {
    // A handshake header that promises 16 MiB, then records trickling in: Netty would buffer them all.
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    ByteBuf first = Unpooled.buffer().writeBytes(new byte[] {0x16, 0x03, 0x01, 0x40, 0x00, 0x01, (byte) 0xff, (byte) 0xff, (byte) 0xff});
    first.writeZero(0x4000 - 4);
    int total = first.readableBytes();
    ch.writeInbound(first);
    assertEquals(0, sink.events.size(), "one whole record: still within the bound");
    ByteBuf second = Unpooled.buffer().writeBytes(new byte[] {0x16, 0x03, 0x01, 0x40, 0x00}).writeZero(0x4000);
    total += second.readableBytes();
    ch.writeInbound(second);
    assertEquals(
        List.of(new PeekResult("https", null, null, total, "no complete ClientHello within 32768 bytes")), sink.events);
    assertEquals(total, sink.received.readableBytes());
    assertNull(ch.pipeline().get(TlsNamePeek.class));
    assertTrue(ch.isOpen());
    ch.finishAndReleaseAll();
  }

  @Test
  void http_headLongerThanTheBound_isReportedUncheckable_evenWithAnAllowedHostFirst() {
    // A second Host after the bound would go unread: the first one alone cannot be trusted.
    Sink sink = new Sink();
    EmbeddedChannel ch = new EmbeddedChannel(new TlsNamePeek(), sink);
    String head = "GET / HTTP/1.1\r\nHost: allowed.test\r\n" + ("X-Pad: " + "a".repeat(1_000) + "\r\n").repeat(17);
    ch.writeInbound(Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII));
    assertEquals(
        List.of(new PeekResult("http", null, "allowed.test", head.length(), "no complete request head within 16384 bytes")),
        sink.events);
    assertEquals(head, sink.received.toString(StandardCharsets.US_ASCII));
    assertNull(ch.pipeline().get(HttpHostPeek.class));
  }
}
