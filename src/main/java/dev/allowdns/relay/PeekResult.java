package dev.allowdns.relay;

/**
 * What the first bytes of a connection said, fired as a user event by the peek handlers.
 *
 * @param protocol {@code https}, {@code http} or {@code tcp}
 * @param sni the TLS server name (the first, when the ClientHello names several), or {@code null}
 * @param host the HTTP Host header (the first, when the request has several), or {@code null}
 * @param peekedBytes how many bytes the peek holds; they flow on after the event, unless the
 *     connection is refused, so a refusal counts them from here
 * @param ambiguity why the name sent cannot be checked: it is ambiguous (several different SNI
 *     host names, or several different Host headers: a server may pick another than the one
 *     checked), or the ClientHello or request head did not end within the peek's bound or its
 *     timeout; {@code null} when it can
 */
record PeekResult(String protocol, String sni, String host, int peekedBytes, String ambiguity) {
  PeekResult(String protocol, String sni, String host, int peekedBytes) {
    this(protocol, sni, host, peekedBytes, null);
  }

  static PeekResult nothing(int peekedBytes) {
    return new PeekResult("tcp", null, null, peekedBytes);
  }

  /**
   * Returns why {@code names} name more than one host (ignoring case), or {@code null} when they
   * agree.
   *
   * @param what what the names are, e.g. {@code Host headers}
   */
  static String ambiguity(String what, java.util.List<String> names) {
    for (String name : names) {
      if (!name.equalsIgnoreCase(names.get(0))) {
        return names.size() + " " + what + " that differ: " + String.join(", ", names);
      }
    }
    return null;
  }
}
