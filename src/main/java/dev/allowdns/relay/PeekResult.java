package dev.allowdns.relay;

/**
 * What the first bytes of a connection said, fired as a user event by the peek handlers.
 *
 * @param protocol {@code https}, {@code http} or {@code tcp}
 * @param sni the TLS server name, or {@code null}
 * @param host the HTTP Host header, or {@code null}
 * @param peekedBytes how many bytes the peek holds; they flow on after the event, unless the
 *     connection is refused, so a refusal counts them from here
 */
record PeekResult(String protocol, String sni, String host, int peekedBytes) {
  static PeekResult nothing(int peekedBytes) {
    return new PeekResult("tcp", null, null, peekedBytes);
  }
}
