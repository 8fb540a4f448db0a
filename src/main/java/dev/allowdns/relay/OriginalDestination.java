package dev.allowdns.relay;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * Reads where a REDIRECTed connection was going: {@code getsockopt(SO_ORIGINAL_DST)} for IPv4 and
 * {@code getsockopt(IP6T_SO_ORIGINAL_DST)} for IPv6 (linux/netfilter_ipv4.h, netfilter_ipv6/
 * ip6_tables.h) on the accepted socket. No Java or Netty API exposes them.
 */
final class OriginalDestination {
  private static final int SOL_IP = 0;
  private static final int SOL_IPV6 = 41;
  private static final int SO_ORIGINAL_DST = 80;
  private static final int IP6T_SO_ORIGINAL_DST = 80;
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;

  static {
    // Direct mapping: a native method bound once, several times cheaper per call than an
    // interface proxy; this runs for every accepted connection.
    Native.register(OriginalDestination.class, "c");
  }

  private static native int getsockopt(int fd, int level, int name, byte[] value, IntByReference length)
      throws LastErrorException;

  private OriginalDestination() {}

  /**
   * Returns the original destination of the connection on {@code fd}.
   *
   * @param clientAddress the peer's address: its family says which conntrack table to ask
   * @throws IOException when the kernel knows none (the connection was not redirected and
   *     conntrack has no entry, or the netfilter modules are missing)
   */
  static InetSocketAddress of(int fd, InetAddress clientAddress) throws IOException {
    boolean ipv4 = clientAddress instanceof Inet4Address;
    byte[] sockaddr = new byte[28]; // sizeof(struct sockaddr_in6); sockaddr_in fits in it
    IntByReference length = new IntByReference(ipv4 ? 16 : 28);
    try {
      getsockopt(
          fd, ipv4 ? SOL_IP : SOL_IPV6, ipv4 ? SO_ORIGINAL_DST : IP6T_SO_ORIGINAL_DST, sockaddr, length);
    } catch (LastErrorException e) {
      throw new IOException("getsockopt(original destination) failed: errno " + e.getErrorCode(), e);
    }
    return parse(sockaddr);
  }

  /** Parses a {@code struct sockaddr_in} or {@code sockaddr_in6}; the family is in host order. */
  static InetSocketAddress parse(byte[] sockaddr) throws UnknownHostException {
    int family = (sockaddr[0] & 0xff) | (sockaddr[1] & 0xff) << 8; // little-endian x86_64/arm64
    int port = (sockaddr[2] & 0xff) << 8 | (sockaddr[3] & 0xff); // network order
    if (family == AF_INET) {
      return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 4, 8)), port);
    }
    if (family == AF_INET6) {
      return new InetSocketAddress(InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 8, 24)), port);
    }
    throw new UnknownHostException("unexpected address family " + family + " from getsockopt");
  }
}
