package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;

/**
 * Reads the server name from a TLS ClientHello without terminating TLS (Netty's ClientHello
 * parser, which also joins a ClientHello split over several segments). Plain HTTP is handed to
 * {@link HttpHostPeek}; anything else is reported as {@code tcp}. Leaves the pipeline once it has
 * seen enough; every byte it buffered flows on to the next handler.
 */
final class TlsNamePeek extends AbstractSniHandler<String> {
  private static final int TLS_HANDSHAKE = 0x16;

  @Override
  protected Future<String> lookup(ChannelHandlerContext ctx, String hostname) {
    return ctx.executor().newSucceededFuture(hostname);
  }

  @Override
  protected void onLookupComplete(
      ChannelHandlerContext ctx, String hostname, Future<String> future) {
    ByteBuf seen = internalBuffer();
    boolean tls = seen.isReadable() && seen.getUnsignedByte(seen.readerIndex()) == TLS_HANDSHAKE;
    if (tls) {
      ctx.fireUserEventTriggered(new PeekResult("https", hostname, null, seen.readableBytes()));
      ctx.pipeline().remove(this);
    } else if (HttpHostPeek.startsLikeHttp(seen)) {
      ctx.pipeline().replace(this, "http-host-peek", new HttpHostPeek());
    } else {
      ctx.fireUserEventTriggered(PeekResult.nothing(seen.readableBytes()));
      ctx.pipeline().remove(this);
    }
  }
}
