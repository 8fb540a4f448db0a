package dev.allowdns.proxy;

import dev.allowdns.relay.Throttle;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Shapes what a destination (or the parent) answers a proxy client to the sandbox's {@code
 * bandwidth_down}, beneath the HTTP codec of the destination connection: it stops auto-reading
 * while the budget is in debt, and goes back to what the client's writability allows once paid.
 * Confined to the client channel's event loop, which the destination connection shares.
 */
final class AnswerPacer extends ChannelInboundHandlerAdapter {
  private final Throttle throttle;

  /** @param client the proxy client the answers go to: the destination reads while it is writable */
  AnswerPacer(Throttle throttle, Channel destination, Channel client) {
    this.throttle = throttle;
    throttle.onResume(() -> destination.config().setAutoRead(client.isWritable()));
  }

  /** Returns whether the destination must not read now, whatever the client's writability. */
  boolean paused() {
    return throttle.paused();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf data && throttle.charge(data.readableBytes())) {
      ctx.channel().config().setAutoRead(false);
    }
    ctx.fireChannelRead(msg);
  }
}
