package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A {@link NetProbe} listening inside a namespace, and what has arrived at it so far. */
final class ProbeListener implements AutoCloseable {
  /** A datagram or connection that arrived: its token, {@code udp:PORT}/{@code tcp:PORT}, peer. */
  record Arrival(String token, String where, InetAddress from) {}

  private final Process process;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<Arrival> arrivals = new ArrayList<>();

  private ProbeListener(Process process) {
    this.process = process;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                  lines.add(line);
                }
              } catch (IOException e) {
                // the process ended
              }
            });
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts a listener on {@code ports} ({@code udp:1053}, {@code tcp:15001}...) in {@code ns}. */
  static ProbeListener start(NetworkNamespace ns, String... ports) throws InterruptedException {
    List<String> args = new ArrayList<>(List.of("listen"));
    args.addAll(List.of(ports));
    ProbeListener listener =
        new ProbeListener(ns.start(NetProbe.command(args.toArray(String[]::new))));
    String first = listener.lines.poll(30, TimeUnit.SECONDS);
    if (!"listening".equals(first)) {
      listener.close();
      assertEquals("listening", first, "listener in " + ns.name() + " did not start");
    }
    return listener;
  }

  /** Returns the arrival of {@code token}, waiting up to {@code timeout} for it. */
  Optional<Arrival> awaitArrival(String token, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<Arrival> arrival = arrived(token);
      long left = deadline - System.nanoTime();
      if (arrival.isPresent() || left <= 0) {
        return arrival;
      }
      String line = lines.poll(left, TimeUnit.NANOSECONDS);
      if (line != null) {
        arrivals.add(parse(line));
      }
    }
  }

  /** Returns the arrival of {@code token} among the lines printed so far. */
  Optional<Arrival> arrived(String token) {
    for (String line = lines.poll(); line != null; line = lines.poll()) {
      arrivals.add(parse(line));
    }
    return arrivals.stream().filter(arrival -> arrival.token().equals(token)).findFirst();
  }

  private static Arrival parse(String line) {
    String[] words = line.split(" ");
    if (words.length != 4 || !words[2].equals("from")) {
      throw new AssertionError("unexpected listener output: " + line);
    }
    try {
      return new Arrival(words[0], words[1], InetAddress.getByName(words[3]));
    } catch (UnknownHostException e) {
      throw new AssertionError("not an address in listener output: " + line, e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
