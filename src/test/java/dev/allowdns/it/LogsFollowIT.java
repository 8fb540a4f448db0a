package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.Dig;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.RequiresPrograms;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code allowdns logs follow} against a live server, as a person runs it in a second terminal, and
 * {@code logs blocked} over the files that server wrote. Only blocked names are asked, so no
 * upstream is needed (the one given is a closed loopback port).
 */
@RequiresPrograms({"dig"})
class LogsFollowIT {
  private static final String CONFIG =
      """
      sandboxes:
        - cidr: 127.0.0.2/32
          id: vm-follow
          policy: default
      """;
  private static final Pattern ADMIN_ADDRESS = Pattern.compile("; admin (\\S+);");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static AllowdnsProcess server;
  private static String admin;

  @BeforeAll
  static void start() {
    server = startServer();
    admin = adminAddress(server);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static AllowdnsProcess startServer() {
    return AllowdnsProcess.builder()
        .zonesFromResource("/it/zones")
        .upstream("127.0.0.1:" + FreePorts.udpAndTcp())
        .config(CONFIG)
        .start();
  }

  private static String adminAddress(AllowdnsProcess process) {
    Matcher m = ADMIN_ADDRESS.matcher(process.readyLine());
    assertTrue(m.find(), () -> "the ready line names the admin address: " + process.readyLine());
    return m.group(1);
  }

  @Test
  void follow_printsOneLineForAQueryMadeWhileItRuns() {
    try (Follow follow = Follow.start("--admin", admin)) {
      follow.awaitConnected();

      assertBlocked(Dig.at(server.port()).query("follow-human.it.test", "A"), "default");

      String line = follow.awaitLine(l -> l.contains("follow-human.it.test"));
      // time, sandbox, result, then the name, its type and the reason
      assertTrue(
          line.matches(
              "\\d{4}-\\d\\d-\\d\\dT\\S+Z loopback blocked dns follow-human\\.it\\.test A NXDOMAIN"
                  + " \\(not_allowed\\)"),
          line);
    }
  }

  @Test
  void follow_json_printsTheRecordAsWritten_onlyForTheSandboxAsked() throws Exception {
    try (Follow follow = Follow.start("--admin", admin, "--json", "--sandbox", "vm-follow")) {
      follow.awaitConnected();

      assertBlocked(Dig.at(server.port()).query("other-sandbox.it.test", "A"), "default");
      assertBlocked(
          Dig.at(server.port()).query("this-sandbox.it.test", "A", "-b", "127.0.0.2"), "default");

      String line = follow.awaitLine(l -> l.contains("this-sandbox.it.test"));
      JsonNode record = JSON.readTree(line);
      assertEquals("this-sandbox.it.test", record.path("name").asText(), line);
      assertEquals("vm-follow", record.path("sandbox").asText(), line);
      assertEquals("blocked", record.path("result").asText(), line);
      // The other record was written first, so it would have come first: it was filtered out.
      assertEquals(List.of(line), follow.stdoutLines(), "only the sandbox's record");
    }
  }

  @Test
  void follow_ctrlC_endsWithExit0() throws Exception {
    try (Follow follow = Follow.start("--admin", admin)) {
      follow.awaitConnected();

      follow.signal("INT");

      assertEquals(Optional.of(0), follow.awaitExit(WAIT), follow::describe);
    }
  }

  @Test
  void follow_serverGoesAway_endsWithExit0AndSaysSo() throws Exception {
    AllowdnsProcess shortLived = startServer();
    try (Follow follow = Follow.start("--admin", adminAddress(shortLived))) {
      follow.awaitConnected();

      shortLived.close();

      assertEquals(Optional.of(0), follow.awaitExit(WAIT), follow::describe);
      assertTrue(follow.stderr().contains("ended the stream"), follow::describe);
    } finally {
      shortLived.close();
    }
  }

  @Test
  void follow_noServer_exits2NamingTheAddress() {
    String nobody = "127.0.0.1:" + FreePorts.udpAndTcp();

    CommandResult result = AllowdnsCli.run(dir, "logs", "follow", "--admin", nobody);

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains(nobody), result::describe);
  }

  @Test
  void blocked_overTheServersOwnFiles_countsEachRefusedName() {
    Dig dig = Dig.at(server.port());
    for (int i = 0; i < 3; i++) {
      assertBlocked(dig.query("thrice.it.test", "A"), "default");
    }
    assertBlocked(dig.query("once.it.test", "AAAA"), "default");
    server.queryLog().awaitFor("thrice.it.test", 3);
    server.queryLog().awaitFor("once.it.test", 1);

    CommandResult result =
        AllowdnsCli.run(
            dir,
            "logs",
            "blocked",
            "--log-dir",
            server.logDir().toString(),
            "--since",
            "1h",
            "--limit",
            "0");

    assertEquals(0, result.exitCode(), result::describe);
    List<List<String>> rows =
        result.stdout().lines().map(l -> List.of(l.trim().split("\\s+"))).toList();
    assertEquals(
        List.of("COUNT", "LAST_SEEN", "KIND", "TARGET", "REASON"), rows.get(0), result::describe);
    List<String> thrice =
        rows.stream().filter(r -> r.contains("thrice.it.test")).findFirst().orElseThrow();
    List<String> once =
        rows.stream().filter(r -> r.contains("once.it.test")).findFirst().orElseThrow();
    assertEquals(
        List.of("3", "query", "thrice.it.test", "not_allowed"),
        List.of(thrice.get(0), thrice.get(2), thrice.get(3), thrice.get(4)),
        result::describe);
    assertEquals("1", once.get(0), result::describe);
    assertTrue(rows.indexOf(thrice) < rows.indexOf(once), result::describe);
    assertEquals("", result.stderr(), result::describe);
  }

  /** A running {@code allowdns logs follow}: its output collected, ended by its own PID. */
  private static final class Follow implements AutoCloseable {
    private final Process process;
    private final List<String> stdout = new ArrayList<>();
    private final StringBuilder stderr = new StringBuilder();

    private Follow(Process process) {
      this.process = process;
      ChildProcess.pump(
          process.getInputStream(),
          line -> {
            synchronized (stdout) {
              stdout.add(line);
            }
          },
          "follow-stdout");
      ChildProcess.pump(
          process.getErrorStream(),
          line -> {
            synchronized (stderr) {
              stderr.append(line).append('\n');
            }
          },
          "follow-stderr");
    }

    static Follow start(String... args) {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar"));
      command.add(AllowdnsCli.jar().toString());
      command.addAll(List.of("logs", "follow"));
      command.addAll(List.of(args));
      try {
        return new Follow(
            new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start());
      } catch (IOException e) {
        throw new IllegalStateException("cannot start " + command, e);
      }
    }

    List<String> stdoutLines() {
      synchronized (stdout) {
        return List.copyOf(stdout);
      }
    }

    String stderr() {
      synchronized (stderr) {
        return stderr.toString();
      }
    }

    String describe() {
      return "logs follow (pid "
          + process.pid()
          + (process.isAlive() ? ", running" : ", exit " + process.exitValue())
          + ")\n--- stdout ---\n"
          + String.join("\n", stdoutLines())
          + "\n--- stderr ---\n"
          + stderr();
    }

    /** Waits for the line that says the stream is open. */
    void awaitConnected() {
      await(() -> stderr().contains("following "), "the 'following' line");
    }

    String awaitLine(Predicate<String> wanted) {
      await(() -> stdoutLines().stream().anyMatch(wanted), "a matching stdout line");
      return stdoutLines().stream().filter(wanted).findFirst().orElseThrow();
    }

    private void await(java.util.function.BooleanSupplier done, String what) {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!done.getAsBoolean()) {
        if (System.nanoTime() > deadline || !process.isAlive() && !done.getAsBoolean()) {
          throw new AssertionError("waited for " + what + ":\n" + describe());
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }

    void signal(String signal) throws Exception {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
      assertTrue(kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal);
    }

    Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
          ? Optional.of(process.exitValue())
          : Optional.empty();
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
