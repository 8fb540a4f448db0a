package dev.allowdns.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the length-prefixed queries of one TCP connection (RFC 7766): several may be in flight
 * at once and are answered as they complete, not necessarily in order. A frame that does not
 * parse, or an idle connection, is closed.
 */
final class TcpQueryHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(TcpQueryHandler.class);
  /** Queries one connection may have in flight before reading pauses (backpressure). */
  static final int MAX_IN_FLIGHT = 64;

  private final QueryPipeline pipeline;
  private int inFlight;

  TcpQueryHandler(QueryPipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf frame = (ByteBuf) msg;
    byte[] wire;
    try {
      wire = ByteBufUtil.getBytes(frame);
    } finally {
      frame.release();
    }
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    inFlight++;
    if (inFlight >= MAX_IN_FLIGHT) {
      ctx.channel().config().setAutoRead(false);
    }
    pipeline
        .handle(wire, client.getAddress(), true)
        .thenAccept(
            out -> {
              if (ctx.executor().inEventLoop()) {
                reply(ctx, out);
              } else {
                ctx.executor().execute(() -> reply(ctx, out));
              }
            });
  }

  private void reply(ChannelHandlerContext ctx, byte[] out) {
    inFlight--;
    if (out == null) {
      ctx.close();
      return;
    }
    ByteBuf framed = Unpooled.buffer(out.length + 2).writeShort(out.length).writeBytes(out);
    ctx.writeAndFlush(framed);
    if (inFlight < MAX_IN_FLIGHT && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("closing TCP connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
