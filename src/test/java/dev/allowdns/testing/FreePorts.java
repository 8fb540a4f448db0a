package dev.allowdns.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Finds loopback ports that are free for both UDP and TCP, as a DNS server needs both. */
public final class FreePorts {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final int ATTEMPTS = 50;

  private FreePorts() {}

  /**
   * Returns a port on 127.0.0.1 that was free for TCP and UDP a moment ago. Another process may
   * still take it before the caller binds; callers that start servers retry on a bind failure.
   */
  public static int udpAndTcp() {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try (ServerSocket tcp = new ServerSocket()) {
        tcp.setReuseAddress(false);
        tcp.bind(new InetSocketAddress(LOOPBACK, 0));
        int port = tcp.getLocalPort();
        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, port))) {
          return udp.getLocalPort();
        } catch (IOException udpTaken) {
          // Try another port.
        }
      } catch (IOException e) {
        throw new IllegalStateException("cannot bind any loopback TCP port", e);
      }
    }
    throw new IllegalStateException("no loopback port free for both UDP and TCP after " + ATTEMPTS);
  }
}
