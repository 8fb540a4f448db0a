package dev.allowdns.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real Knot DNS primary on 127.0.0.1 for fleet tests: serves zones to secondaries over AXFR and
 * IXFR (journal of changes, zone file loaded as a difference), TSIG-signed, and NOTIFYs every
 * secondary named. Zones change with {@link #replaceZone} and {@link #reload} ({@code knotc
 * zone-reload}). Runs unprivileged from its own temporary directory; ended by its PID only.
 */
public final class KnotPrimary implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final Path dir;
  private final int port;
  private final ChildProcess knotd;

  private KnotPrimary(Path dir, int port, ChildProcess knotd) {
    this.dir = dir;
    this.port = port;
    this.knotd = knotd;
  }

  /**
   * Starts knotd serving {@code zones} (origin → zone file text), signed with TSIG key {@code
   * keyName}/{@code secret} (hmac-sha256), notifying {@code secondaries} ({@code 127.0.0.1@PORT}).
   */
  public static KnotPrimary start(Map<String, String> zones, String keyName, String secret, List<Integer> secondaries)
      throws IOException, InterruptedException {
    return start(zones, java.util.Set.of(), keyName, secret, secondaries);
  }

  /**
   * Starts like {@link #start(Map, String, String, List)}; the zones of {@code silent} send no
   * NOTIFY, so secondaries see their changes only on the SOA refresh timer.
   */
  public static KnotPrimary start(
      Map<String, String> zones, java.util.Set<String> silent, String keyName, String secret, List<Integer> secondaries)
      throws IOException, InterruptedException {
    Path knotdBinary = Programs.require("knotd");
    Path dir = Files.createTempDirectory("allowdns-knot-primary-");
    Path run = Files.createDirectories(dir.resolve("run"));
    Path storage = Files.createDirectories(dir.resolve("storage"));
    int port = FreePorts.udpAndTcp();
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
            key:
              - id: %4$s
                algorithm: hmac-sha256
                secret: %5$s
            acl:
              - id: fleet
                address: 127.0.0.0/8
                key: %4$s
                action: transfer
            remote:
            """
                .formatted(run, port, storage, keyName, secret));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < secondaries.size(); i++) {
      ids.add("s" + i);
      conf.append("  - id: s%d\n    address: 127.0.0.1@%d\n    key: %s\n".formatted(i, secondaries.get(i), keyName));
    }
    conf.append(
        """
        template:
          - id: default
            storage: "%s"
            semantic-checks: off
            zonefile-sync: -1
            zonefile-load: difference
            journal-content: changes
            acl: fleet
            notify: [%2$s]
          - id: silent
            storage: "%1$s"
            semantic-checks: off
            zonefile-sync: -1
            zonefile-load: difference
            journal-content: changes
            acl: fleet
        zone:
        """
            .formatted(storage, String.join(", ", ids)));
    for (Map.Entry<String, String> zone : zones.entrySet()) {
      Files.writeString(storage.resolve(zone.getKey() + ".zone"), zone.getValue(), StandardCharsets.UTF_8);
      conf.append("  - domain: %s\n    file: \"%s.zone\"\n".formatted(zone.getKey(), zone.getKey()));
      if (silent.contains(zone.getKey())) {
        conf.append("    template: silent\n");
      }
    }
    Files.writeString(dir.resolve("knot.conf"), conf.toString(), StandardCharsets.UTF_8);
    ChildProcess knotd =
        ChildProcess.start(
            "knotd primary@" + port, List.of(knotdBinary.toString(), "-c", dir.resolve("knot.conf").toString()), dir);
    KnotPrimary primary = new KnotPrimary(dir, port, knotd);
    for (String origin : zones.keySet()) {
      primary.awaitSerial(origin, -1);
    }
    return primary;
  }

  /** Returns {@code 127.0.0.1:PORT}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  /** Writes a new text for zone {@code origin}; {@link #reload} makes knotd load it. */
  public void replaceZone(String origin, String text) throws IOException {
    Files.writeString(dir.resolve("storage").resolve(origin + ".zone"), text, StandardCharsets.UTF_8);
  }

  /** Runs {@code knotc zone-reload ORIGIN}; returns when knotc has, the reload may still run. */
  public void reload(String origin) throws IOException, InterruptedException {
    Path knotc = Programs.require("knotc");
    Process process =
        new ProcessBuilder(knotc.toString(), "-c", dir.resolve("knot.conf").toString(), "zone-reload", origin)
            .redirectErrorStream(true)
            .start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException("knotc zone-reload " + origin + " failed: " + output + "\n" + knotd.describe());
    }
  }

  /** Waits until knotd serves zone {@code origin} with a serial other than {@code notSerial}; returns it. */
  public long awaitSerial(String origin, long notSerial) throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!knotd.isAlive()) {
        throw new IllegalStateException("knotd exited:\n" + knotd.describe());
      }
      try {
        SimpleResolver resolver = new SimpleResolver("127.0.0.1");
        resolver.setPort(port);
        resolver.setTimeout(Duration.ofMillis(500));
        Message reply = resolver.send(Message.newQuery(Record.newRecord(Name.fromString(origin + "."), Type.SOA, 1)));
        if (reply.getRcode() == Rcode.NOERROR && !reply.getSection(1).isEmpty()) {
          long serial = ((org.xbill.DNS.SOARecord) reply.getSection(1).get(0)).getSerial();
          if (serial != notSerial) {
            return serial;
          }
        }
        last = "rcode " + Rcode.string(reply.getRcode());
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("knotd did not serve " + origin + " (serial != " + notSerial + "): " + last + "\n" + knotd.describe());
  }

  /** Returns knotd's log so far. */
  public String log() {
    return knotd.stderr();
  }

  /** Kills knotd: transfers and NOTIFYs stop. */
  public void stop() {
    knotd.terminate();
  }

  @Override
  public void close() {
    knotd.terminate();
    knotd.close();
    TempDirs.deleteQuietly(dir);
  }
}
