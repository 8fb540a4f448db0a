package dev.allowdns.iptables;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A small network peer that tests start inside a namespace ({@code ip netns exec NS java -cp
 * test-classes dev.allowdns.iptables.NetProbe ...}), since a socket belongs to the namespace of
 * the process that opens it.
 *
 * <ul>
 *   <li>{@code listen udp:PORT|tcp:PORT...} binds each port on {@code [::]} (IPv4 and IPv6),
 *       prints {@code listening}, then one line per arrival: {@code TOKEN PROTO:PORT from ADDRESS}
 *       (TOKEN is the datagram, or the first line a connection sends). It stops when stdin closes
 *       or after two minutes.
 *   <li>{@code send PROTO HOST PORT TOKEN...} sends each TOKEN in turn and prints {@code TOKEN
 *       OUTCOME}: for UDP {@code unreachable} (an ICMP port unreachable came back), {@code
 *       answered} or {@code silent}; for TCP {@code connected}, {@code refused} (reset), {@code
 *       unreachable} or {@code timeout}.
 * </ul>
 */
public final class NetProbe {
  private static final int WAIT_MILLIS = 1500;
  private static final long LISTEN_LIMIT_SECONDS = 120;

  private NetProbe() {}

  /** Returns the command line that runs this probe with {@code args} in a fresh JVM. */
  static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    try {
      // The test classes directory: the probe needs nothing else.
      command.add(
          Path.of(NetProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI())
              .toString());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    command.add(NetProbe.class.getName());
    command.addAll(List.of(args));
    return command;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("listen")) {
      listen(args);
    } else if (args.length > 0 && args[0].equals("send") && (args.length - 1) % 4 == 0) {
      for (int i = 1; i < args.length; i += 4) {
        String outcome =
            args[i].equals("udp")
                ? sendUdp(args[i + 1], Integer.parseInt(args[i + 2]), args[i + 3])
                : sendTcp(args[i + 1], Integer.parseInt(args[i + 2]), args[i + 3]);
        print(args[i + 3] + " " + outcome);
      }
    } else {
      System.err.println("usage: listen udp:PORT|tcp:PORT... | send udp|tcp HOST PORT TOKEN...");
      System.exit(2);
    }
  }

  private static void listen(String[] args) throws Exception {
    for (int i = 1; i < args.length; i++) {
      String[] spec = args[i].split(":");
      int port = Integer.parseInt(spec[1]);
      InetSocketAddress any = new InetSocketAddress(InetAddress.getByName("::"), port);
      Thread thread;
      if (spec[0].equals("udp")) {
        DatagramSocket socket = new DatagramSocket(any);
        thread = new Thread(() -> receiveDatagrams(socket, port));
      } else {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(any);
        thread = new Thread(() -> acceptConnections(server, port));
      }
      thread.setDaemon(true);
      thread.start();
    }
    print("listening");
    Thread stdinClosed =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // wait for the test to close stdin
                }
              } catch (IOException e) {
                // closed
              }
            });
    stdinClosed.setDaemon(true);
    stdinClosed.start();
    stdinClosed.join(TimeUnit.SECONDS.toMillis(LISTEN_LIMIT_SECONDS));
    System.exit(0);
  }

  private static void receiveDatagrams(DatagramSocket socket, int port) {
    byte[] buffer = new byte[1500];
    while (true) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(packet);
      } catch (IOException e) {
        return;
      }
      String token = new String(buffer, 0, packet.getLength(), StandardCharsets.UTF_8).strip();
      print(token + " udp:" + port + " from " + packet.getAddress().getHostAddress());
    }
  }

  private static void acceptConnections(ServerSocket server, int port) {
    while (true) {
      try (Socket connection = server.accept()) {
        connection.setSoTimeout(WAIT_MILLIS);
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
        String token = in.readLine();
        print(token + " tcp:" + port + " from " + connection.getInetAddress().getHostAddress());
      } catch (IOException e) {
        if (server.isClosed()) {
          return;
        }
      }
    }
  }

  private static String sendUdp(String host, int port, String token) throws IOException {
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.connect(new InetSocketAddress(InetAddress.getByName(host), port));
      byte[] payload = token.getBytes(StandardCharsets.UTF_8);
      socket.send(new DatagramPacket(payload, payload.length));
      socket.setSoTimeout(WAIT_MILLIS);
      try {
        socket.receive(new DatagramPacket(new byte[1500], 1500));
        return "answered";
      } catch (PortUnreachableException e) {
        return "unreachable";
      } catch (SocketTimeoutException e) {
        return "silent";
      }
    }
  }

  private static String sendTcp(String host, int port, String token) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), WAIT_MILLIS);
      socket.setSoTimeout(WAIT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write((token + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      socket.getInputStream().read(); // the listener closes once it has the token
      return "connected";
    } catch (ConnectException e) {
      return "refused";
    } catch (NoRouteToHostException e) {
      return "unreachable";
    } catch (SocketTimeoutException e) {
      return "timeout";
    }
  }

  private static synchronized void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
