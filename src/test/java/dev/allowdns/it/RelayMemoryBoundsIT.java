package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.TempDirs;
import dev.allowdns.testing.netns.JsonLinesLog;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The relay's growable structures driven past their bounds, with the server run through the
 * shipped launcher: TLS ClientHello peeks (32 KiB each), HTTP head peeks (16 KiB each; both refused
 * past their bound), both held
 * by 1,000 connections at once through the explicit proxy's tunnels, and UDP flows (the sink
 * tracks 10,000; 20,000 are sent). The resident set stays under the README's ceiling.
 *
 * <p>Needs root: the UDP sink's socket is {@code IP_TRANSPARENT}.
 */
@RequiresNetworkNamespaces(programs = {"python3"}, packages = {"python3"})
class RelayMemoryBoundsIT {
  /** The README's ceiling for {@code serve} under the launcher's flags ("Memory and the launcher"). */
  private static final long RSS_CEILING_MIB = 520;
  private static final int TLS_PEEKS = 1_000;
  private static final int HTTP_PEEKS = 1_000;
  private static final int UDP_FLOWS = 20_000;
  private static final int MAX_FLOWS = 10_000;

  @Test
  void peeksAndUdpFlowsPastTheirBounds_theResidentSetStaysUnderTheCeiling() throws Exception {
    int proxyPort = FreePorts.udpAndTcp();
    int udpPort = FreePorts.udpAndTcp();
    Path dir = Files.createTempDirectory("allowdns-relay-mem-"); // the holder's working directory
    try (ChildProcess holder =
            ChildProcess.start(
                "holder", new ProcessBuilder("python3", "-c", DescriptorsIT.HOLDER).directory(dir.toFile()));
        AllowdnsProcess allowdns =
            AllowdnsProcess.builder()
                .throughLauncher()
                .zoneFile("hold.zone", "ip:127.0.0.0/8\n")
                .flag("--proxy-listen", "127.0.0.1:" + proxyPort)
                .flag("--udp-sink-listen", "127.0.0.1:" + udpPort)
                .flag("--relay-peek-timeout", "300s") // the peeks wait for the bytes, not the clock (a loaded CI host is slow)
                .start();
        MemoryBoundsIT.ResidentSet rss = MemoryBoundsIT.ResidentSet.sample(allowdns.pid())) {
      int destination =
          Integer.parseInt(
              holder.awaitStdoutLine(line -> line.matches("\\d+"), Duration.ofSeconds(10)).orElseThrow().strip());

      List<Socket> tls = tunnels(proxyPort, destination, TLS_PEEKS);
      List<Socket> http = tunnels(proxyPort, destination, HTTP_PEEKS);
      // A ClientHello that announces 16 MiB, sent as full records: 30 KiB each first, all held at once.
      byte[] record = new byte[5 + 16_384];
      record[0] = 0x16;
      record[1] = 0x03;
      record[2] = 0x01;
      record[3] = 0x40; // 16,384 bytes of record
      byte[] first = record.clone();
      first[5] = 0x01; // client_hello
      first[6] = (byte) 0xff; // of 16 MiB - 1
      first[7] = (byte) 0xff;
      first[8] = (byte) 0xff;
      for (Socket socket : tls) {
        socket.getOutputStream().write(first);
      }
      // A request head that never ends: 15 KiB each, all held at once.
      byte[] head = ("GET / HTTP/1.1\r\nX-Long: " + "a".repeat(15_000)).getBytes(StandardCharsets.US_ASCII);
      for (Socket socket : http) {
        socket.getOutputStream().write(head);
      }
      long held = rss.peakMiB();
      // Past both bounds: the second and third records, 5 KiB more of the head.
      byte[] more = "b".repeat(5_000).getBytes(StandardCharsets.US_ASCII);
      for (Socket socket : tls) {
        writeQuietly(socket, record);
        writeQuietly(socket, record);
      }
      for (Socket socket : http) {
        writeQuietly(socket, more);
      }

      sendUdpFlows(udpPort, UDP_FLOWS);
      String metrics = "";
      double tracked = 0;
      double untracked = 0;
      // The sink works off its socket buffer (some datagrams of the burst may overflow it).
      for (long deadline = System.nanoTime() + 20_000_000_000L; System.nanoTime() < deadline; sleepQuietly(200)) {
        metrics = DescriptorsIT.get(allowdns, "/metrics").body();
        tracked = DescriptorsIT.gauge(metrics, "allowdns_udp_flows_tracked");
        untracked = DescriptorsIT.gauge(metrics, "allowdns_udp_flows_untracked_total");
        if (tracked >= MAX_FLOWS && untracked > 0) {
          break;
        }
      }
      System.out.printf("RelayMemoryBoundsIT: UDP flows tracked %.0f, untracked %.0f%n", tracked, untracked);
      assertEquals(MAX_FLOWS, tracked, metrics);
      assertTrue(untracked > 0, metrics);

      JsonLinesLog log = new JsonLinesLog(allowdns.logDir().resolve("connections.jsonl"));
      List<JsonNode> refused =
          log.awaitCount(r -> "sni_not_allowed".equals(r.path("reason").asText()), TLS_PEEKS, Duration.ofSeconds(30));
      assertEquals(TLS_PEEKS, refused.size(), "every over-long ClientHello refused:\n" + log.describe());
      List<JsonNode> plain =
          log.awaitCount(
              r -> "host_not_allowed".equals(r.path("reason").asText())
                  && "no complete request head within 16384 bytes".equals(r.path("detail").asText()),
              HTTP_PEEKS, Duration.ofSeconds(30));
      assertEquals(HTTP_PEEKS, plain.size(), "every over-long head refused (a Host after it would go unread)");
      for (Socket socket : http) {
        socket.close();
      }
      for (Socket socket : tls) {
        socket.close();
      }

      long peak = rss.peakMiB();
      System.out.printf(
          "RelayMemoryBoundsIT: peak RSS %d MiB (%d MiB with every peek held; ceiling %d MiB)%n",
          peak, held, RSS_CEILING_MIB);
      assertTrue(peak < RSS_CEILING_MIB, () -> "peak RSS " + peak + " MiB, ceiling " + RSS_CEILING_MIB);
      assertEquals(200, DescriptorsIT.get(allowdns, "/healthz").statusCode());
      assertTrue(allowdns.isAlive(), allowdns::describe);
    } finally {
      TempDirs.deleteQuietly(dir);
    }
  }

  /** Opens {@code count} CONNECT tunnels to the holder; each is up (200) when this returns. */
  private static List<Socket> tunnels(int proxyPort, int destination, int count) throws IOException {
    byte[] connect =
        ("CONNECT 127.0.0.1:" + destination + " HTTP/1.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    List<Socket> sockets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Socket socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", proxyPort), 10_000);
      socket.getOutputStream().write(connect);
      sockets.add(socket);
    }
    for (Socket socket : sockets) {
      assertEquals("HTTP/1.1 200 Connection established", DescriptorsIT.statusLine(socket));
      while (!DescriptorsIT.statusLine(socket).equals("closed")) {
        // the 200's headers, up to the blank line ending its head (read as "closed": empty)
      }
    }
    return sockets;
  }

  /** Writes, unless the relay has reset the connection already (it refuses past the bound). */
  private static void writeQuietly(Socket socket, byte[] data) {
    try {
      OutputStream out = socket.getOutputStream();
      out.write(data);
    } catch (IOException refused) {
      // reset: the bound was reached before all of it was sent
    }
  }

  /** One datagram from each of {@code count} source ports: one flow each. */
  private static void sendUdpFlows(int port, int count) throws IOException {
    InetSocketAddress sink = new InetSocketAddress("127.0.0.1", port);
    byte[] payload = new byte[200];
    for (int i = 0; i < count; i++) {
      try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
        socket.send(new DatagramPacket(payload, payload.length, sink));
      }
      if (i % 500 == 499) {
        sleepQuietly(20); // paced, so that most of them fit the sink's socket buffer
      }
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
