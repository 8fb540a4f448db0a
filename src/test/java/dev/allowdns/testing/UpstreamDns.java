package dev.allowdns.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real authoritative DNS server — Knot DNS ({@code knotd}) — on 127.0.0.1 and a free port,
 * serving zones the test writes. It runs unprivileged from its own temporary directory (rundir,
 * storage, zone files) and is ended by its own PID only.
 *
 * <p>{@link #stop()} kills it, so queries get ICMP port-unreachable; {@link #pause()} freezes it
 * (SIGSTOP), so queries go unanswered and time out, like an upstream lost on the network.
 */
public final class UpstreamDns implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
  private static final int START_ATTEMPTS = 3;

  private final Path dir;
  private final int port;
  private final ChildProcess knotd;
  private boolean paused;

  private UpstreamDns(Path dir, int port, ChildProcess knotd) {
    this.dir = dir;
    this.port = port;
    this.knotd = knotd;
  }

  /** Returns a builder; add zones, then {@link Builder#start()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** Collects the zones to serve. */
  public static final class Builder {
    private final Map<String, String> zones = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Adds a zone in master-file format (RFC 1035 §5). {@code origin} is the zone apex, e.g. {@code
     * it.test}; the text must contain its SOA.
     */
    public Builder zone(String origin, String masterFileText) {
      zones.put(stripDot(origin), masterFileText);
      return this;
    }

    /** Starts knotd and waits until it answers the SOA query of every zone. */
    public UpstreamDns start() {
      if (zones.isEmpty()) {
        throw new IllegalStateException("an upstream needs at least one zone");
      }
      Path knotdBinary = Programs.require("knotd");
      List<String> failures = new ArrayList<>();
      for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        Path dir = null;
        try {
          dir = Files.createTempDirectory("allowdns-knotd-");
          int port = FreePorts.udpAndTcp();
          writeConfig(dir, port);
          ChildProcess knotd =
              ChildProcess.start(
                  "knotd@" + port,
                  List.of(knotdBinary.toString(), "-c", dir.resolve("knot.conf").toString()),
                  dir);
          UpstreamDns upstream = new UpstreamDns(dir, port, knotd);
          String problem = upstream.awaitZones(zones.keySet());
          if (problem == null) {
            return upstream;
          }
          failures.add("attempt " + attempt + ": " + problem + "\n" + knotd.describe());
          upstream.close();
        } catch (IOException e) {
          failures.add("attempt " + attempt + ": " + e);
          TempDirs.deleteQuietly(dir);
        }
      }
      throw new IllegalStateException(
          "knotd did not start serving " + zones.keySet() + ":\n" + String.join("\n", failures));
    }

    private void writeConfig(Path dir, int port) throws IOException {
      Path run = Files.createDirectories(dir.resolve("run"));
      Path storage = Files.createDirectories(dir.resolve("storage"));
      // Two cores on the test machines: one worker of each kind is plenty.
      StringBuilder conf =
          new StringBuilder(
              """
              server:
                rundir: "%1$s"
                listen: 127.0.0.1@%2$d
                udp-workers: 1
                tcp-workers: 1
                background-workers: 1
              database:
                storage: "%3$s"
              log:
                - target: stderr
                  any: info
              template:
                - id: default
                  storage: "%3$s"
                  semantic-checks: off
                  zonefile-sync: -1
                  journal-content: none
              zone:
              """
                  .formatted(run, port, storage));
      for (Map.Entry<String, String> zone : zones.entrySet()) {
        String file = zone.getKey() + ".zone";
        Files.writeString(storage.resolve(file), zone.getValue(), StandardCharsets.UTF_8);
        conf.append("  - domain: %s\n    file: \"%s\"\n".formatted(zone.getKey(), file));
      }
      Files.writeString(dir.resolve("knot.conf"), conf.toString(), StandardCharsets.UTF_8);
    }
  }

  /** Returns the port knotd listens on (UDP and TCP) on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Returns {@code 127.0.0.1:PORT}, the form allowdns's {@code --upstream} takes. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Returns knotd's log so far (its stderr). */
  public String log() {
    return knotd.stderr();
  }

  /** Kills knotd: from now on its port refuses (ICMP port unreachable, TCP RST). */
  public void stop() {
    resume();
    knotd.terminate();
  }

  /** Freezes knotd (SIGSTOP): queries are accepted by the kernel but never answered. */
  public void pause() {
    knotd.signal("STOP");
    paused = true;
  }

  /** Undoes {@link #pause()}. */
  public void resume() {
    if (paused) {
      knotd.signal("CONT");
      paused = false;
    }
  }

  public boolean isRunning() {
    return knotd.isAlive();
  }

  @Override
  public void close() {
    stop();
    knotd.close();
    TempDirs.deleteQuietly(dir);
  }

  /** Returns null when every zone answers its SOA, else why not. */
  private String awaitZones(Iterable<String> origins) {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    for (String origin : origins) {
      String last = "no answer yet";
      while (true) {
        if (!knotd.isAlive()) {
          return "knotd exited while waiting for zone " + origin;
        }
        String problem = soaProblem(origin);
        if (problem == null) {
          break;
        }
        last = problem;
        if (System.nanoTime() > deadline) {
          return "zone " + origin + " not served within " + START_TIMEOUT + ": " + last;
        }
        sleep(Duration.ofMillis(50));
      }
    }
    return null;
  }

  private String soaProblem(String origin) {
    try {
      SimpleResolver resolver =
          new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      resolver.setTimeout(Duration.ofMillis(300));
      Name name = Name.fromString(origin + ".");
      Message reply = resolver.send(Message.newQuery(Record.newRecord(name, Type.SOA, 1)));
      if (reply.getRcode() != Rcode.NOERROR || reply.getSection(Section.ANSWER).isEmpty()) {
        return "SOA query got " + Rcode.string(reply.getRcode());
      }
      return null;
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String stripDot(String name) {
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }

  @Override
  public String toString() {
    return "knotd " + address();
  }
}
