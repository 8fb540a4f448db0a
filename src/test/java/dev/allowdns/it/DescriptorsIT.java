package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.TempDirs;
import dev.allowdns.testing.netns.JsonLinesLog;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * 10,000 concurrent connections through the explicit proxy (each a {@code CONNECT} tunnel: two
 * descriptors) with the server run through the shipped launcher, under this machine's hard
 * descriptor limit. The proxy relays what its descriptor budget holds and refuses the rest with
 * {@code 503} and {@code reason: "too_many_open"}; each connection has its record; the admin
 * API answers while every relay descriptor is in use; the process never reaches its limit.
 */
@RequiresPrograms("python3")
public class DescriptorsIT {
  private static final int CONNECTIONS = 10_000;
  /** The DNS-over-TCP bound the budget leaves room for ({@code DnsServer.MAX_TCP_CONNECTIONS}). */
  private static final int DNS_TCP = 1024;

  /**
   * Accepts and holds every connection until its peer closes, then closes it; prints its port.
   * Raises its own soft descriptor limit to the hard one first. Binds the address given as its
   * first argument ({@code python3 -c HOLDER ADDRESS}), else 127.0.0.1.
   */
  public static final String HOLDER =
      "import resource, selectors, socket, sys\n"
          + "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
          + "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
          + "address = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'\n"
          + "s = socket.socket(); s.bind((address, 0)); s.listen(4096); s.setblocking(False)\n"
          + "print(s.getsockname()[1], flush=True)\n"
          + "sel = selectors.DefaultSelector(); sel.register(s, selectors.EVENT_READ)\n"
          + "while True:\n"
          + "    for key, _ in sel.select():\n"
          + "        if key.fileobj is s:\n"
          + "            try:\n"
          + "                c, _ = s.accept(); c.setblocking(False); sel.register(c, selectors.EVENT_READ)\n"
          + "            except OSError:\n"
          + "                pass\n"
          + "        else:\n"
          + "            try:\n"
          + "                data = key.fileobj.recv(65536)\n"
          + "            except OSError:\n"
          + "                data = b''\n"
          + "            if not data:\n"
          + "                sel.unregister(key.fileobj); key.fileobj.close()\n";

  @Test
  void tenThousandConnections_relayWhatFits_refuseTheRest_eachRecorded_adminStillAnswers() throws Exception {
    int proxyPort = FreePorts.udpAndTcp();
    Path dir = Files.createTempDirectory("allowdns-fds-"); // the holder's working directory
    try (ChildProcess holder =
            ChildProcess.start("holder", new ProcessBuilder("python3", "-c", HOLDER).directory(dir.toFile()));
        AllowdnsProcess allowdns =
            AllowdnsProcess.builder()
                .throughLauncher()
                .zoneFile("hold.zone", "ip:127.0.0.0/8\n")
                .flag("--proxy-listen", "127.0.0.1:" + proxyPort)
                .flag("--relay-peek-timeout", "1s") // a tunnel's client sends nothing: decided without SNI
                .start()) {
      int destination =
          Integer.parseInt(
              holder.awaitStdoutLine(line -> line.matches("\\d+"), Duration.ofSeconds(10)).orElseThrow().strip());
      long limit = openFilesLimit(allowdns.pid());
      int capacity = (int) ((limit - Math.min(1024, limit / 8) - DNS_TCP) / 2);
      assertTrue(
          allowdns.readyLine().contains("descriptors " + limit + ": " + capacity + " relayed connections"),
          allowdns.readyLine());
      int fits = Math.min(CONNECTIONS, capacity);

      List<Socket> clients = new ArrayList<>(CONNECTIONS);
      try {
        byte[] connect =
            ("CONNECT 127.0.0.1:" + destination + " HTTP/1.1\r\nHost: 127.0.0.1:" + destination + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long started = System.nanoTime();
        for (int i = 0; i < CONNECTIONS; i++) {
          Socket socket = new Socket();
          socket.connect(new InetSocketAddress("127.0.0.1", proxyPort), 10_000);
          socket.getOutputStream().write(connect);
          clients.add(socket);
        }
        Map<String, Long> statuses =
            clients.stream().collect(Collectors.groupingBy(DescriptorsIT::statusLine, Collectors.counting()));
        System.out.printf(
            "DescriptorsIT: %d connections in %d ms, limit %d, capacity %d: %s%n",
            CONNECTIONS, (System.nanoTime() - started) / 1_000_000, limit, capacity, statuses);
        assertEquals(
            Map.of("HTTP/1.1 200 Connection established", (long) fits, "HTTP/1.1 503 Service Unavailable",
                (long) (CONNECTIONS - fits)),
            withoutZeros(statuses),
            "tunnels up to the capacity, 503 past it");

        // Every relay descriptor is in use: the admin API still answers, from the reserve.
        int fds = openDescriptors(allowdns.pid());
        System.out.printf("DescriptorsIT: %d descriptors open in allowdns (limit %d)%n", fds, limit);
        assertTrue(fds < limit - 256, "descriptors open " + fds + ", limit " + limit);
        assertEquals(200, get(allowdns, "/healthz").statusCode());
        String metrics = get(allowdns, "/metrics").body();
        assertEquals(capacity, gauge(metrics, "allowdns_relay_connection_capacity"), metrics);
        assertEquals(fits, gauge(metrics, "allowdns_relay_connections_held"), metrics);
        assertEquals(CONNECTIONS - fits, gauge(metrics, "allowdns_relay_refused_too_many_open_total"), metrics);
      } finally {
        for (Socket socket : clients) {
          socket.close();
        }
      }

      JsonLinesLog log = new JsonLinesLog(allowdns.logDir().resolve("connections.jsonl"));
      List<JsonNode> records = log.awaitCount(r -> true, CONNECTIONS, Duration.ofSeconds(60));
      assertEquals(CONNECTIONS, records.size(), "one record per connection");
      Map<String, Long> outcomes =
          records.stream()
              .collect(Collectors.groupingBy(r -> r.path("result").asText() + "/" + r.path("reason").asText(), Collectors.counting()));
      System.out.printf("DescriptorsIT: records %s%n", outcomes);
      assertEquals(
          withoutZeros(Map.of("allowed/null", (long) fits, "blocked/too_many_open", (long) (CONNECTIONS - fits))),
          outcomes);
      assertEquals(200, get(allowdns, "/healthz").statusCode());
      assertTrue(allowdns.isAlive(), allowdns::describe);
      assertTrue(!allowdns.stderr().contains("Too many open files"), allowdns.stderr());
    } finally {
      TempDirs.deleteQuietly(dir);
    }
  }

  public static Map<String, Long> withoutZeros(Map<String, Long> counts) {
    return counts.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
  }

  /** Reads the proxy's status line, or says how the connection ended instead. */
  static String statusLine(Socket socket) {
    try {
      socket.setSoTimeout(30_000);
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int b; (b = in.read()) >= 0 && b != '\n'; ) {
        if (b != '\r') {
          line.append((char) b);
        }
      }
      return line.length() == 0 ? "closed" : line.toString();
    } catch (IOException e) {
      return e.getClass().getSimpleName();
    }
  }

  /** The soft "Max open files" of a process, from {@code /proc/PID/limits}. */
  public static long openFilesLimit(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
      if (line.startsWith("Max open files")) {
        return Long.parseLong(line.substring("Max open files".length()).trim().split("\\s+")[0]);
      }
    }
    throw new AssertionError("no Max open files in /proc/" + pid + "/limits");
  }

  public static int openDescriptors(long pid) throws IOException {
    try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    }
  }

  static HttpResponse<String> get(AllowdnsProcess allowdns, String path)
      throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://" + allowdns.adminAddress() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  public static double gauge(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(metrics);
    assertTrue(m.find(), () -> "no " + name + " in:\n" + metrics);
    return Double.parseDouble(m.group(2));
  }
}
