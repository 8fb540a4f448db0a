package dev.allowdns.relay;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.config.Cidr;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Admission at accept ({@link LimitGate}), on embedded channels from a sandbox's address. */
class LimitGateTest {
  private static final Sandbox VM7 = new Sandbox("vm-7", null, null, "default");
  private static final Sandboxes SANDBOXES =
      Sandboxes.of(List.of(new Sandboxes.Entry(Cidr.parse("10.0.0.7/32"), VM7)), "default");

  /** The limits: admit or refuse as told, and count permits taken and given back. */
  private static final class Limits implements RelayLimits {
    String refusal;
    final List<Sandbox> asked = new ArrayList<>();
    final AtomicInteger released = new AtomicInteger();

    @Override
    public Admission admit(Sandbox sandbox) {
      asked.add(sandbox);
      return refusal == null
          ? new Admission(null, null, released::incrementAndGet)
          : new Admission(refusal, "allowdns: sandbox vm-7 is over open_connections 2", () -> {});
    }

    @Override
    public ByteBudget bandwidth(Sandbox sandbox, Direction direction) {
      return ByteBudget.UNLIMITED;
    }

    @Override
    public void shaped(Sandbox sandbox, Direction direction, long nanos) {}
  }

  /** What the handler behind the gate saw. */
  private static final class Behind extends ChannelInboundHandlerAdapter {
    boolean active;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      active = true;
    }
  }

  private final Limits limits = new Limits();
  private final Behind behind = new Behind();

  /** An accepted connection from {@code client}, through a gate that answers when {@code answering}. */
  private EmbeddedChannel accept(String client, boolean answering) {
    SocketAddress remote = new InetSocketAddress(client, 40000);
    LimitGate gate =
        new LimitGate(
            () -> SANDBOXES,
            limits,
            answering ? (reason, text) -> Unpooled.copiedBuffer("429 " + reason + " " + text, US_ASCII) : null);
    return new EmbeddedChannel(gate, behind) {
      @Override
      protected SocketAddress remoteAddress0() {
        return remote;
      }
    };
  }

  @Test
  void admitted_passesOn_leavesThePipeline_andReleasesOnceWhenClosed() {
    EmbeddedChannel channel = accept("10.0.0.7", false);
    assertTrue(behind.active);
    assertNull(channel.pipeline().get(LimitGate.class));
    assertEquals(List.of(VM7), limits.asked);
    assertEquals(0, limits.released.get());
    channel.close();
    channel.close();
    assertEquals(1, limits.released.get(), "the permit is given back exactly once");
  }

  @Test
  void refused_onTheTransparentPath_isClosedAtOnce_andGoesNoFurther() {
    limits.refusal = "too_many_open";
    EmbeddedChannel channel = accept("10.0.0.7", false);
    assertFalse(channel.isOpen(), "reset at once");
    assertFalse(behind.active, "no decision, no record of its own");
    assertNull(channel.readOutbound(), "nothing is written before the reset");
    assertEquals(0, limits.released.get(), "no permit was taken");
  }

  @Test
  void refused_onTheExplicitProxy_readsTheRequest_thenAnswersAndCloses() {
    limits.refusal = "rate_limited";
    EmbeddedChannel channel = accept("10.0.0.7", true);
    assertTrue(channel.isOpen(), "waits for the request, so closing does not reset the answer away");
    channel.writeInbound(Unpooled.copiedBuffer("CONNECT a.test:443 HTTP/1.1\r\n\r\n", US_ASCII));
    ByteBuf answer = channel.readOutbound();
    assertEquals("429 rate_limited allowdns: sandbox vm-7 is over open_connections 2", answer.toString(US_ASCII));
    answer.release();
    assertFalse(channel.isOpen());
    assertFalse(behind.active);
  }

  @Test
  void refused_onTheExplicitProxy_withoutARequest_isAnsweredWithinASecond() {
    limits.refusal = "rate_limited";
    EmbeddedChannel channel = accept("10.0.0.7", true);
    channel.advanceTimeBy(1, java.util.concurrent.TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    ByteBuf answer = channel.readOutbound();
    assertTrue(answer.toString(US_ASCII).startsWith("429 rate_limited"));
    answer.release();
    assertFalse(channel.isOpen());
  }

  @Test
  void clientOfNoKnownSandbox_passesWithoutAskingTheLimits() {
    accept("10.9.9.9", false);
    assertTrue(behind.active);
    assertTrue(limits.asked.isEmpty());
  }
}
