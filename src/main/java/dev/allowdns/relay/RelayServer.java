package dev.allowdns.relay;

import dev.allowdns.audit.RecordLog;
import dev.allowdns.config.HostPort;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandboxes;
import dev.allowdns.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
   * @param listen where it accepts redirected connections
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
  private final ChannelGroup open;
  private final RelayMetrics metrics;

  private RelayServer(EventLoopGroup loops, Channel server, ChannelGroup open, RelayMetrics metrics) {
    this.loops = loops;
    this.server = server;
    this.open = open;
    this.metrics = metrics;
  }

  /**
   * Starts accepting on {@code settings.listen()}.
   *
   * @param owners names the process of a refused connection (or of every one) before the reset
   * @throws IllegalStateException when epoll is unavailable or the address cannot be bound
   */
  public static RelayServer start(
      Settings settings,
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      Ledger ledger,
      RecordLog connectionLog,
      MeterRegistry registry,
      SocketOwners owners)
      throws InterruptedException {
    Transport transport = Transport.best();
    if (!transport.isEpoll()) {
      throw new IllegalStateException(
          "the relay needs the native epoll transport (Linux) to read original destinations");
    }
    EventLoopGroup loops = transport.newGroup(Runtime.getRuntime().availableProcessors(), "relay");
    ChannelGroup open = new DefaultChannelGroup("relay-connections", GlobalEventExecutor.INSTANCE);
    RelayMetrics metrics = new RelayMetrics(registry);
    Destinations destinations = new Destinations(settings.connectTimeout());
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
                    open.add(ch);
                    ch.pipeline()
                        .addLast(
                            new IdleStateHandler(
                                0, 0, settings.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        .addLast("tls-name-peek", new TlsNamePeek())
                        .addLast(
                            new FrontendHandler(
                                settings,
                                sandboxes,
                                policies,
                                ledger,
                                destinations,
                                metrics,
                                connectionLog::write,
                                owners));
                  }
                });
    ChannelFuture bound = bootstrap.bind(settings.listen().socketAddress()).await();
    if (!bound.isSuccess()) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "cannot listen on relay " + settings.listen() + ": " + bound.cause().getMessage(),
          bound.cause());
    }
    return new RelayServer(loops, bound.channel(), open, metrics);
  }

  /** Returns the address the relay accepts on (with the real port when 0 was asked for). */
  public HostPort listener() {
    InetSocketAddress a = (InetSocketAddress) server.localAddress();
    return new HostPort(a.getAddress(), a.getPort());
  }

  /**
   * Stops accepting, lets open connections finish for up to {@code grace}, then closes the rest.
   * Every connection's record has been handed to the connection log when this returns.
   */
  public void close(Duration grace) {
    server.close().awaitUninterruptibly();
    awaitNoOpenConnections(grace);
    int left = metrics.openConnections();
    if (left > 0) {
      log.info("closing {} relay connections still open after the {} grace period", left, grace);
    }
    open.close().awaitUninterruptibly();
    // A record is written when both sides have closed: wait for the last ones.
    awaitNoOpenConnections(Duration.ofSeconds(5));
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
  }

  private void awaitNoOpenConnections(Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (metrics.openConnections() > 0 && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }
}
