package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.util.function.IntConsumer;

/**
 * Plain HTTP of the transparent path sent through a parent proxy: the sandbox's origin-form
 * requests ({@code GET /path}) become absolute-form ({@code GET http://name/path}) for the
 * allowed name, with the parent's credentials. Netty's codec reads and writes the requests; the
 * payload is counted beneath it, as the sandbox sent and received it.
 */
final class AbsoluteForm {
  private AbsoluteForm() {}

  /**
   * Puts the codec, the byte counter and the rewriting into the sandbox side's pipeline, ahead of
   * {@code frontend}: call it while the HTTP peek reports, so its buffered bytes go through them.
   */
  static void install(ChannelHandlerContext frontend, Connection connection, String authority, String authorization) {
    frontend.pipeline()
        .addBefore(frontend.name(), "absolute-form-count", new Count(connection))
        .addBefore(frontend.name(), "absolute-form-codec", new HttpServerCodec(8192, 16 * 1024, 8192))
        .addBefore(frontend.name(), "absolute-form", new ToParent(authority, authorization));
  }

  /** Counts the sandbox side's raw bytes both ways, since the frontend sees decoded requests. */
  private static final class Count extends ChannelDuplexHandler {
    private final Connection connection;

    Count(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf data) {
        connection.bytesFromSandbox += data.readableBytes();
        if (connection.bytesFromSandboxMeter != null) {
          connection.bytesFromSandboxMeter.increment(data.readableBytes());
        }
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf data) {
        connection.bytesToSandbox += data.readableBytes();
        if (connection.bytesToSandboxMeter != null) {
          connection.bytesToSandboxMeter.increment(data.readableBytes());
        }
      }
      ctx.write(msg, promise);
    }
  }

  /** Rewrites each request for the parent: the URI names the allowed name, whatever Host says. */
  private static final class ToParent extends ChannelInboundHandlerAdapter {
    private final String authority;
    private final String authorization;

    ToParent(String authority, String authorization) {
      this.authority = authority;
      this.authorization = authorization;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest request) {
        String uri = request.uri();
        String path = uri.startsWith("/") ? uri : "/" + uri.replaceFirst("^[a-zA-Z]+://[^/]*/?", "");
        request.setUri("http://" + authority + path);
        request.headers().remove(HttpHeaderNames.PROXY_AUTHORIZATION);
        if (authorization != null) {
          request.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, authorization);
        }
      }
      ctx.fireChannelRead(msg);
    }
  }

  /** The parent's side: a {@code 407} is the parent refusing, not the destination answering. */
  static final class FromParent extends ChannelInboundHandlerAdapter {
    private final Connection connection;
    private final IntConsumer refused;
    private boolean first = true;

    FromParent(Connection connection, IntConsumer refused) {
      this.connection = connection;
      this.refused = refused;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (first && msg instanceof HttpResponse response && response.status().code() == 407) {
        ReferenceCountUtil.release(msg);
        ctx.channel().close();
        refused.accept(407);
        return;
      }
      first = false;
      ctx.fireChannelRead(msg);
    }
  }
}
