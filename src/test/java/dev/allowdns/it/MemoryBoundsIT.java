package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.DigResult;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.UpstreamDns;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The resolver's growable structures driven past their bounds, with the server run through the
 * shipped launcher: the answer cache ({@code --cache-size} 100,000), the ledger (250,000 sandbox
 * and address pairs), the first-seen pairs (100,000), DNS-over-TCP connections (1,024, 64 per
 * client, each holding a partial frame) and a flood of malformed datagrams. The resident set,
 * sampled throughout, stays under the ceiling the README states, and the server still answers.
 */
@RequiresPrograms({"knotd", "dnsperf", "dig"})
class MemoryBoundsIT {
  /** The README's ceiling for {@code serve} under the launcher's flags ("Memory"). */
  private static final long RSS_CEILING_MIB = 520;

  /** Names, each with three addresses: past the cache (100,000) and the ledger (250,000). */
  private static final int NAMES = 110_000;

  private static final int ADDRESSES_PER_NAME = 3;

  @Test
  void everyBoundHolds_andTheResidentSetStaysUnderTheCeiling() throws Exception {
    try (UpstreamDns upstream = UpstreamDns.builder().zone("mem.test", zoneText()).start();
        AllowdnsProcess allowdns =
            AllowdnsProcess.builder()
                .throughLauncher()
                .zoneFile("mem.zone", "@allow-private\n**.mem.test\n")
                .upstream(upstream.address())
                .flag("--relay-listen", "127.0.0.1:0") // the ledger lives only beside a relay
                .flag("--tcp-idle-timeout", "5m") // held connections stay until the test closes them
                .warmUp("n0.mem.test")
                .start();
        ResidentSet rss = ResidentSet.sample(allowdns.pid())) {
      String report = resolveEveryName(allowdns.port());
      assertTrue(number(report, "Queries completed:\\s+(\\d+)") >= NAMES * 99L / 100, report);

      String metrics = metrics(allowdns);
      assertTrue(gauge(metrics, "cache_size\\{cache=\"allowdns_dns_cache\"[^}]*\\}") <= 100_000, metrics);
      double ledger = gauge(metrics, "allowdns_ledger_addresses(\\{[^}]*\\})?");
      assertTrue(ledger <= 250_000 && ledger > 200_000, () -> "ledger: " + ledger);

      long started = System.nanoTime();
      int admitted = holdTcpConnections(allowdns.port(), 20, 70);
      System.out.printf("MemoryBoundsIT: 1,400 TCP connections in %d ms%n", (System.nanoTime() - started) / 1_000_000);
      assertEquals(1024, admitted, "DNS-over-TCP connections admitted past the bounds");
      String afterTcp = metrics(allowdns);
      // Which bound refuses a connection near the total depends on how the two event loops
      // interleave; together they refuse every connection past the 1,024.
      double perClient = gauge(afterTcp, "allowdns_dns_tcp_connections_refused_total\\{bound=\"per_client\"[^}]*\\}");
      double total = gauge(afterTcp, "allowdns_dns_tcp_connections_refused_total\\{bound=\"total\"[^}]*\\}");
      assertEquals(20 * 70 - 1024, perClient + total, afterTcp);
      assertTrue(perClient > 0 && total > 0, afterTcp);

      sendMalformedDatagrams(allowdns.port(), 100_000);

      // Still answering once the flood queued in its socket buffer is worked off (a few seconds).
      assertTrue(answersWithin(allowdns.port(), "n1.mem.test", Duration.ofSeconds(20)), allowdns::describe);
      long peak = rss.peakMiB();
      System.out.printf("MemoryBoundsIT: peak RSS %d MiB (ceiling %d MiB)%n", peak, RSS_CEILING_MIB);
      assertTrue(peak < RSS_CEILING_MIB, () -> "peak RSS " + peak + " MiB, ceiling " + RSS_CEILING_MIB);
      assertTrue(allowdns.isAlive(), allowdns::describe);
    }
  }

  /** {@code nK.mem.test} with three addresses each, all different: one ledger pair per address. */
  private static String zoneText() {
    StringBuilder zone = new StringBuilder(NAMES * 80);
    zone.append("$TTL 3600\n@ SOA ns.mem.test. h.mem.test. 1 3600 600 86400 60\n@ NS ns\nns A 10.0.0.1\n");
    int address = 0;
    for (int n = 0; n < NAMES; n++) {
      for (int i = 0; i < ADDRESSES_PER_NAME; i++, address++) {
        zone.append('n').append(n).append(" A 10.").append((address >> 16) & 0xff).append('.')
            .append((address >> 8) & 0xff).append('.').append(address & 0xff).append('\n');
      }
    }
    return zone.toString();
  }

  /** Every name once, with dnsperf: bounded by count (each name once) and by time (120 s). */
  private static String resolveEveryName(int port) throws IOException, InterruptedException {
    Path queries = Files.createTempFile("allowdns-mem", ".txt");
    try {
      StringBuilder lines = new StringBuilder(NAMES * 20);
      for (int n = 0; n < NAMES; n++) {
        lines.append('n').append(n).append(".mem.test A\n");
      }
      Files.writeString(queries, lines);
      Process dnsperf =
          new ProcessBuilder(
                  "dnsperf", "-s", "127.0.0.1", "-p", Integer.toString(port), "-d", queries.toString(),
                  "-n", "1", "-l", "120", "-q", "100", "-t", "5")
              .redirectErrorStream(true)
              .start();
      assertTrue(dnsperf.waitFor(150, TimeUnit.SECONDS), "dnsperf did not finish");
      return new String(dnsperf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(queries);
    }
  }

  /**
   * Opens {@code perClient} connections from each of {@code clients} loopback addresses, each with
   * a partial frame sent (the length of a 60 KiB query and 1,000 of its bytes), and returns how
   * many the server kept open; the others it must close at once.
   */
  private static int holdTcpConnections(int port, int clients, int perClient) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    byte[] partial = new byte[1_002];
    partial[0] = (byte) 0xf0; // 61,440 bytes announced
    partial[1] = (byte) 0x00;
    try {
      for (int c = 0; c < clients; c++) {
        InetAddress source = InetAddress.getByName("127.0.3." + (c + 1));
        for (int i = 0; i < perClient; i++) {
          Socket socket = new Socket();
          socket.bind(new InetSocketAddress(source, 0));
          socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
          socket.getOutputStream().write(partial);
          sockets.add(socket);
        }
      }
      sleep(500); // the server's closes of the last refused connections
      int open = 0;
      for (Socket socket : sockets) {
        open += stillOpen(socket) ? 1 : 0;
      }
      return open;
    } finally {
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  /** A refused connection is closed by the server at once: its read ends; an admitted one waits. */
  private static boolean stillOpen(Socket socket) throws IOException {
    socket.setSoTimeout(1);
    try {
      return socket.getInputStream().read() >= 0;
    } catch (SocketTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Random headers and bodies: mostly FORMERR, some dropped; bounded by count. */
  private static void sendMalformedDatagrams(int port, int count) throws IOException {
    Random random = new Random(13);
    InetSocketAddress server = new InetSocketAddress("127.0.0.1", port);
    try (DatagramSocket socket = new DatagramSocket()) {
      for (int i = 0; i < count; i++) {
        byte[] datagram = new byte[12 + random.nextInt(500)];
        random.nextBytes(datagram);
        datagram[2] &= 0x7f; // a query, not a response: it gets as far as the parser
        socket.send(new DatagramPacket(datagram, datagram.length, server));
        if (i % 64 == 0) {
          Thread.onSpinWait();
        }
      }
    }
  }

  private static boolean answersWithin(int port, String name, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      DigResult result = Dig.at(port).query(name, "A");
      if (result.answered() && "NOERROR".equals(result.status())) {
        return true;
      }
    }
    return false;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String metrics(AllowdnsProcess allowdns) throws IOException, InterruptedException {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + allowdns.adminAddress() + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private static double gauge(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(metrics);
    assertTrue(m.find(), () -> "no " + series + " in:\n" + metrics);
    return Double.parseDouble(m.group(m.groupCount()));
  }

  private static long number(String report, String regex) {
    Matcher m = Pattern.compile(regex).matcher(report);
    assertTrue(m.find(), "no " + regex + " in: " + report);
    return Long.parseLong(m.group(1));
  }

  /** Samples a process's VmRSS every 100 ms on a thread of its own, keeping the peak. */
  static final class ResidentSet implements AutoCloseable {
    private final AtomicLong peakKib = new AtomicLong();
    private final Thread sampler;

    private ResidentSet(long pid) {
      Path status = Path.of("/proc/" + pid + "/status");
      sampler =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  try {
                    for (String line : Files.readAllLines(status)) {
                      if (line.startsWith("VmRSS:")) {
                        long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                        peakKib.accumulateAndGet(kib, Math::max);
                      }
                    }
                    Thread.sleep(100);
                  } catch (IOException | InterruptedException e) {
                    return;
                  }
                }
              },
              "rss-sampler");
      sampler.setDaemon(true);
      sampler.start();
    }

    static ResidentSet sample(long pid) {
      return new ResidentSet(pid);
    }

    long peakMiB() {
      return peakKib.get() / 1024;
    }

    @Override
    public void close() {
      sampler.interrupt();
    }
  }
}
