package dev.allowdns.proxy;

import dev.allowdns.config.HostPort;
import dev.allowdns.dns.NameLookup;
import dev.allowdns.relay.RelayCore;
import dev.allowdns.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The explicit HTTP/1.1 forward proxy: accepts sandboxes that set {@code HTTP(S)_PROXY} and runs
 * each connection through {@link ProxyHandler}. Request heads are bounded ({@value
 * #MAX_HEAD_BYTES} bytes of headers, {@value #MAX_REQUEST_LINE} of request line) and must arrive
 * within the relay's peek timeout. Needs the epoll transport, as the relay does.
 */
public final class ProxyServer implements AutoCloseable {
  static final int MAX_REQUEST_LINE = 8 * 1024;
  static final int MAX_HEAD_BYTES = 16 * 1024;
  static final String CODEC = "http-codec";

  private final EventLoopGroup loops;
  private final Channel server;

  private ProxyServer(EventLoopGroup loops, Channel server) {
    this.loops = loops;
    this.server = server;
  }

  /**
   * Starts accepting on {@code listen}.
   *
   * @param lookup resolves names for a sandbox through the resolver's own pipeline
   * @throws IllegalStateException when epoll is unavailable or the address cannot be bound
   */
  public static ProxyServer start(HostPort listen, RelayCore core, NameLookup lookup) throws InterruptedException {
    Transport transport = Transport.best();
    if (!transport.isEpoll()) {
      throw new IllegalStateException("the explicit proxy needs the native epoll transport (Linux)");
    }
    EventLoopGroup loops = transport.newGroup(Runtime.getRuntime().availableProcessors(), "proxy");
    long idleMillis = core.settings().idleTimeout().toMillis();
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
                    ch.pipeline()
                        .addLast(new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS))
                        .addLast(new ByteTally())
                        .addLast(CODEC, new HttpServerCodec(MAX_REQUEST_LINE, MAX_HEAD_BYTES, 8192))
                        .addLast(new ProxyHandler(core, lookup));
                  }
                });
    ChannelFuture bound = bootstrap.bind(listen.socketAddress()).await();
    if (!bound.isSuccess()) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "cannot listen on proxy " + listen + ": " + bound.cause().getMessage(), bound.cause());
    }
    return new ProxyServer(loops, bound.channel());
  }

  /** Returns the address the proxy accepts on (with the real port when 0 was asked for). */
  public HostPort listener() {
    InetSocketAddress a = (InetSocketAddress) server.localAddress();
    return new HostPort(a.getAddress(), a.getPort());
  }

  /** Stops accepting; open connections are drained with the relay's ({@link RelayCore#drain}). */
  public void stopAccepting() {
    server.close().awaitUninterruptibly();
  }

  /** Stops accepting and the event loops; call after the relay core has drained. */
  @Override
  public void close() {
    stopAccepting();
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
