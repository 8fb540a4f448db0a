package dev.allowdns.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.xbill.DNS.Message;

/**
 * A DNS client at the byte level, for what dig cannot do: malformed packets, several queries
 * written on one TCP connection before any answer is read (RFC 7766 §6.2.1.1 pipelining), and exact
 * control over what is sent.
 */
public final class RawDns {
  private final InetSocketAddress server;

  private RawDns(int port) {
    this.server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
  }

  /** Returns a client for 127.0.0.1:{@code port}. */
  public static RawDns at(int port) {
    return new RawDns(port);
  }

  /** Sends one datagram and returns the first datagram that comes back within {@code wait}. */
  public Optional<byte[]> udpExchange(byte[] datagram, Duration wait) throws IOException {
    try (DatagramSocket socket =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      socket.setSoTimeout((int) wait.toMillis());
      socket.send(new DatagramPacket(datagram, datagram.length, server));
      byte[] buffer = new byte[65535];
      DatagramPacket reply = new DatagramPacket(buffer, buffer.length);
      try {
        socket.receive(reply);
      } catch (SocketTimeoutException silence) {
        return Optional.empty();
      }
      return Optional.of(Arrays.copyOf(reply.getData(), reply.getLength()));
    }
  }

  /** Sends {@code query} over UDP and parses the reply; fails if none came within 3 s. */
  public Message udpQuery(Message query) throws IOException {
    byte[] reply =
        udpExchange(query.toWire(), Duration.ofSeconds(3))
            .orElseThrow(() -> new AssertionError("no UDP reply to " + query.getQuestion()));
    return new Message(reply);
  }

  /**
   * Writes every query on one new TCP connection in a single write, then reads as many
   * length-prefixed replies (in whatever order the server sends them), within {@code timeout}.
   */
  public List<Message> tcpPipeline(List<Message> queries, Duration timeout) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (Message query : queries) {
      byte[] wire = query.toWire();
      all.write(wire.length >> 8);
      all.write(wire.length & 0xFF);
      all.write(wire);
    }
    try (Socket socket = connect(timeout)) {
      socket.getOutputStream().write(all.toByteArray());
      socket.getOutputStream().flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      List<Message> replies = new ArrayList<>();
      for (int i = 0; i < queries.size(); i++) {
        int length = in.readUnsignedShort();
        byte[] wire = new byte[length];
        in.readFully(wire);
        replies.add(new Message(wire));
      }
      return replies;
    }
  }

  /** Opens a TCP connection to the server; the caller closes it. */
  public Socket connect(Duration readTimeout) throws IOException {
    Socket socket = new Socket();
    socket.connect(server, 3000);
    socket.setSoTimeout((int) readTimeout.toMillis());
    return socket;
  }

  /** Writes raw bytes on a new TCP connection and closes it at once. */
  public void tcpSendAndClose(byte[] bytes) throws IOException {
    try (Socket socket = connect(Duration.ofSeconds(3))) {
      OutputStream out = socket.getOutputStream();
      out.write(bytes);
      out.flush();
    }
  }

  /**
   * Reads from an open connection until the server closes it; returns how long that took, or empty
   * if it was still open after {@code wait}.
   */
  public static Optional<Duration> awaitServerClose(Socket socket, Duration wait)
      throws IOException {
    long start = System.nanoTime();
    socket.setSoTimeout((int) wait.toMillis());
    InputStream in = socket.getInputStream();
    try {
      while (in.read() >= 0) {
        // Discard anything the server sends before it closes.
      }
    } catch (SocketTimeoutException stillOpen) {
      return Optional.empty();
    } catch (IOException reset) {
      // A reset is a close too.
    }
    return Optional.of(Duration.ofNanos(System.nanoTime() - start));
  }

  /** Returns the 16-bit message ID of a raw DNS message. */
  public static int id(byte[] message) {
    return ((message[0] & 0xFF) << 8) | (message[1] & 0xFF);
  }

  /** Returns whether the QR bit (a response) is set. */
  public static boolean isResponse(byte[] message) {
    return (message[2] & 0x80) != 0;
  }

  /** Returns the 4-bit RCODE of the header (RFC 1035 §4.1.1). */
  public static int rcode(byte[] message) {
    return message[3] & 0x0F;
  }

  /** Returns a 12-byte DNS header: this ID, RD set, and these section counts (RFC 1035 §4.1.1). */
  public static byte[] header(int id, int qdcount, int ancount, int nscount, int arcount) {
    return new byte[] {
      (byte) (id >> 8),
      (byte) id,
      0x01,
      0x00, // QR=0 opcode QUERY, RD=1
      (byte) (qdcount >> 8),
      (byte) qdcount,
      (byte) (ancount >> 8),
      (byte) ancount,
      (byte) (nscount >> 8),
      (byte) nscount,
      (byte) (arcount >> 8),
      (byte) arcount
    };
  }
}
