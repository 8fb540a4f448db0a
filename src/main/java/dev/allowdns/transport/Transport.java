package dev.allowdns.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The channel types of one Netty transport. Native epoll is preferred: it is the only one with
 * {@code SO_REUSEPORT}, which lets every core read its own UDP socket.
 *
 * @param name {@code epoll} or {@code nio}
 */
public record Transport(
    String name,
    Class<? extends DatagramChannel> datagramChannel,
    Class<? extends SocketChannel> socketChannel,
    Class<? extends ServerSocketChannel> serverSocketChannel) {

  /** Returns epoll when the native library loads, NIO otherwise. */
  public static Transport best() {
    if (Epoll.isAvailable()) {
      return new Transport(
          "epoll", EpollDatagramChannel.class, EpollSocketChannel.class, EpollServerSocketChannel.class);
    }
    return new Transport(
        "nio", NioDatagramChannel.class, NioSocketChannel.class, NioServerSocketChannel.class);
  }

  public boolean isEpoll() {
    return name.equals("epoll");
  }

  /** Creates an event loop group of {@code threads} threads named {@code allowdns-NAME-N}. */
  public EventLoopGroup newGroup(int threads, String name) {
    DefaultThreadFactory threadFactory = new DefaultThreadFactory("allowdns-" + name, true);
    return isEpoll()
        ? new EpollEventLoopGroup(threads, threadFactory)
        : new NioEventLoopGroup(threads, threadFactory);
  }
}
