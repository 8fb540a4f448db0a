package dev.allowdns.testing.netns;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.TempDirs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** What the end-to-end test classes share: curl in the sandbox, awaiting a record, tearing down. */
public final class EndToEnd {
  /** Records kept in the failsafe report at the end of a class: a flood's 10,000 would bury it. */
  private static final int REPORTED_RECORDS = 300;

  private EndToEnd() {}

  /** Runs {@code curl -sS -m 10 ARGS} in the sandbox namespace. */
  public static Output curl(SandboxTopology topology, Duration timeout, String... args) {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "-m", "10"));
    command.addAll(List.of(args));
    return topology.sandbox().run(timeout, Map.of(), command);
  }

  /** Returns the first connection record {@code wanted} accepts, or fails showing every record. */
  public static JsonNode awaitConnection(
      AllowdnsInNamespace allowdns, Predicate<JsonNode> wanted, Duration wait) throws InterruptedException {
    JsonLinesLog log = allowdns.connections();
    return log.await(wanted, wait).orElseGet(() -> fail("no matching connection record\n" + log.describe()));
  }

  /**
   * Ends a test class: the namespaces with every program in them, then what allowdns said and
   * recorded (kept in the failsafe report, for any failure above), then the directory.
   */
  public static void tearDown(SandboxTopology topology, AllowdnsInNamespace allowdns, Path dir) {
    try {
      if (topology != null) {
        topology.close();
      }
    } finally {
      if (allowdns != null) {
        System.out.println("allowdns output:\n" + allowdns.describe());
        System.out.println(allowdns.connections().describe(REPORTED_RECORDS));
      }
      TempDirs.deleteQuietly(dir);
    }
  }
}
