package dev.allowdns.relay;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Opens the destination side of relayed connections. Per connection this is the cheapest Netty
 * allows: no {@code Bootstrap} (an options map and a reflective constructor each time), and a
 * socket of the destination's own family, so IPv4 goes out on an IPv4 socket rather than an
 * IPv6 one with a mapped address (one {@code setsockopt} less, and the kernel's IPv4 connect).
 */
final class Destinations {
  private final int connectTimeoutMillis;

  Destinations(Duration connectTimeout) {
    this.connectTimeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
  }

  /**
   * Starts connecting to {@code destination} on {@code loop}, with {@code handlers} in order. The channel reads on its own once connected ({@link Pump} pauses it while a write is
   * pending) and passes a half-close up instead of closing.
   */
  ChannelFuture connect(EventLoop loop, InetSocketAddress destination, ChannelHandler... handlers) {
    EpollSocketChannel channel =
        new EpollSocketChannel(
            destination.getAddress() instanceof Inet4Address
                ? InternetProtocolFamily.IPv4
                : InternetProtocolFamily.IPv6);
    channel.config().setAllowHalfClosure(true);
    channel.config().setConnectTimeoutMillis(connectTimeoutMillis);
    channel.pipeline().addLast(handlers);
    ChannelFuture registered = loop.register(channel);
    if (registered.isDone()) { // always, on the loop's own thread: no listener to allocate
      return registered.isSuccess() ? channel.connect(destination) : registered;
    }
    ChannelPromise connected = channel.newPromise();
    registered.addListener(
        r -> {
          if (r.isSuccess()) {
            channel.connect(destination, connected);
          } else {
            connected.setFailure(r.cause());
          }
        });
    return connected;
  }
}
