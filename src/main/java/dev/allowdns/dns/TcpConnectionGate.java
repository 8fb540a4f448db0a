package dev.allowdns.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the DNS-over-TCP connections held open, in all and per client address, so that no client
 * can hold the server's descriptors and frame buffers (up to 64 KiB of a partial frame each). A
 * connection over either bound is closed as soon as it is accepted, before anything is read, and
 * counted. RFC 7766 clients use one connection, or a few; UDP is not affected.
 */
@ChannelHandler.Sharable
final class TcpConnectionGate extends ChannelInboundHandlerAdapter {
  /** Connections open at once, every client together. */
  static final int MAX_CONNECTIONS = 1024;

  /** Connections open at once from one client address. */
  static final int MAX_PER_CLIENT = 64;

  private final int maxConnections;
  private final int maxPerClient;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentMap<InetAddress, AtomicInteger> perClient = new ConcurrentHashMap<>();
  private final Counter refusedTotal;
  private final Counter refusedPerClient;

  TcpConnectionGate(int maxConnections, int maxPerClient, MeterRegistry registry) {
    this.maxConnections = maxConnections;
    this.maxPerClient = maxPerClient;
    Gauge.builder("allowdns_dns_tcp_connections", open, AtomicInteger::get)
        .description("DNS-over-TCP connections open")
        .register(registry);
    this.refusedTotal = refused(registry, "total");
    this.refusedPerClient = refused(registry, "per_client");
  }

  private static Counter refused(MeterRegistry registry, String bound) {
    return Counter.builder("allowdns_dns_tcp_connections_refused")
        .description("DNS-over-TCP connections closed at once because a bound was reached")
        .tag("bound", bound)
        .register(registry);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      refusedTotal.increment();
      ctx.close();
      return;
    }
    AtomicInteger mine = perClient.compute(client, (address, count) -> {
      AtomicInteger counter = count == null ? new AtomicInteger() : count;
      counter.incrementAndGet();
      return counter;
    });
    if (mine.get() > maxPerClient) {
      release(client);
      refusedPerClient.increment();
      ctx.close();
      return;
    }
    // Released exactly once, when this admitted connection closes.
    ctx.channel().closeFuture().addListener(closed -> release(client));
    ctx.fireChannelActive();
  }

  private void release(InetAddress client) {
    open.decrementAndGet();
    perClient.computeIfPresent(client, (address, count) -> count.decrementAndGet() == 0 ? null : count);
  }
}
