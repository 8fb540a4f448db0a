package dev.allowdns.testing.netns;

import dev.allowdns.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real authoritative DNS server — Knot DNS ({@code knotd}) — inside a namespace, on port 53 of
 * the given addresses, serving one zone. Its configuration, zone file and run directory live in
 * a directory of the test's; it is ended by its own PID when its namespace is deleted.
 */
public final class AuthoritativeDns {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

  private final ChildProcess knotd;

  private AuthoritativeDns(ChildProcess knotd) {
    this.knotd = knotd;
  }

  /**
   * Starts knotd in {@code namespace} on {@code addresses} (port 53) serving {@code origin} from
   * {@code masterFileText} (RFC 1035 §5, with its SOA), and waits until the first address answers
   * the zone's SOA.
   */
  public static AuthoritativeDns start(
      Namespace namespace, Path dir, List<String> addresses, String origin, String masterFileText)
      throws IOException, InterruptedException {
    Path run = Files.createDirectories(dir.resolve("run"));
    Path storage = Files.createDirectories(dir.resolve("storage"));
    Files.writeString(storage.resolve(origin + ".zone"), masterFileText, StandardCharsets.UTF_8);
    StringBuilder conf = new StringBuilder();
    conf.append("server:\n  rundir: \"").append(run).append("\"\n  listen: [");
    conf.append(String.join(", ", addresses.stream().map(a -> a + "@53").toList()));
    conf.append("]\n")
        // Two cores on the test machines: keep knotd small.
        .append("  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n")
        .append("database:\n  storage: \"").append(storage).append("\"\n")
        .append("log:\n  - target: stderr\n    any: info\n")
        .append("template:\n  - id: default\n    storage: \"").append(storage).append("\"\n")
        .append("    semantic-checks: off\n    zonefile-sync: -1\n    journal-content: none\n")
        .append("zone:\n  - domain: ").append(origin).append("\n    file: \"")
        .append(origin).append(".zone\"\n");
    Path config = dir.resolve("knot.conf");
    Files.writeString(config, conf.toString(), StandardCharsets.UTF_8);
    ChildProcess knotd =
        namespace.start("knotd", dir, Map.of(), List.of("knotd", "-c", config.toString()));
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Output last;
    do {
      if (!knotd.isAlive()) {
        throw new IllegalStateException("knotd exited:\n" + knotd.describe());
      }
      last =
          namespace.run(
              Duration.ofSeconds(5),
              "dig", "+time=1", "+tries=1", "+short", "@" + addresses.get(0), origin, "SOA");
      if (last.succeeded() && !last.stdout().isBlank()) {
        return new AuthoritativeDns(knotd);
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new IllegalStateException(
        "knotd did not serve " + origin + " within " + START_TIMEOUT + ":\n" + last.describe()
            + "\n" + knotd.describe());
  }

  /** Returns knotd's log so far. */
  public String log() {
    return knotd.stderr();
  }
}
