package dev.allowdns.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the client connection's raw bytes, beneath the HTTP codec, so that records hold the
 * payload exactly as sent and received. Bytes read wait here until the proxy knows which
 * destination they belong to ({@link #takeRead}); bytes written go to the exchange being
 * answered. Exact because the proxy reads nothing of a next request before it has answered the
 * one before (no pipelining). Confined to the channel's event loop.
 */
final class ByteTally extends ChannelDuplexHandler {
  private long unattributedRead;
  private Exchange answering;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf data) {
      unattributedRead += data.readableBytes();
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf data && answering != null) {
      answering.bytesToSandbox += data.readableBytes();
    }
    ctx.write(msg, promise);
  }

  /** Returns the bytes read since the last call, and forgets them. */
  long takeRead() {
    long n = unattributedRead;
    unattributedRead = 0;
    return n;
  }

  /** Makes {@code exchange} (or nobody, with {@code null}) the owner of the bytes written next. */
  void answering(Exchange exchange) {
    answering = exchange;
  }
}
