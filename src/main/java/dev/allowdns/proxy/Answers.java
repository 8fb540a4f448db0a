package dev.allowdns.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** The proxy's own answers: refusals a client can show, and the {@code 200} that opens a tunnel. */
final class Answers {
  /** The header that carries the record's {@code reason} on every refusal. */
  static final String REASON_HEADER = "X-Allowdns-Reason";

  private Answers() {}

  /**
   * Returns a refusal: {@code status}, {@value #REASON_HEADER}, and {@code text} as a one-line
   * plain-text body. The connection closes after it.
   */
  static FullHttpResponse refusal(int status, String reason, String text) {
    byte[] body = (Target.printable(text) + "\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    response.headers()
        .set(REASON_HEADER, reason)
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return response;
  }

  /** Returns the answer to a {@code CONNECT} whose tunnel is up. */
  static FullHttpResponse tunnelUp() {
    return new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, new HttpResponseStatus(200, "Connection established"), Unpooled.EMPTY_BUFFER);
  }
}
