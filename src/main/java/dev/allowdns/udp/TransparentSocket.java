package dev.allowdns.udp;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A UDP socket that TPROXY may hand datagrams to ({@code IP_TRANSPARENT}, {@code
 * IPV6_TRANSPARENT}) and that reads each one's original destination ({@code IP_RECVORIGDSTADDR},
 * {@code IPV6_RECVORIGDSTADDR}; ip(7), ipv6(7)). Netty's epoll datagram channel reads only the
 * IPv4 one (netty_epoll_native.c parses {@code SOL_IP} control messages alone), so this calls
 * libc directly. Blocking, with a receive timeout so that its one reader thread can stop.
 * Confined to that thread after {@link #open}.
 */
final class TransparentSocket implements AutoCloseable {
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;
  private static final int SOCK_DGRAM = 2;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_REUSEADDR = 2;
  private static final int SO_RCVBUF = 8;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int SOL_IP = 0;
  private static final int IP_TRANSPARENT = 19;
  private static final int IP_ORIGDSTADDR = 20;
  private static final int SOL_IPV6 = 41;
  private static final int IPV6_V6ONLY = 26;
  private static final int IPV6_ORIGDSTADDR = 74;
  private static final int IPV6_TRANSPARENT = 75;
  private static final int EAGAIN = 11;
  private static final int EINTR = 4;
  private static final int RECEIVE_BUFFER = 4 << 20;
  /** Bytes of a datagram kept: enough for a QUIC long header; the rest is only counted. */
  static final int KEPT_BYTES = 64;

  static {
    Native.register(TransparentSocket.class, "c");
  }

  private static native int socket(int domain, int type, int protocol) throws LastErrorException;

  private static native int setsockopt(int fd, int level, int name, Pointer value, int length)
      throws LastErrorException;

  private static native int bind(int fd, Pointer address, int length) throws LastErrorException;

  private static native int getsockname(int fd, Pointer address, Pointer length) throws LastErrorException;

  private static native long recvmsg(int fd, Pointer message, int flags) throws LastErrorException;

  private static native int close(int fd);

  /** One datagram as read: who sent it, where it was going, its size and first bytes. */
  record Datagram(InetSocketAddress source, InetSocketAddress destination, int length, byte[] head) {}

  private final int fd;
  private final boolean ipv6;
  // struct msghdr and what it points at, reused for every datagram (LP64 layout).
  private final Memory message = new Memory(56);
  private final Memory name = new Memory(28);
  private final Memory iov = new Memory(16);
  private final Memory data = new Memory(65536);
  private final Memory control = new Memory(256);

  private TransparentSocket(int fd, boolean ipv6) {
    this.fd = fd;
    this.ipv6 = ipv6;
    iov.setPointer(0, data);
    iov.setLong(8, data.size());
  }

  /**
   * Opens, configures and binds the socket; an IPv6 wildcard address also takes IPv4.
   *
   * @throws IOException naming the call that failed (IP_TRANSPARENT needs CAP_NET_ADMIN)
   */
  static TransparentSocket open(InetSocketAddress listen, int receiveTimeoutMillis) throws IOException {
    boolean ipv6 = !(listen.getAddress() instanceof Inet4Address);
    int fd;
    try {
      fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    } catch (LastErrorException e) {
      throw new IOException("socket(): errno " + e.getErrorCode(), e);
    }
    TransparentSocket socket = new TransparentSocket(fd, ipv6);
    try {
      socket.option(SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
      try {
        socket.option(SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER, "SO_RCVBUFFORCE");
      } catch (IOException notRoot) {
        socket.option(SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER, "SO_RCVBUF");
      }
      // IPv4 options apply to the IPv4 datagrams of a dual-stack socket (udpv6_recvmsg).
      socket.option(SOL_IP, IP_TRANSPARENT, 1, "IP_TRANSPARENT (needs CAP_NET_ADMIN)");
      socket.option(SOL_IP, IP_ORIGDSTADDR, 1, "IP_RECVORIGDSTADDR");
      if (ipv6) {
        socket.option(SOL_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
        socket.option(SOL_IPV6, IPV6_TRANSPARENT, 1, "IPV6_TRANSPARENT (needs CAP_NET_ADMIN)");
        socket.option(SOL_IPV6, IPV6_ORIGDSTADDR, 1, "IPV6_RECVORIGDSTADDR");
      }
      Memory timeout = new Memory(16); // struct timeval
      timeout.setLong(0, receiveTimeoutMillis / 1000);
      timeout.setLong(8, (receiveTimeoutMillis % 1000) * 1000L);
      try {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
      } catch (LastErrorException e) {
        throw new IOException("setsockopt(SO_RCVTIMEO): errno " + e.getErrorCode(), e);
      }
      Memory address = new Memory(28);
      int length = socket.encode(address, listen);
      try {
        bind(fd, address, length);
      } catch (LastErrorException e) {
        throw new IOException("bind(" + listen + "): errno " + e.getErrorCode(), e);
      }
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Returns the address bound (with the real port when 0 was asked for). */
  InetSocketAddress localAddress() throws IOException {
    Memory address = new Memory(28);
    Memory length = new Memory(4);
    length.setInt(0, 28);
    try {
      getsockname(fd, address, length);
    } catch (LastErrorException e) {
      throw new IOException("getsockname: errno " + e.getErrorCode(), e);
    }
    return decode(address);
  }

  /**
   * Waits for the next datagram, up to the receive timeout.
   *
   * @return the datagram, or {@code null} when none came in time (or one without an original
   *     destination, which TPROXY did not send)
   */
  Datagram receive() throws IOException {
    message.clear();
    message.setPointer(0, name);
    message.setInt(8, (int) name.size());
    message.setPointer(16, iov);
    message.setLong(24, 1);
    message.setPointer(32, control);
    message.setLong(40, control.size());
    long n;
    try {
      n = recvmsg(fd, message, 0);
    } catch (LastErrorException e) {
      if (e.getErrorCode() == EAGAIN || e.getErrorCode() == EINTR) {
        return null;
      }
      throw new IOException("recvmsg: errno " + e.getErrorCode(), e);
    }
    if (n < 0) {
      return null;
    }
    InetSocketAddress destination = originalDestination(message.getLong(40));
    if (destination == null) {
      return null;
    }
    byte[] head = data.getByteArray(0, (int) Math.min(n, KEPT_BYTES));
    return new Datagram(decode(name), destination, (int) n, head);
  }

  /** Walks the control messages (CMSG_FIRSTHDR / CMSG_NXTHDR) for the original destination. */
  private InetSocketAddress originalDestination(long controlLength) throws UnknownHostException {
    long offset = 0;
    while (offset + 16 <= controlLength) {
      long length = control.getLong(offset);
      int level = control.getInt(offset + 8);
      int type = control.getInt(offset + 12);
      if (length < 16) {
        return null;
      }
      if ((level == SOL_IP && type == IP_ORIGDSTADDR) || (level == SOL_IPV6 && type == IPV6_ORIGDSTADDR)) {
        return decode(control.share(offset + 16));
      }
      offset += (length + 7) & ~7L;
    }
    return null;
  }

  /** Decodes a {@code sockaddr_in} or {@code sockaddr_in6}; the family is in host order. */
  private static InetSocketAddress decode(Pointer sockaddr) throws UnknownHostException {
    int family = sockaddr.getShort(0) & 0xffff;
    int port = ((sockaddr.getByte(2) & 0xff) << 8) | (sockaddr.getByte(3) & 0xff);
    InetAddress address =
        family == AF_INET
            ? InetAddress.getByAddress(sockaddr.getByteArray(4, 4))
            : InetAddress.getByAddress(sockaddr.getByteArray(8, 16)); // v4-mapped → Inet4Address
    return new InetSocketAddress(address, port);
  }

  private int encode(Memory sockaddr, InetSocketAddress address) {
    sockaddr.clear();
    byte[] bytes = address.getAddress().getAddress();
    sockaddr.setByte(2, (byte) (address.getPort() >>> 8));
    sockaddr.setByte(3, (byte) address.getPort());
    if (!ipv6) {
      sockaddr.setShort(0, (short) AF_INET);
      sockaddr.write(4, bytes, 0, 4);
      return 16;
    }
    sockaddr.setShort(0, (short) AF_INET6);
    if (bytes.length == 4) {
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(bytes, 0, mapped, 12, 4);
      bytes = mapped;
    }
    sockaddr.write(8, bytes, 0, 16);
    return 28;
  }

  private void option(int level, int name, int value, String what) throws IOException {
    Memory v = new Memory(4);
    v.setInt(0, value);
    try {
      setsockopt(fd, level, name, v, 4);
    } catch (LastErrorException e) {
      throw new IOException("setsockopt(" + what + "): errno " + e.getErrorCode(), e);
    }
  }

  @Override
  public void close() {
    close(fd);
  }
}
