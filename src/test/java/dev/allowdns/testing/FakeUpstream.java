package dev.allowdns.testing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * A scriptable DNS server inside the test, on 127.0.0.1 (UDP, and TCP on the same port): for each
 * query it sends whatever the test's {@link Responder} returns — nothing, a spoofed reply before
 * the real one, an oversized answer — and it records every query it received, so a test can assert
 * what reached (or never reached) the upstream.
 */
public final class FakeUpstream implements AutoCloseable {
  /**
   * Decides what to send back for one query (over the transport it came on); the replies go out in
   * order, back to back.
   */
  @FunctionalInterface
  public interface Responder {
    List<Message> respond(ReceivedQuery query);
  }

  /** One query as it arrived, and from where. */
  public record ReceivedQuery(Message message, boolean overTcp, SocketAddress source) {
    /** Returns the query's one question. */
    public Record question() {
      return message.getQuestion();
    }

    public String name() {
      return message.getQuestion().getName().toString(true).toLowerCase(Locale.ROOT);
    }

    public int type() {
      return message.getQuestion().getType();
    }
  }

  private final DatagramSocket udp;
  private final DatagramSocket otherPort;
  private final ServerSocket tcp;
  private final List<ReceivedQuery> received = new CopyOnWriteArrayList<>();
  private final List<byte[]> unparseable = new CopyOnWriteArrayList<>();
  private volatile Responder responder;
  private volatile boolean closed;

  private FakeUpstream(DatagramSocket udp, ServerSocket tcp, Responder responder)
      throws SocketException {
    this.udp = udp;
    this.otherPort = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    this.tcp = tcp;
    this.responder = responder;
    daemon(this::serveUdp, "fake-upstream-udp-" + port());
    daemon(this::acceptTcp, "fake-upstream-tcp-" + port());
  }

  /** Starts on a free loopback port with this behaviour. */
  public static FakeUpstream start(Responder responder) {
    for (int attempt = 0; attempt < 5; attempt++) {
      int port = FreePorts.udpAndTcp();
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
      DatagramSocket udp = null;
      ServerSocket tcp = null;
      try {
        udp = new DatagramSocket(address);
        tcp = new ServerSocket();
        tcp.bind(address);
        return new FakeUpstream(udp, tcp, responder);
      } catch (IOException taken) {
        if (udp != null) {
          udp.close();
        }
        closeQuietly(tcp);
      }
    }
    throw new IllegalStateException("no free loopback port for the fake upstream");
  }

  /**
   * Sends {@code message} over UDP to {@code destination} from another port of 127.0.0.1 than the
   * one the query went to: an off-path spoofer that guessed ID and question but not the port.
   */
  public void sendFromOtherPort(Message message, SocketAddress destination) {
    byte[] wire = message.toWire(65535);
    try {
      otherPort.send(new DatagramPacket(wire, wire.length, destination));
    } catch (IOException e) {
      throw new IllegalStateException("cannot send from " + otherPort.getLocalSocketAddress(), e);
    }
  }

  /** Replaces the behaviour for the queries that follow. */
  public void respondWith(Responder responder) {
    this.responder = responder;
  }

  public int port() {
    return udp.getLocalPort();
  }

  /** Returns {@code 127.0.0.1:PORT}, the form allowdns's {@code --upstream} takes. */
  public String address() {
    return "127.0.0.1:" + port();
  }

  /** Returns every query received so far, oldest first. */
  public List<ReceivedQuery> queries() {
    return List.copyOf(received);
  }

  /** Returns how many queries for {@code name} arrived (any type, case and final dot ignored). */
  public long queriesFor(String name) {
    String wanted = name.toLowerCase(Locale.ROOT).replaceFirst("\\.$", "");
    return received.stream().filter(query -> query.name().equals(wanted)).count();
  }

  /** Returns the queries received, one per line ({@code name TYPE udp|tcp}), for messages. */
  public String describeQueries() {
    StringBuilder text = new StringBuilder("queries received by " + this + ":");
    for (ReceivedQuery query : received) {
      text.append("\n  ")
          .append(query.name())
          .append(' ')
          .append(org.xbill.DNS.Type.string(query.type()))
          .append(query.overTcp() ? " tcp" : " udp");
    }
    return text.toString();
  }

  /** Returns how many datagrams or TCP messages could not be parsed as DNS. */
  public int unparseableCount() {
    return unparseable.size();
  }

  /** Forgets the queries received so far. */
  public void clear() {
    received.clear();
    unparseable.clear();
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    otherPort.close();
    closeQuietly(tcp);
  }

  /**
   * Returns a reply to {@code query}: same ID and question, QR and RA set, RD copied, with this
   * rcode and these answer records.
   */
  public static Message reply(Message query, int rcode, Record... answers) {
    Message reply = new Message(query.getHeader().getID());
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setFlag(Flags.RA);
    if (query.getHeader().getFlag(Flags.RD)) {
      reply.getHeader().setFlag(Flags.RD);
    }
    reply.getHeader().setRcode(rcode);
    reply.addRecord(query.getQuestion(), Section.QUESTION);
    for (Record answer : answers) {
      reply.addRecord(answer, Section.ANSWER);
    }
    return reply;
  }

  /** Returns a copy of {@code message} whose question asks for {@code type} instead. */
  public static Message withQuestionType(Message message, int type) {
    Message copy = message.clone();
    Record question = copy.getQuestion();
    copy.removeAllRecords(Section.QUESTION);
    copy.addRecord(
        Record.newRecord(question.getName(), type, question.getDClass()), Section.QUESTION);
    return copy;
  }

  /** Returns a NOERROR reply to {@code query} with these answers. */
  public static Message answer(Message query, Record... answers) {
    return reply(query, Rcode.NOERROR, answers);
  }

  /** Returns a copy of {@code message} with another ID: what an off-path spoofer would send. */
  public static Message withId(Message message, int id) {
    Message copy = message.clone();
    copy.getHeader().setID(id & 0xFFFF);
    return copy;
  }

  /** Returns a copy of {@code message} whose question names {@code name} instead. */
  public static Message withQuestionName(Message message, Name name) {
    Message copy = message.clone();
    Record question = copy.getQuestion();
    copy.removeAllRecords(Section.QUESTION);
    copy.addRecord(
        Record.newRecord(name, question.getType(), question.getDClass()), Section.QUESTION);
    return copy;
  }

  private void serveUdp() {
    byte[] buffer = new byte[65535];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        udp.receive(packet);
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      byte[] wire = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
      for (byte[] reply : handle(wire, false, packet.getSocketAddress())) {
        try {
          udp.send(new DatagramPacket(reply, reply.length, packet.getSocketAddress()));
        } catch (IOException e) {
          // The client went away; nothing to do.
        }
      }
    }
  }

  private void acceptTcp() {
    while (!closed) {
      try {
        Socket connection = tcp.accept();
        daemon(() -> serveTcp(connection), "fake-upstream-tcp-conn");
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  private void serveTcp(Socket connection) {
    try (connection) {
      connection.setSoTimeout(10_000);
      DataInputStream in = new DataInputStream(connection.getInputStream());
      DataOutputStream out = new DataOutputStream(connection.getOutputStream());
      while (!closed) {
        int length;
        try {
          length = in.readUnsignedShort();
        } catch (EOFException end) {
          return;
        }
        byte[] wire = new byte[length];
        in.readFully(wire);
        for (byte[] reply : handle(wire, true, connection.getRemoteSocketAddress())) {
          out.writeShort(reply.length);
          out.write(reply);
        }
        out.flush();
      }
    } catch (SocketException | EOFException gone) {
      // Peer closed or reset.
    } catch (IOException e) {
      // A fake server has nobody to report to; the test sees the missing answer.
    }
  }

  private List<byte[]> handle(byte[] wire, boolean overTcp, SocketAddress source) {
    Message query;
    try {
      query = new Message(wire);
    } catch (IOException e) {
      unparseable.add(wire);
      return List.of();
    }
    if (query.getQuestion() == null) {
      unparseable.add(wire);
      return List.of();
    }
    ReceivedQuery received = new ReceivedQuery(query, overTcp, source);
    this.received.add(received);
    List<byte[]> replies = new ArrayList<>();
    for (Message reply : responder.respond(received)) {
      replies.add(reply.toWire(65535));
    }
    return replies;
  }

  private static void closeQuietly(ServerSocket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Nothing was served on it.
      }
    }
  }

  private static void daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public String toString() {
    return "fake upstream " + address();
  }
}
