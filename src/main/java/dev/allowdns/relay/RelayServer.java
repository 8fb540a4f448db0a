package dev.allowdns.relay;

import dev.allowdns.config.HostPort;
import dev.allowdns.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transparent TCP relay: accepts the connections iptables REDIRECTs to it and runs each
 * through {@link FrontendHandler}. Needs the epoll transport (the original destination is read
 * from the socket).
 */
public final class RelayServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RelayServer.class);

  /**
   * How the relay behaves.
   *
   * @param listen where it accepts redirected connections, or {@code null} when only the explicit
   *     proxy's tunnels use the relay
   * @param connectTimeout how long connecting to a destination may take
   * @param idleTimeout a connection with no traffic either way for this long is closed
   * @param peekTimeout how long to wait for a TLS ClientHello or HTTP request before deciding
   *     without a name (server-speaks-first protocols send nothing)
   * @param audit whether policy refusals are only recorded ({@code would_block}), not enforced
   */
  public record Settings(
      HostPort listen, Duration connectTimeout, Duration idleTimeout, Duration peekTimeout, boolean audit) {}

  private final EventLoopGroup loops;
  private final Channel server;
  private final RelayCore core;

  private RelayServer(EventLoopGroup loops, Channel server, RelayCore core) {
    this.loops = loops;
    this.server = server;
    this.core = core;
  }

  /**
   * Starts accepting on {@code settings.listen()}.
   *
   * @throws IllegalStateException when epoll is unavailable or the address cannot be bound
   */
  public static RelayServer start(RelayCore core) throws InterruptedException {
    Settings settings = core.settings;
    Transport transport = Transport.best();
    if (!transport.isEpoll()) {
      throw new IllegalStateException(
          "the relay needs the native epoll transport (Linux) to read original destinations");
    }
    EventLoopGroup loops = transport.newGroup(Runtime.getRuntime().availableProcessors(), "relay");
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
                    ch.pipeline()
                        .addLast(
                            new IdleStateHandler(
                                0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        .addLast("tls-name-peek", new TlsNamePeek())
                        .addLast(core.newFrontend());
                  }
                });
    ChannelFuture bound = bootstrap.bind(settings.listen().socketAddress()).await();
    if (!bound.isSuccess()) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "cannot listen on relay " + settings.listen() + ": " + bound.cause().getMessage(),
          bound.cause());
    }
    return new RelayServer(loops, bound.channel(), core);
  }

  /** Returns the address the relay accepts on (with the real port when 0 was asked for). */
  public HostPort listener() {
    InetSocketAddress a = (InetSocketAddress) server.localAddress();
    return new HostPort(a.getAddress(), a.getPort());
  }

  /**
   * Stops accepting, lets open connections (the explicit proxy's too: stop its listener first)
   * finish for up to {@code grace}, then closes the rest. Every connection's record has been
   * handed to the connection log when this returns.
   */
  public void close(Duration grace) {
    server.close().awaitUninterruptibly();
    core.drain(grace);
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }
}
