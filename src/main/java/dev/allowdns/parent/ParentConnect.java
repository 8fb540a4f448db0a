package dev.allowdns.parent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Asks a parent proxy for a tunnel ({@code CONNECT name:port}) on a channel connected to it, then
 * steps aside: once the parent answers 2xx, the channel carries the tunnel's bytes and nothing
 * of the exchange is passed on. The parent's answer head is bounded ({@value #MAX_HEAD_BYTES}
 * bytes) and must come within the timeout. Confined to the channel's event loop.
 */
public final class ParentConnect extends ChannelInboundHandlerAdapter {
  /** The parent's answer head may be at most this long (status line and headers). */
  public static final int MAX_HEAD_BYTES = 16 * 1024;
  /** What a CONNECT authority may hold: a name, an IPv4 or a bracketed IPv6, and a port. */
  private static final Pattern AUTHORITY = Pattern.compile("[A-Za-z0-9._-]+:[0-9]{1,5}|\\[[0-9A-Fa-f:.]+]:[0-9]{1,5}");

  /**
   * How the request ended.
   *
   * @param status the parent's status code, or {@code null} when it gave none
   * @param reason {@code null} when the tunnel is up; else {@code proxy_refused} or {@code
   *     proxy_unreachable}
   */
  public record Outcome(Integer status, String reason) {
    public boolean tunnelUp() {
      return reason == null;
    }
  }

  public static final String REFUSED = "proxy_refused";
  public static final String UNREACHABLE = "proxy_unreachable";
  private static final String CODEC = "parent-codec";

  private final String authority;
  private final String authorization;
  private final long timeoutMillis;
  private final Consumer<Outcome> done;
  private ScheduledFuture<?> timer;
  private boolean answered;
  private boolean tunnel;

  /**
   * @param authority {@code name:port} to ask for (checked: no CR, LF or spaces can slip in)
   * @param authorization the {@code Proxy-Authorization} value, or {@code null}
   * @param done called once, on the channel's event loop
   */
  public ParentConnect(String authority, String authorization, long timeoutMillis, Consumer<Outcome> done) {
    if (!AUTHORITY.matcher(authority).matches()) {
      throw new IllegalArgumentException("not a CONNECT authority: " + authority.replaceAll("[^ -~]", "?"));
    }
    this.authority = authority;
    this.authorization = authorization;
    this.timeoutMillis = timeoutMillis;
    this.done = done;
  }

  /** Returns the authority {@code name:port} for a CONNECT, bracketing an IPv6 literal. */
  public static String authority(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // 4 KiB request line, the head bounded; chunks as they come.
    ctx.pipeline().addBefore(ctx.name(), CODEC, new HttpClientCodec(4096, MAX_HEAD_BYTES, 8192));
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    FullHttpRequest connect = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.CONNECT, authority);
    connect.headers().set(HttpHeaderNames.HOST, authority);
    if (authorization != null) {
      connect.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, authorization);
    }
    ctx.writeAndFlush(connect);
    timer = ctx.executor().schedule(() -> finish(ctx, new Outcome(null, UNREACHABLE)), timeoutMillis, TimeUnit.MILLISECONDS);
    ctx.read();
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (tunnel) {
      if (msg instanceof ByteBuf) {
        ctx.fireChannelRead(msg); // the tunnel's first bytes, released by the codec's removal
      } else {
        ReferenceCountUtil.release(msg); // the empty end of the 2xx answer
        if (msg instanceof LastHttpContent) {
          ctx.pipeline().remove(this);
        }
      }
      return;
    }
    try {
      if (!(msg instanceof HttpObject object)) {
        finish(ctx, new Outcome(null, REFUSED));
      } else if (object.decoderResult().isFailure()) {
        finish(ctx, new Outcome(null, REFUSED)); // too long or not HTTP
      } else if (msg instanceof HttpResponse response) {
        int status = response.status().code();
        if (status >= 200 && status < 300) {
          tunnel = true;
          ctx.pipeline().remove(CODEC);
          finish(ctx, new Outcome(status, null));
        } else {
          finish(ctx, new Outcome(status, REFUSED));
        }
      } else if (!(msg instanceof HttpContent)) {
        finish(ctx, new Outcome(null, REFUSED));
      }
    } finally {
      if (!(tunnel && msg instanceof ByteBuf)) {
        ReferenceCountUtil.release(msg);
      }
    }
    if (!answered) {
      ctx.read();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    finish(ctx, new Outcome(null, UNREACHABLE));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!answered) {
      finish(ctx, new Outcome(null, UNREACHABLE));
    } else {
      ctx.fireExceptionCaught(cause);
    }
  }

  private void finish(ChannelHandlerContext ctx, Outcome outcome) {
    if (answered) {
      return;
    }
    answered = true;
    if (timer != null) {
      timer.cancel(false);
    }
    if (!outcome.tunnelUp()) {
      ctx.channel().close();
    }
    done.accept(outcome);
  }
}
