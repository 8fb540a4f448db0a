package dev.allowdns.proxy;

import dev.allowdns.relay.RelayCore;
import dev.allowdns.limit.Direction;
import dev.allowdns.relay.Throttle;
import dev.allowdns.sandbox.Sandbox;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetSocketAddress;

/**
 * Shapes what a proxy client sends to its sandbox's {@code bandwidth_up}, beneath the HTTP codec:
 * the proxy reads its clients only when it asks ({@code read()}, never auto-read), so a read
 * asked for while the budget is in debt waits here until the debt is paid. What was read flows
 * on at once. A {@code CONNECT} tunnel's {@code Pump} shapes its own reads: the tunnel removes
 * this handler. Leaves at once when the sandbox's upload is unlimited. Confined to the channel's
 * event loop.
 */
final class ClientPacer extends ChannelDuplexHandler {
  private final RelayCore core;
  private Throttle throttle;
  private boolean readWanted;

  ClientPacer(RelayCore core) {
    this.core = core;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    Sandbox sandbox = core.sandboxes().identify(client.getAddress()).orElse(null);
    throttle = core.throttle(ctx.channel(), ctx.channel(), sandbox, Direction.UP);
    if (throttle != null) {
      throttle.onResume(() -> {
        if (readWanted) {
          readWanted = false;
          ctx.read();
        }
      });
    }
    ctx.fireChannelActive();
    if (throttle == null) {
      ctx.pipeline().remove(this);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (throttle != null && msg instanceof ByteBuf data) {
      throttle.charge(data.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    if (throttle != null && throttle.paused()) {
      readWanted = true;
    } else {
      ctx.read();
    }
  }
}
