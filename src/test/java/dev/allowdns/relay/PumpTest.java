package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PumpTest {

  /** A sink whose writes complete only when the test says so, as with a full socket buffer. */
  private static final class HeldWrites extends ChannelOutboundHandlerAdapter {
    final List<ChannelPromise> held = new ArrayList<>();
    final List<ByteBuf> data = new ArrayList<>();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      data.add((ByteBuf) msg);
      held.add(promise);
    }
  }

  @Test
  void forward_writeTakenAtOnce_sourceKeepsReading() {
    EmbeddedChannel source = new EmbeddedChannel();
    EmbeddedChannel sink = new EmbeddedChannel();

    Pump.forward(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), source, sink);

    assertTrue(source.config().isAutoRead());
    ByteBuf out = sink.readOutbound();
    assertEquals(3, out.readableBytes());
    out.release();
  }

  @Test
  void forward_writeStillPending_sourcePausesUntilItCompletes() {
    EmbeddedChannel source = new EmbeddedChannel();
    HeldWrites writes = new HeldWrites();
    EmbeddedChannel sink = new EmbeddedChannel(writes);

    Pump.forward(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}), source, sink);

    assertFalse(source.config().isAutoRead(), "reading must pause while the write waits");
    writes.held.get(0).setSuccess();
    assertTrue(source.config().isAutoRead(), "reading resumes once the write completed");
    assertTrue(source.isOpen());
    writes.data.forEach(ByteBuf::release);
  }

  @Test
  void forward_writeFails_closesTheSource() {
    EmbeddedChannel source = new EmbeddedChannel();
    HeldWrites writes = new HeldWrites();
    EmbeddedChannel sink = new EmbeddedChannel(writes);

    Pump.forward(Unpooled.wrappedBuffer(new byte[] {1}), source, sink);
    writes.held.get(0).setFailure(new IOException("connection reset by peer"));

    assertFalse(source.isOpen());
    writes.data.forEach(ByteBuf::release);
  }
}
