package dev.allowdns.dns;

import dev.allowdns.config.HostPort;
import dev.allowdns.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * A set of upstream servers that answer for some names: each query goes over UDP from a fresh
 * socket (a random source port, connected, so the kernel drops datagrams from other peers), is
 * retried over TCP when the reply is truncated, and fails over to the next server on a timeout
 * or an error answer. Thread-safe.
 *
 * <p>Not final only so that tests can replace the network ({@link #exchange}) with a fake peer.
 */
class UpstreamGroup {
  /** RFC 9715 / DNS flag day 2020: a payload that avoids IP fragmentation. */
  static final int EDNS_PAYLOAD = 1232;

  private final List<HostPort> servers;
  /**
   * {@code HOST:PORT} of each server, made once: every cached answer names its upstream, and
   * 100,000 answers should not hold 100,000 copies of the same text.
   */
  private final List<String> serverNames;
  private final Duration timeout;
  private final EventLoopGroup loops;
  private final Transport transport;
  private final DnsMetrics metrics;
  // The server that answered last is asked first, so a dead one costs a timeout once, not per query.
  private volatile int preferred;

  UpstreamGroup(
      List<HostPort> servers,
      Duration timeout,
      EventLoopGroup loops,
      Transport transport,
      DnsMetrics metrics) {
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("an upstream group needs at least one server");
    }
    this.servers = List.copyOf(servers);
    this.serverNames = servers.stream().map(HostPort::toString).toList();
    this.timeout = timeout;
    this.loops = loops;
    this.transport = transport;
    this.metrics = metrics;
  }

  List<HostPort> servers() {
    return servers;
  }

  /** An upstream's usable answer and who gave it ({@code HOST:PORT}). */
  record Reply(Message message, String server) {}

  /**
   * Asks the servers in turn for {@code question}. The future fails only when every server timed
   * out, failed or answered SERVFAIL, REFUSED or another error rcode.
   */
  CompletableFuture<Reply> forward(Record question) {
    Message query = Message.newQuery(question);
    query.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
    CompletableFuture<Reply> result = new CompletableFuture<>();
    attempt(query, preferred, 0, result);
    return result;
  }

  private void attempt(Message query, int index, int tried, CompletableFuture<Reply> result) {
    if (tried == servers.size()) {
      result.completeExceptionally(
          new IOException("no upstream answered (" + servers.size() + " tried): " + servers));
      return;
    }
    int serverIndex = index % servers.size();
    HostPort server = servers.get(serverIndex);
    String name = serverNames.get(serverIndex);
    long start = System.nanoTime();
    exchange(query, server, false)
        .thenCompose(
            reply ->
                reply.getHeader().getFlag(Flags.TC)
                    ? exchange(query, server, true)
                    : CompletableFuture.completedFuture(reply))
        .whenComplete(
            (reply, error) -> {
              if (error == null && usable(reply)) {
                preferred = serverIndex;
                metrics.upstreamLatency(name, System.nanoTime() - start);
                result.complete(new Reply(reply, name));
              } else {
                metrics.upstreamFailure(name);
                attempt(query, serverIndex + 1, tried + 1, result);
              }
            });
  }

  /** RFC 1035 §4.1.1: only NOERROR and NXDOMAIN are answers; other rcodes mean try elsewhere. */
  static boolean usable(Message reply) {
    int rcode = reply.getRcode();
    return (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) && reencodes(reply);
  }

  /**
   * Returns whether dnsjava can write the reply out again, as the cache must: some records it
   * reads it cannot write (a WKS record without a port bitmap; found by UpstreamReplyFuzzTest).
   */
  private static boolean reencodes(Message reply) {
    try {
      reply.toWire();
      return true;
    } catch (RuntimeException unwritable) {
      return false;
    }
  }

  /** Sends {@code query} to {@code server} once; completes with the first reply that answers it. */
  CompletableFuture<Message> exchange(Message query, HostPort server, boolean tcp) {
    EventLoop loop = loops.next();
    CompletableFuture<Message> reply = new CompletableFuture<>();
    byte[] wire = query.toWire();
    Bootstrap bootstrap = new Bootstrap().group(loop);
    if (tcp) {
      bootstrap
          .channel(transport.socketChannel())
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeout.toMillis())
          .handler(
              new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                  ch.pipeline()
                      .addLast(new LengthFieldBasedFrameDecoder(65_535, 0, 2, 0, 2))
                      .addLast(new ReplyHandler(query, reply, metrics));
                }
              });
    } else {
      bootstrap
          .channel(transport.datagramChannel())
          // An upstream that ignores our EDNS payload may send up to 64 KiB; never cut a datagram.
          .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65_535))
          .handler(new ReplyHandler(query, reply, metrics));
    }
    bootstrap
        .connect(server.socketAddress())
        .addListener(
            (ChannelFutureListener)
                connected -> {
                  if (!connected.isSuccess()) {
                    reply.completeExceptionally(connected.cause());
                    return;
                  }
                  Channel channel = connected.channel();
                  ByteBuf out;
                  if (tcp) {
                    out = Unpooled.buffer(wire.length + 2).writeShort(wire.length).writeBytes(wire);
                  } else {
                    out = Unpooled.wrappedBuffer(wire);
                  }
                  channel.writeAndFlush(out);
                  var timer =
                      loop.schedule(
                          () ->
                              reply.completeExceptionally(
                                  new TimeoutException("no reply from " + server + " in " + timeout)),
                          timeout.toMillis(),
                          TimeUnit.MILLISECONDS);
                  reply.whenComplete(
                      (m, e) -> {
                        timer.cancel(false);
                        channel.close();
                      });
                });
    return reply;
  }

  /** Completes with the first reply that answers the query; discards any other. */
  private static final class ReplyHandler extends ChannelInboundHandlerAdapter {
    private final Message query;
    private final CompletableFuture<Message> reply;
    private final DnsMetrics metrics;

    ReplyHandler(Message query, CompletableFuture<Message> reply, DnsMetrics metrics) {
      this.query = query;
      this.reply = reply;
      this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Message candidate;
      try {
        ByteBuf content = msg instanceof DatagramPacket packet ? packet.content() : (ByteBuf) msg;
        candidate = new Message(ByteBufUtil.getBytes(content));
      } catch (IOException e) {
        metrics.mismatchedReply();
        return;
      } finally {
        ReferenceCountUtil.release(msg);
      }
      if (answers(query, candidate)) {
        reply.complete(candidate);
      } else {
        // A forged or stale datagram: ignore it and keep waiting for the real one (RFC 5452 §9.1).
        metrics.mismatchedReply();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      reply.completeExceptionally(new IOException("upstream closed the connection"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      reply.completeExceptionally(cause);
      ctx.close();
    }
  }

  /**
   * RFC 5452 §9.1: a reply must match the query's ID and question; RFC 1035 §4.1.1: and its
   * opcode (an UPDATE "reply" may hold records without data, which a QUERY answer cannot carry).
   */
  static boolean answers(Message query, Message candidate) {
    if (candidate.getHeader().getID() != query.getHeader().getID()
        || !candidate.getHeader().getFlag(Flags.QR)
        || candidate.getHeader().getOpcode() != query.getHeader().getOpcode()) {
      return false;
    }
    Record asked = query.getQuestion();
    Record echoed = candidate.getQuestion();
    return echoed != null
        && echoed.getType() == asked.getType()
        && echoed.getDClass() == asked.getDClass()
        && echoed.getName().equals(asked.getName());
  }
}
