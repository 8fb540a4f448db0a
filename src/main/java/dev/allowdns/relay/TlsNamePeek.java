package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.util.concurrent.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the server name from a TLS ClientHello without terminating TLS (Netty's ClientHello
 * parser, which also joins a ClientHello split over several segments), holding at most {@value
 * #MAX_CLIENT_HELLO_BYTES} bytes. Plain HTTP is handed to
 * {@link HttpHostPeek}; anything else is reported as {@code tcp}. Leaves the pipeline once it has
 * seen enough; every byte it buffered flows on to the next handler.
 */
final class TlsNamePeek extends AbstractSniHandler<String> {
  /**
   * Bytes held while waiting for a whole ClientHello: real ones are 0.5 to 4 KiB, and two full
   * TLS records fit (Netty would wait for up to 16 MiB). Past it the name cannot be read, and
   * the connection is refused.
   */
  static final int MAX_CLIENT_HELLO_BYTES = 32 * 1024;
  private static final int TLS_HANDSHAKE = 0x16;
  private static final int SERVER_NAME_EXTENSION = 0; // RFC 6066 §3
  private static final int HOST_NAME = 0;

  /** Every host_name the ClientHello lists: Netty reports only the first. */
  private List<String> hostNames = List.of();

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    // A client's first TLS record is a handshake (RFC 8446 §5.1). Netty's parser drops the bytes
    // and closes the channel when the first record is an alert or change_cipher_spec that does
    // not parse (found by PeekFuzzTest); such bytes are simply not TLS, and are handed on.
    if (in.isReadable() && in.getUnsignedByte(in.readerIndex()) != TLS_HANDSHAKE) {
      handOn(ctx, in);
      return;
    }
    if (in.readableBytes() > MAX_CLIENT_HELLO_BYTES) {
      String why = "no complete ClientHello within " + MAX_CLIENT_HELLO_BYTES + " bytes";
      ctx.fireUserEventTriggered(new PeekResult("https", null, null, in.readableBytes(), why));
      ctx.pipeline().remove(this);
      return;
    }
    super.decode(ctx, in, out);
  }

  @Override
  protected Future<String> lookup(ChannelHandlerContext ctx, ByteBuf clientHello) throws Exception {
    hostNames = clientHello == null ? List.of() : hostNames(clientHello);
    return super.lookup(ctx, clientHello);
  }

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
      // Netty's name is the first entry, and only when that entry is a host_name.
      String sni = hostNames.isEmpty() ? hostname : hostNames.get(0);
      String ambiguity = PeekResult.ambiguity("SNI host names", hostNames);
      ctx.fireUserEventTriggered(new PeekResult("https", sni, null, seen.readableBytes(), ambiguity));
      ctx.pipeline().remove(this);
    } else {
      handOn(ctx, seen);
    }
  }

  /** Passes bytes that are not TLS to the HTTP peek, or reports them as {@code tcp}. */
  private void handOn(ChannelHandlerContext ctx, ByteBuf seen) {
    if (HttpHostPeek.startsLikeHttp(seen)) {
      ctx.pipeline().replace(this, "http-host-peek", new HttpHostPeek());
    } else {
      ctx.fireUserEventTriggered(PeekResult.nothing(seen.readableBytes()));
      ctx.pipeline().remove(this);
    }
  }

  /**
   * Returns every host_name of every server_name extension of a ClientHello body (RFC 8446
   * §4.1.2, RFC 6066 §3: at most one per type is allowed, so more than one is a client trying
   * something). Stops quietly at the first length that does not fit.
   */
  static List<String> hostNames(ByteBuf hello) {
    List<String> names = new ArrayList<>(1);
    int at = hello.readerIndex() + 2 + 32; // legacy_version, random
    int end = hello.writerIndex();
    if (at + 1 > end) {
      return names;
    }
    at += 1 + hello.getUnsignedByte(at); // legacy_session_id
    if (at + 2 > end) {
      return names;
    }
    at += 2 + hello.getUnsignedShort(at); // cipher_suites
    if (at + 1 > end) {
      return names;
    }
    at += 1 + hello.getUnsignedByte(at); // legacy_compression_methods
    if (at + 2 > end) {
      return names;
    }
    int extensionsEnd = Math.min(end, at + 2 + hello.getUnsignedShort(at));
    at += 2;
    while (at + 4 <= extensionsEnd) {
      int type = hello.getUnsignedShort(at);
      int length = hello.getUnsignedShort(at + 2);
      at += 4;
      if (at + length > extensionsEnd) {
        break;
      }
      if (type == SERVER_NAME_EXTENSION && length >= 2) {
        int listEnd = Math.min(at + length, at + 2 + hello.getUnsignedShort(at));
        for (int entry = at + 2; entry + 3 <= listEnd; ) {
          int nameType = hello.getUnsignedByte(entry);
          int nameLength = hello.getUnsignedShort(entry + 1);
          entry += 3;
          if (entry + nameLength > listEnd) {
            break;
          }
          if (nameType == HOST_NAME) {
            names.add(hello.toString(entry, nameLength, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT));
          }
          entry += nameLength;
        }
      }
      at += length;
    }
    return names;
  }
}
