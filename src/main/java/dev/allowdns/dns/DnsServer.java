package dev.allowdns.dns;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.audit.RecordLog;
import dev.allowdns.config.Config;
import dev.allowdns.config.HostPort;
import dev.allowdns.config.Mode;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandboxes;
import dev.allowdns.transport.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The DNS resolver's sockets: UDP and TCP on every listen address. With epoll, each event loop
 * reads its own UDP socket on the shared port ({@code SO_REUSEPORT}), so every core serves.
 */
public final class DnsServer implements AutoCloseable {
  /** DNS-over-TCP connections held open at once, every client together. */
  public static final int MAX_TCP_CONNECTIONS = TcpConnectionGate.MAX_CONNECTIONS;
  /** Largest query datagram read; larger ones are cut and answered FORMERR. */
  private static final int MAX_QUERY_DATAGRAM = 4096;
  /** Datagrams read per {@code recvmmsg} call. */
  private static final int DATAGRAMS_PER_READ = 16;

  private final EventLoopGroup loops;
  private final List<Channel> channels;
  private final List<String> listeners;
  private final Config config;
  private final AnswerCache cache;
  private final Map<List<HostPort>, UpstreamGroup> upstreamGroups;
  private final DnsMetrics metrics;
  private final Transport transport;
  private final Supplier<Sandboxes> sandboxes;
  private final TcpConnectionGate tcpGate;
  private volatile Routing routing;
  private NameLookup lookup;
  private QueryLimits limits;

  private DnsServer(
      Config config,
      Transport transport,
      EventLoopGroup loops,
      AnswerCache cache,
      DnsMetrics metrics,
      Supplier<Sandboxes> sandboxes) {
    this.config = config;
    this.transport = transport;
    this.loops = loops;
    this.cache = cache;
    this.metrics = metrics;
    this.sandboxes = sandboxes;
    this.channels = new ArrayList<>();
    this.listeners = new ArrayList<>();
    this.upstreamGroups = new ConcurrentHashMap<>();
    this.tcpGate =
        new TcpConnectionGate(
            TcpConnectionGate.MAX_CONNECTIONS, TcpConnectionGate.MAX_PER_CLIENT, metrics.registry());
  }

  /**
   * Binds every listen address of {@code config} and starts answering.
   *
   * @param queryLog where query records go, or {@code null} for none
   * @param ledger where answered addresses are remembered for the relay, or {@code null} when no
   *     relay runs
   * @throws InterruptedException when interrupted while binding
   * @throws IllegalStateException naming the address that could not be bound
   */
  public static DnsServer start(
      Config config,
      PolicySet policies,
      Supplier<Sandboxes> sandboxes,
      MeterRegistry registry,
      RecordLog queryLog,
      Ledger ledger)
      throws InterruptedException {
    return start(
        config, policies, sandboxes, registry, queryLog, ledger, null,
        SandboxBudgets.create(config.limits(), registry, Ticker.systemTicker()));
  }

  /**
   * Binds and starts answering like {@link #start(Config, PolicySet, Supplier, MeterRegistry,
   * RecordLog, Ledger)}, with {@code notify} answering NOTIFY messages ({@code null}: NOTIMP) and
   * {@code budgets} the sandboxes' limits (shared with the relay).
   */
  public static DnsServer start(
      Config config,
      PolicySet policies,
      Supplier<Sandboxes> sandboxes,
      MeterRegistry registry,
      RecordLog queryLog,
      Ledger ledger,
      NotifyHandler notify,
      SandboxBudgets budgets)
      throws InterruptedException {
    Transport transport = Transport.best();
    int threads = Runtime.getRuntime().availableProcessors();
    EventLoopGroup loops = transport.newGroup(threads, "dns");
    AnswerCache cache = new AnswerCache(config.cacheSize(), config.serveStaleMax(), Ticker.systemTicker());
    cache.bindTo(registry);
    DnsMetrics metrics = new DnsMetrics(registry);
    DnsServer server = new DnsServer(config, transport, loops, cache, metrics, sandboxes);
    server.limits = new QueryLimits(budgets, queryLog, Clock.systemUTC());
    server.routing = server.route(policies);
    QueryPipeline pipeline =
        new QueryPipeline(
            () -> server.routing,
            sandboxes,
            cache,
            queryLog,
            metrics,
            Ticker.systemTicker(),
            Clock.systemUTC(),
            ledger,
            config.mode() == Mode.AUDIT,
            // Longer than a ledger entry lives (its minimum TTL, then an hour kept expired).
            new SyntheticAddresses(config.ledgerMinTtl().plus(Duration.ofHours(2))),
            notify,
            server.limits);
    server.lookup = new NameLookup(pipeline);
    try {
      for (HostPort listen : config.listen()) {
        server.bind(listen.socketAddress(), threads, pipeline);
      }
    } catch (RuntimeException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private Routing route(PolicySet policies) {
    return Routing.of(
        policies,
        config.upstreams(),
        servers ->
            upstreamGroups.computeIfAbsent(
                servers,
                s -> new UpstreamGroup(s, config.upstreamTimeout(), loops, transport, metrics)));
  }

  private void bind(InetSocketAddress address, int threads, QueryPipeline pipeline)
      throws InterruptedException {
    UdpQueryHandler udpHandler = new UdpQueryHandler(pipeline);
    int udpSockets = transport.isEpoll() ? threads : 1;
    Bootstrap udp =
        new Bootstrap()
            .group(loops)
            .channel(transport.datagramChannel())
            .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
            .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
            .handler(udpHandler);
    if (transport.isEpoll()) {
      udp.option(EpollChannelOption.SO_REUSEPORT, true)
          .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_QUERY_DATAGRAM)
          .option(
              ChannelOption.RCVBUF_ALLOCATOR,
              new FixedRecvByteBufAllocator(MAX_QUERY_DATAGRAM * DATAGRAMS_PER_READ));
    } else {
      udp.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_QUERY_DATAGRAM));
    }
    Channel first = bindOrExplain(udp, address, "udp");
    channels.add(first);
    // With port 0 the kernel picks a port: every other socket must share that one.
    InetSocketAddress bound = (InetSocketAddress) first.localAddress();
    for (int i = 1; i < udpSockets; i++) {
      channels.add(bindOrExplain(udp, bound, "udp"));
    }
    ServerBootstrap tcp =
        new ServerBootstrap()
            .group(loops)
            .channel(transport.serverSocketChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(tcpGate)
                        .addLast(
                            new IdleStateHandler(
                                0, 0, config.tcpIdleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                        .addLast(new LengthFieldBasedFrameDecoder(65_535, 0, 2, 0, 2))
                        .addLast(new TcpQueryHandler(pipeline));
                  }
                });
    Channel tcpChannel = bindOrExplain(tcp, bound, "tcp");
    channels.add(tcpChannel);
    listeners.add(new HostPort(bound.getAddress(), bound.getPort()) + " (udp x" + udpSockets + ", tcp)");
  }

  private static Channel bindOrExplain(
      io.netty.bootstrap.AbstractBootstrap<?, ?> bootstrap, InetSocketAddress address, String protocol)
      throws InterruptedException {
    var future = bootstrap.bind(address).await();
    if (!future.isSuccess()) {
      throw new IllegalStateException(
          "cannot listen on " + protocol + " " + address + ": " + future.cause().getMessage(),
          future.cause());
    }
    return future.channel();
  }

  /** Returns what the server listens on, e.g. {@code 127.0.0.1:1053 (udp x2, tcp)}. */
  public List<String> listeners() {
    return List.copyOf(listeners);
  }

  /** Returns the bound UDP/TCP port of the first listen address (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) channels.get(0).localAddress()).getPort();
  }

  /** Returns how a proxy resolves names for a sandbox, through this resolver's own pipeline. */
  public NameLookup lookup() {
    return lookup;
  }

  /** Returns the transport in use, {@code epoll} or {@code nio}. */
  public String transport() {
    return transport.name();
  }

  /** Swaps in a new policy set atomically and drops the cached answers of the old one. */
  public void reload(PolicySet policies) {
    routing = route(policies);
    cache.invalidateAll();
  }

  /** Stops listening; queries in flight may still be answered until the loops stop. */
  @Override
  public void close() {
    for (Channel channel : channels) {
      channel.close().awaitUninterruptibly();
    }
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    if (limits != null) {
      limits.close(); // the summaries of the last seconds, before the query log closes
    }
  }
}
