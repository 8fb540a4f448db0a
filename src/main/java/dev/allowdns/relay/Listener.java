package dev.allowdns.relay;

import dev.allowdns.config.HostPort;
import dev.allowdns.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One listening socket whose connections the relay core accounts for: the transparent relay's
 * and the explicit proxy's. Each accepted connection reads only when asked ({@code AUTO_READ}
 * off), passes half-closes up, is closed after the relay's idle timeout, and is drained by
 * {@link RelayCore#drain} at shutdown. Needs the epoll transport.
 */
public final class Listener implements AutoCloseable {
  private final EventLoopGroup loops;
  private final Channel server;

  private Listener(EventLoopGroup loops, Channel server) {
    this.loops = loops;
    this.server = server;
  }

  /**
   * Binds {@code address} with event loops named {@code name}; {@code handlers} completes each
   * accepted connection's pipeline after the idle handler.
   *
   * @throws IllegalStateException when epoll is unavailable or the address cannot be bound
   */
  public static Listener bind(
      RelayCore core, String name, HostPort address, Consumer<ChannelPipeline> handlers)
      throws InterruptedException {
    Transport transport = Transport.best();
    if (!transport.isEpoll()) {
      throw new IllegalStateException("the " + name + " needs the native epoll transport (Linux)");
    }
    EventLoopGroup loops = transport.newGroup(Runtime.getRuntime().availableProcessors(), name);
    long idleMillis = core.settings.idleTimeout().toMillis();
    // No TCP_NODELAY option here: the epoll transport sets it on every socket already, and
    // setting it again is one more system call per connection.
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(loops)
            .channel(transport.serverSocketChannel())
            .option(ChannelOption.SO_BACKLOG, 4096)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    core.track(ch);
                    ch.pipeline().addLast(new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
                    handlers.accept(ch.pipeline());
                  }
                });
    ChannelFuture bound = bootstrap.bind(address.socketAddress()).await();
    if (!bound.isSuccess()) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "cannot listen on " + name + " " + address + ": " + bound.cause().getMessage(), bound.cause());
    }
    return new Listener(loops, bound.channel());
  }

  /** Returns the address it accepts on (with the real port when 0 was asked for). */
  public HostPort address() {
    InetSocketAddress a = (InetSocketAddress) server.localAddress();
    return new HostPort(a.getAddress(), a.getPort());
  }

  /** Stops accepting; open connections stay until {@link RelayCore#drain}. */
  public void stopAccepting() {
    server.close().awaitUninterruptibly();
  }

  /** Stops accepting and shuts the event loops down. */
  @Override
  public void close() {
    stopAccepting();
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
