package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped launcher {@code bin/allowdns}, run as users run it: from an install directory with
 * the jar beside it, through a symlink on the PATH, with its JVM flags visible in the process's
 * own command line ({@code exec}, so the launcher's PID is the JVM's).
 */
class LauncherIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void serve_runsTheJarBesideTheLauncherWithAFixedHeapAndTheSerialCollector(@TempDir Path dir)
      throws Exception {
    Path launcher = install(dir);
    Path link = Files.createDirectories(dir.resolve("usr/local/bin")).resolve("allowdns");
    Files.createSymbolicLink(link, launcher);
    Files.createDirectories(dir.resolve("zones"));
    Files.writeString(dir.resolve("zones/e2e.zone"), "www.example.test\n", StandardCharsets.UTF_8);

    try (ChildProcess serve =
        start(
            dir,
            Map.of(),
            link.toString(), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
            "--upstream", "127.0.0.1:9", "--log-dir", dir.resolve("logs").toString())) {
      Optional<String> ready =
          serve.awaitStdoutLine(line -> line.contains(AllowdnsProcess.READY_MARKER), TIMEOUT);
      assertTrue(ready.isPresent(), serve::describe);

      List<String> jvm = commandLine(serve.pid());
      assertEquals(dir.resolve("opt/allowdns/allowdns.jar").toRealPath().toString(), after(jvm, "-jar"), jvm::toString);
      assertTrue(jvm.containsAll(List.of("-Xms256m", "-Xmx256m", "-XX:+UseSerialGC",
          "-XX:+ExitOnOutOfMemoryError", "-XX:MaxDirectMemorySize=128m")), jvm::toString);
    }
  }

  @Test
  void environment_setsTheHeapAndAddsFlagsThatWinOverTheDefaults(@TempDir Path dir) throws Exception {
    Path launcher = install(dir);
    Files.createDirectories(dir.resolve("zones"));

    try (ChildProcess serve =
        start(
            dir,
            Map.of("ALLOWDNS_HEAP", "192m", "ALLOWDNS_JAVA_OPTS", "-XX:MaxDirectMemorySize=64m"),
            launcher.toString(), "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
            "--upstream", "127.0.0.1:9", "--log-dir", dir.resolve("logs").toString())) {
      assertTrue(
          serve.awaitStdoutLine(line -> line.contains(AllowdnsProcess.READY_MARKER), TIMEOUT).isPresent(),
          serve::describe);

      List<String> jvm = commandLine(serve.pid());
      assertTrue(jvm.containsAll(List.of("-Xms192m", "-Xmx192m")), jvm::toString);
      // The JVM takes the last of a repeated flag: the operator's comes after the default.
      assertTrue(
          jvm.lastIndexOf("-XX:MaxDirectMemorySize=64m") > jvm.indexOf("-XX:MaxDirectMemorySize=128m"),
          jvm::toString);
    }
  }

  @Test
  void clientCommands_passTheirExitCodesThrough(@TempDir Path dir) throws Exception {
    Path launcher = install(dir);
    Files.createDirectories(dir.resolve("zones"));
    Files.writeString(dir.resolve("zones/e2e.zone"), "www.example.test\n", StandardCharsets.UTF_8);

    assertEquals(0, exitCode(dir, Map.of(), launcher.toString(), "check", "www.example.test"));
    assertEquals(1, exitCode(dir, Map.of(), launcher.toString(), "check", "other.example.test"));
    assertEquals(2, exitCode(dir, Map.of(), launcher.toString(), "check"));
  }

  @Test
  void withoutAJar_saysWhereItLookedAndExitsTwo(@TempDir Path dir) throws Exception {
    Path alone = Files.createDirectories(dir.resolve("bin")).resolve("allowdns");
    Files.copy(DeployTools.repoFile("bin/allowdns"), alone);

    try (ChildProcess run = start(dir, Map.of(), alone.toString(), "validate")) {
      assertEquals(Optional.of(2), run.awaitExit(TIMEOUT), run::describe);
      assertTrue(run.stderr().contains("allowdns.jar not found beside " + alone.toRealPath()), run::describe);
    }
  }

  /** Lays out {@code DIR/opt/allowdns/{bin/allowdns,allowdns.jar}} as the systemd unit expects. */
  private static Path install(Path dir) throws IOException {
    Path home = Files.createDirectories(dir.resolve("opt/allowdns/bin")).getParent();
    Files.createSymbolicLink(home.resolve("allowdns.jar"), AllowdnsCli.jar());
    Path launcher = home.resolve("bin/allowdns");
    Files.copy(DeployTools.repoFile("bin/allowdns"), launcher);
    return launcher;
  }

  private static ChildProcess start(Path dir, Map<String, String> env, String... command) {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().remove("ALLOWDNS_JAR");
    builder.environment().remove("ALLOWDNS_JAVA_OPTS");
    builder.environment().remove("ALLOWDNS_HEAP");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().putAll(env);
    return ChildProcess.start(String.join(" ", command), builder);
  }

  private static int exitCode(Path dir, Map<String, String> env, String... command) throws InterruptedException {
    try (ChildProcess run = start(dir, env, command)) {
      Optional<Integer> exit = run.awaitExit(TIMEOUT);
      assertTrue(exit.isPresent(), run::describe);
      return exit.get();
    }
  }

  /** The process's own argv: after {@code exec}, the JVM's flags as the launcher set them. */
  private static List<String> commandLine(long pid) throws IOException {
    String raw = Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.UTF_8);
    return List.of(raw.split("\0"));
  }

  private static String after(List<String> words, String word) {
    int at = words.indexOf(word);
    assertTrue(at >= 0 && at + 1 < words.size(), () -> word + " not in " + words);
    return words.get(at + 1);
  }
}
