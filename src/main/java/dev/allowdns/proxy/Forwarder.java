package dev.allowdns.proxy;

import dev.allowdns.config.ParentProxy;
import dev.allowdns.parent.ParentAddress;
import dev.allowdns.parent.ParentConnect;
import dev.allowdns.relay.RelayCore;
import dev.allowdns.limit.Direction;
import dev.allowdns.relay.Throttle;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Queue;

/**
 * Forwards the plain HTTP (absolute-form) requests of one client connection: to the destination
 * in origin form, or to the parent proxy in absolute form with the parent's credentials. Requests
 * to the same host share one destination connection and one record; a request to another host
 * closes it (writing its record) and opens the next. One request at a time: the client is read
 * again only once the answer to the last request has been written. Backpressure both ways by
 * writability. Confined to the client channel's event loop.
 */
final class Forwarder {
  private final RelayCore core;
  private final ByteTally tally;
  private final ProxyHandler handler;
  private Upstream current;

  Forwarder(RelayCore core, ByteTally tally, ProxyHandler handler) {
    this.core = core;
    this.tally = tally;
    this.handler = handler;
  }

  /** Returns whether the request of {@code next} goes on the open destination connection. */
  boolean reuses(Exchange next) {
    return current != null
        && current.channel.isActive()
        && current.exchange.target.authority().equals(next.target.authority())
        && Objects.equals(current.exchange.via, next.via);
  }

  /**
   * Forwards {@code request} (taking ownership) for {@code exchange}, on the open connection
   * when it goes to the same host, else on a new one to {@code address} (or the parent).
   */
  void request(ChannelHandlerContext client, Exchange exchange, HttpRequest request, InetAddress address) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    rewrite(request, exchange);
    if (reuses(exchange)) {
      current.exchange.bytesFromSandbox += exchange.bytesFromSandbox;
      current.clientKeepAlive = keepAlive;
      current.send(request);
      return;
    }
    if (current != null) {
      current.end();
    }
    exchange.destination = exchange.via == null ? address : null;
    current = new Upstream(client, exchange, keepAlive);
    core.opened();
    current.connect(address);
    current.send(request);
  }

  /** Forwards a piece of the request body; {@code bytesRead} are the raw bytes read with it. */
  void content(ChannelHandlerContext client, HttpContent content, long bytesRead) {
    if (current == null) {
      ReferenceCountUtil.release(content);
      return;
    }
    current.exchange.bytesFromSandbox += bytesRead;
    current.send(content);
    if (content instanceof LastHttpContent) {
      current.requestDone = true;
    }
  }

  /** After a read: ask for more of the request body, unless it is complete or writes wait. */
  void readComplete(ChannelHandlerContext client) {
    if (current != null && !current.requestDone && current.channel.isWritable()) {
      client.read();
    }
  }

  void clientWritabilityChanged(ChannelHandlerContext client) {
    if (current != null && current.channel.isActive()) {
      current.channel.config().setAutoRead(client.channel().isWritable() && !current.shaped());
    }
  }

  /**
   * The client sent its last byte: returns whether an answer is still on its way (the client is
   * closed once it has been written); {@code false} when the client can be closed now.
   */
  boolean clientDoneSending() {
    if (current == null || !current.awaitingAnswer) {
      return false;
    }
    current.clientKeepAlive = false;
    return true;
  }

  void clientClosed() {
    if (current != null) {
      current.end();
    }
  }

  /** Sets the request line and headers the next hop expects. */
  private void rewrite(HttpRequest request, Exchange exchange) {
    Target target = exchange.target;
    request.headers().remove(HttpHeaderNames.PROXY_AUTHORIZATION);
    request.headers().remove("Proxy-Connection");
    // The URI decides where the request goes: a Host header naming another site must not reach
    // a server that routes by Host (domain fronting).
    request.headers().set(HttpHeaderNames.HOST, target.port() == 80 ? hostText(target) : target.authority());
    if (exchange.via == null) {
      request.setUri(target.originForm());
    } else {
      request.setUri("http://" + target.authority() + target.originForm());
      String authorization = core.parents().authorizationFor(exchange.via);
      if (authorization != null) {
        request.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, authorization);
      }
    }
  }

  private static String hostText(Target target) {
    return target.host().indexOf(':') >= 0 ? "[" + target.host() + "]" : target.host();
  }

  /** One destination (or parent) connection and the requests queued until it is up. */
  private final class Upstream extends ChannelInboundHandlerAdapter {
    final ChannelHandlerContext client;
    final Exchange exchange;
    final Channel channel;
    private final Queue<HttpObject> queued = new ArrayDeque<>();
    private boolean connected;
    boolean requestDone;
    boolean clientKeepAlive;
    private boolean responseKeepAlive = true;
    /** A request was sent whose answer has not ended yet. */
    private boolean awaitingAnswer;
    /** Shapes the answers to the sandbox's download budget, or {@code null}. */
    private AnswerPacer pacer;

    Upstream(ChannelHandlerContext client, Exchange exchange, boolean clientKeepAlive) {
      this.client = client;
      this.exchange = exchange;
      this.clientKeepAlive = clientKeepAlive;
      this.channel = new EpollSocketChannel();
    }

    void connect(InetAddress address) {
      ParentProxy via = exchange.via;
      if (via == null) {
        connect(new InetSocketAddress(address, exchange.target.port()));
        return;
      }
      ParentAddress.of(via)
          .whenComplete(
              (to, error) ->
                  client.executor().execute(() -> {
                    if (error != null) {
                      fail(ParentConnect.UNREACHABLE, null);
                    } else {
                      connect(to);
                    }
                  }));
    }

    private void connect(InetSocketAddress to) {
      ParentProxy via = exchange.via;
      ChannelFuture connecting =
          new Bootstrap()
              .group(client.channel().eventLoop())
              .channelFactory(() -> channel)
              .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) core.settings().connectTimeout().toMillis())
              .handler(
                  new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      Throttle down = core.throttle(ch, client.channel(), exchange.sandbox, Direction.DOWN);
                      if (down != null) {
                        pacer = new AnswerPacer(down, ch, client.channel());
                        ch.pipeline().addLast(pacer);
                      }
                      ch.pipeline()
                          .addLast(new HttpClientCodec(ProxyServer.MAX_REQUEST_LINE, ParentConnect.MAX_HEAD_BYTES, 8192))
                          .addLast(Upstream.this);
                    }
                  })
              .connect(to);
      channel.closeFuture().addListener(closed -> onClosed());
      connecting.addListener(
          (ChannelFutureListener)
              done -> {
                if (!done.isSuccess()) {
                  fail(via != null ? ParentConnect.UNREACHABLE : ProxyDecision.CONNECT_FAILED, null);
                  return;
                }
                connected = true;
                tally.answering(exchange);
                while (!queued.isEmpty()) {
                  channel.write(queued.poll());
                }
                channel.flush();
              });
    }

    boolean shaped() {
      return pacer != null && pacer.paused();
    }

    void send(HttpObject message) {
      requestDone = message instanceof LastHttpContent;
      awaitingAnswer |= message instanceof HttpRequest;
      if (!connected) {
        queued.add(message);
        return;
      }
      tally.answering(exchange);
      channel.writeAndFlush(message);
    }

    /** The destination is unreachable or the parent refused: answer 502, record, close. */
    private void fail(String reason, Integer proxyStatus) {
      releaseQueued();
      exchange.endReason = reason;
      exchange.proxyStatus = proxyStatus;
      channel.close();
      if (exchange.claimRecord()) {
        core.closed(exchange.toRecord());
      }
      tally.answering(null);
      if (client.channel().isActive()) {
        client
            .writeAndFlush(Answers.refusal(502, reason, ProxyHandler.unreachable(exchange, reason, proxyStatus)))
            .addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpResponse response) {
        if (exchange.via != null && response.status().code() == 407) {
          // The parent wants other credentials: its refusal, not the destination's answer.
          ReferenceCountUtil.release(msg);
          fail(ParentConnect.REFUSED, 407);
          return;
        }
        responseKeepAlive = HttpUtil.isKeepAlive(response);
        if (!clientKeepAlive) {
          response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
      }
      tally.answering(exchange);
      boolean last = msg instanceof LastHttpContent;
      client.write(msg); // flushed once per read burst (channelReadComplete): headers and body in one segment
      if (!client.channel().isWritable()) {
        channel.config().setAutoRead(false);
      }
      if (last) {
        onAnswered();
      }
    }

    private void onAnswered() {
      awaitingAnswer = false;
      if (!clientKeepAlive || !responseKeepAlive) {
        client.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        channel.close();
        return;
      }
      client.read(); // the next request may come now
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      client.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && !requestDone) {
        client.read();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      exchange.endReason = exchange.endReason != null ? exchange.endReason : "destination_error";
      ctx.close();
    }

    private void onClosed() {
      releaseQueued();
      if (exchange.claimRecord()) {
        core.closed(exchange.toRecord());
      }
      if (current == this && client.channel().isActive() && awaitingAnswer) {
        client.close(); // the destination went away before it had answered
      }
    }

    void end() {
      channel.close();
    }

    private void releaseQueued() {
      while (!queued.isEmpty()) {
        ReferenceCountUtil.release(queued.poll());
      }
    }
  }
}
