package dev.allowdns.dns;

import java.net.InetAddress;
import org.xbill.DNS.Message;

/**
 * Answers the NOTIFY messages (RFC 1996) that reach the DNS listeners, over UDP or TCP. Without a
 * handler a NOTIFY gets NOTIMP, like any opcode other than QUERY.
 *
 * <p>Called on a resolver event loop: an implementation must not block (it hands any transfer to
 * a thread of its own) and must be thread-safe.
 */
public interface NotifyHandler {
  /**
   * Returns the response to {@code notify}, or {@code null} to send none (RFC 1996 §3.10: a
   * NOTIFY from a stranger is ignored).
   *
   * @param wire the message as received, for verifying its TSIG
   * @param sender the address the message came from
   */
  byte[] handle(Message notify, byte[] wire, InetAddress sender);
}
