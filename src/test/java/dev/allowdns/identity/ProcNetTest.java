package dev.allowdns.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ProcNet} on table lines in the kernel's format (proc_net_tcp.rst). */
class ProcNetTest {
  private static final String TCP =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
          + "   0: 02C8C80A:A1B2 0BC9C90A:0050 01 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 20 4 30 10 -1\n";
  private static final String UDP6 =
      "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
          + "  12: 00000000000000000000000000000000:D431 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0000000000000000 0\n"
          + "  13: 0000000000000000FFFF00000200C80A:D432 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 778 2 0000000000000000 0\n";

  @Test
  void parse_ipv4Line_readsHostOrderWordsAndTheInode() {
    List<ProcNet.Socket> sockets = ProcNet.parse(TCP);
    assertEquals(1, sockets.size());
    ProcNet.Socket s = sockets.get(0);
    assertEquals(new InetSocketAddress("10.200.200.2", 0xA1B2), s.local());
    assertEquals(new InetSocketAddress("10.201.201.11", 80), s.remote());
    assertEquals(123456, s.inode());
    assertTrue(s.matches(SocketOwners.Transport.TCP, s.local(), s.remote()));
    assertFalse(s.matches(SocketOwners.Transport.TCP, s.local(), new InetSocketAddress("10.201.201.11", 81)));
  }

  @Test
  void parse_ipv6Lines_wildcardAndV4Mapped() {
    List<ProcNet.Socket> sockets = ProcNet.parse(UDP6);
    assertEquals(2, sockets.size());
    assertTrue(sockets.get(0).local().getAddress().isAnyLocalAddress());
    // ::ffff:10.200.0.2 compares as the IPv4 address.
    assertEquals(new InetSocketAddress("10.200.0.2", 0xD432), sockets.get(1).local());
    InetSocketAddress peer = new InetSocketAddress("10.201.0.2", 123);
    assertTrue(sockets.get(0).matches(SocketOwners.Transport.UDP, new InetSocketAddress("10.200.0.2", 0xD431), peer));
    assertFalse(sockets.get(0).matches(SocketOwners.Transport.TCP, new InetSocketAddress("10.200.0.2", 0xD431), peer));
  }
}
