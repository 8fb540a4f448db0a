package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/**
 * Pumps bytes from the destination to the sandbox: reads the next chunk only after the previous
 * one was written (backpressure), passes a half-close on, and closes the sandbox side when the
 * destination goes away.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
  private final Connection connection;

  BackendHandler(Connection connection) {
    this.connection = connection;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    int n = ((ByteBuf) msg).readableBytes();
    connection.bytesToSandbox += n;
    connection.bytesToSandboxMeter.increment(n);
    connection
        .frontend
        .writeAndFlush(msg)
        .addListener(
            (ChannelFutureListener)
                written -> {
                  if (written.isSuccess()) {
                    ctx.read();
                  } else {
                    ctx.close();
                  }
                });
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      connection.destinationDoneSending = true;
      Pump.halfClose(connection.frontend, ctx.channel(), connection.sandboxDoneSending);
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Pump.closeOnFlush(connection.frontend);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connection.endReason = connection.endReason != null ? connection.endReason : "destination_error";
    ctx.close();
  }
}
