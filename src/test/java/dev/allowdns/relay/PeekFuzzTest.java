package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.nio.charset.StandardCharsets;

/**
 * The TLS ClientHello and HTTP Host peeks on an EmbeddedChannel, fed arbitrary bytes in arbitrary
 * chunks, then ended the way the relay ends a peek that never decided (the peek timer removes
 * them). Nothing may throw out of the pipeline; at most one {@link PeekResult} is fired; the bytes
 * that flow on are exactly the bytes fed, in order; every buffer fed is released.
 *
 * <p>Input layout: byte 0 seeds the chunk sizes (0: one chunk), the rest is what the client sent.
 */
class PeekFuzzTest {
  static {
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
  }

  @FuzzTest
  void peek(byte[] input) {
    if (input.length < 1) {
      return;
    }
    byte[] sent = Arrays.copyOfRange(input, 1, input.length);
    PeekTest.Sink sink = new PeekTest.Sink();
    EmbeddedChannel channel = new EmbeddedChannel(new TlsNamePeek(), sink);
    List<ByteBuf> fed = new ArrayList<>();
    java.util.Random chunks = new java.util.Random(input[0]);
    for (int at = 0; at < sent.length; ) {
      int size = input[0] == 0 ? sent.length : 1 + chunks.nextInt(Math.min(sent.length - at, 1 + chunks.nextInt(600)));
      ByteBuf chunk = PooledByteBufAllocator.DEFAULT.buffer(size).writeBytes(sent, at, size);
      fed.add(chunk);
      channel.writeInbound(chunk); // rethrows whatever a handler threw
      at += size;
    }
    // The peek timer's end: the peeks leave, and what they hold flows on.
    for (Class<? extends ChannelHandler> peek : List.of(TlsNamePeek.class, HttpHostPeek.class)) {
      if (channel.pipeline().get(peek) != null) {
        channel.pipeline().remove(peek);
      }
    }
    channel.checkException();
    channel.finishAndReleaseAll();
    byte[] passed = ByteBufUtil.getBytes(sink.received);
    sink.received.release();

    assertTrue(sink.events.size() <= 1, () -> "more than one peek result: " + sink.events);
    assertArrayEquals(sent, passed, "the bytes passed on differ from the bytes sent");
    for (ByteBuf b : fed) {
      assertEquals(0, b.refCnt(), "a fed buffer was not released");
    }
    if (!sink.events.isEmpty()) {
      PeekResult result = sink.events.get(0);
      assertNotNull(result.protocol());
      assertTrue(result.peekedBytes() >= 0 && result.peekedBytes() <= sent.length, "peeked " + result.peekedBytes());
      if (result.protocol().equals("http")) {
        String text = new String(sent, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end >= 0 && end + 4 <= HttpHostPeek.MAX_HEADER_BYTES) {
          // The head is decided by its end alone, however the bytes were chunked.
          List<String> hosts = HttpHostPeek.hostsOf(text.substring(0, end));
          assertEquals(hosts.isEmpty() ? null : hosts.get(0), result.host(), "the first Host header");
          assertEquals(PeekResult.ambiguity("Host headers", hosts), result.ambiguity(), "two different Host headers");
        }
      }
      if (result.protocol().equals("https")) {
        assertTrue(
            result.ambiguity() == null || result.sni() != null || result.peekedBytes() > TlsNamePeek.MAX_CLIENT_HELLO_BYTES,
            "an ambiguous ClientHello without a name");
      }
    }
  }
}
