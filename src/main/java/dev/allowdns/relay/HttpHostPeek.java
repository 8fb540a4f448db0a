package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code Host} header of a plain HTTP/1 request without consuming it: waits for the end
 * of the headers (at most {@value #MAX_HEADER_BYTES} bytes), reports, and leaves the pipeline so
 * the buffered request flows on unchanged. A head that has not ended within the bound is reported
 * uncheckable: a {@code Host} (or a second one) after it would go unread.
 */
final class HttpHostPeek extends ByteToMessageDecoder {
  static final int MAX_HEADER_BYTES = 16 * 1024;
  private static final String[] METHODS = {
    "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "
  };

  /** Returns whether the buffered bytes begin (or could begin) an HTTP/1 request line. */
  static boolean startsLikeHttp(ByteBuf seen) {
    int n = Math.min(seen.readableBytes(), 8);
    String start = seen.toString(seen.readerIndex(), n, StandardCharsets.US_ASCII);
    for (String method : METHODS) {
      if (method.startsWith(start) || start.startsWith(method)) {
        return true;
      }
    }
    return false;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int end = indexOfHeadersEnd(in);
    if (end < 0 && in.readableBytes() < MAX_HEADER_BYTES) {
      return; // wait for more of the request
    }
    int length = end < 0 ? in.readableBytes() : end - in.readerIndex();
    String head = in.toString(in.readerIndex(), length, StandardCharsets.ISO_8859_1);
    List<String> hosts = hostsOf(head);
    String uncheckable =
        end < 0
            ? "no complete request head within " + MAX_HEADER_BYTES + " bytes"
            : PeekResult.ambiguity("Host headers", hosts);
    ctx.fireUserEventTriggered(
        new PeekResult("http", null, hosts.isEmpty() ? null : hosts.get(0), in.readableBytes(), uncheckable));
    ctx.pipeline().remove(this);
  }

  private static int indexOfHeadersEnd(ByteBuf in) {
    int limit = in.writerIndex() - 3;
    for (int i = in.readerIndex(); i < limit; i++) {
      if (in.getByte(i) == '\r'
          && in.getByte(i + 1) == '\n'
          && in.getByte(i + 2) == '\r'
          && in.getByte(i + 3) == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** Returns the value of the first Host header of a request head, or {@code null}. */
  static String hostOf(String head) {
    List<String> hosts = hostsOf(head);
    return hosts.isEmpty() ? null : hosts.get(0);
  }

  /**
   * Returns the value of every Host header of a request head, in order. RFC 9112 §3.2: a request
   * with more than one is invalid, and servers differ in which they would use.
   */
  static List<String> hostsOf(String head) {
    List<String> hosts = new ArrayList<>(1);
    for (int start = 0; start < head.length(); ) {
      int end = head.indexOf("\r\n", start);
      String line = head.substring(start, end < 0 ? head.length() : end);
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("host")) {
        hosts.add(line.substring(colon + 1).trim());
      }
      start = end < 0 ? head.length() : end + 2;
    }
    return hosts;
  }
}
