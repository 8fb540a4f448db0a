package dev.allowdns.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@link ProcScan} against this machine's real /proc, with sockets of this JVM. */
class ProcScanTest {
  private static final Path OWN_NETNS = Path.of("/proc/self/ns/net");

  private static ProcScan scan() {
    return new ProcScan(Path.of("/proc"), System.nanoTime() + 5_000_000_000L);
  }

  private static String ownExe() throws Exception {
    return Files.readSymbolicLink(Path.of("/proc/self/exe")).toString();
  }

  @Test
  void find_connectedTcpSocket_isThisProcess() throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket server = new ServerSocket(0, 1, loopback);
        Socket client = new Socket(loopback, server.getLocalPort());
        Socket accepted = server.accept()) {
      ProcessOwner owner =
          scan()
              .find(
                  OWN_NETNS,
                  SocketOwners.Transport.TCP,
                  (InetSocketAddress) client.getLocalSocketAddress(),
                  (InetSocketAddress) client.getRemoteSocketAddress());
      assertNotNull(owner);
      assertEquals(ProcessHandle.current().pid(), owner.pid());
      assertEquals(ownExe(), owner.exe());
      assertFalse(owner.cmdline().isEmpty());
      assertFalse(owner.ambiguous());
    }
  }

  @Test
  void find_unconnectedUdpSocket_matchesAnyPeer() throws Exception {
    try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      InetSocketAddress local = new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
      ProcessOwner owner =
          scan().find(OWN_NETNS, SocketOwners.Transport.UDP, local, new InetSocketAddress("10.9.9.9", 123));
      assertNotNull(owner);
      assertEquals(ProcessHandle.current().pid(), owner.pid());
    }
  }

  @Test
  void find_noSuchSocket_isNull() throws Exception {
    assertNull(
        scan()
            .find(
                OWN_NETNS,
                SocketOwners.Transport.TCP,
                new InetSocketAddress("127.0.0.1", 1),
                new InetSocketAddress("127.0.0.1", 2)));
  }

  @Test
  void find_namespaceGone_isNull() throws Exception {
    assertNull(
        scan()
            .find(
                Path.of("/run/netns/no-such-namespace-allowdns"),
                SocketOwners.Transport.TCP,
                new InetSocketAddress("127.0.0.1", 1),
                new InetSocketAddress("127.0.0.1", 2)));
  }

  @Test
  void find_pastTheDeadline_givesUp() {
    ProcScan late = new ProcScan(Path.of("/proc"), System.nanoTime() - 1);
    assertThrows(
        ProcScan.OutOfTime.class,
        () ->
            late.find(
                OWN_NETNS,
                SocketOwners.Transport.TCP,
                new InetSocketAddress("127.0.0.1", 1),
                new InetSocketAddress("127.0.0.1", 2)));
  }
}
