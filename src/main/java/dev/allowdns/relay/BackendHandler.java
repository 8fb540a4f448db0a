package dev.allowdns.relay;

import dev.allowdns.limit.Direction;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;

/**
 * Pumps bytes from the destination to the sandbox ({@link Pump}: backpressure, half-close passed
 * on, shaped to the sandbox's {@code bandwidth_down}), and closes the sandbox side when the
 * destination goes away.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
  private final RelayCore core;
  private final Connection connection;
  private Pump toSandbox;

  BackendHandler(RelayCore core, Connection connection) {
    this.core = core;
    this.connection = connection;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Throttle down = core.throttle(ctx.channel(), connection.frontend, connection.sandbox, Direction.DOWN);
    toSandbox = new Pump((SocketChannel) ctx.channel(), (SocketChannel) connection.frontend, down);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf data) { // else decoded HTTP, counted on the sandbox side
      int n = data.readableBytes();
      connection.bytesToSandbox += n;
      connection.bytesToSandboxMeter.increment(n);
    }
    toSandbox.forward(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    toSandbox.readBurstEnded();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      toSandbox.end();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    toSandbox.sourceClosed();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connection.endReason = connection.endReason != null ? connection.endReason : "destination_error";
    ctx.close();
  }
}
