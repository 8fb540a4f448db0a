package dev.allowdns.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs one-shot {@code allowdns} commands ({@code check}, {@code validate}, ...) as subprocesses.
 */
public final class AllowdnsCli {
  /** Long enough for a JVM start on a busy 2-core machine; a hung command is a failure. */
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  private AllowdnsCli() {}

  /** Runs {@code allowdns ARGS} in {@code workDir}; waits at most 30 s, then kills it. */
  public static CommandResult run(Path workDir, String... args) {
    return run(workDir, COMMAND_TIMEOUT, List.of(args));
  }

  /**
   * Runs {@code allowdns ARGS} in {@code workDir}; waits at most {@code timeout}, then kills it.
   */
  public static CommandResult run(Path workDir, Duration timeout, List<String> args) {
    try (ChildProcess process =
        ChildProcess.start("allowdns " + String.join(" ", args), javaCommand(args), workDir)) {
      Optional<Integer> exit = process.awaitExit(timeout);
      if (exit.isEmpty()) {
        process.terminate();
        return new CommandResult(args, -1, process.stdout(), process.stderr(), true);
      }
      return new CommandResult(args, exit.get(), process.stdout(), process.stderr(), false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running allowdns " + args, e);
    }
  }

  /** Returns the java command line that runs the jar under test with {@code args}. */
  static List<String> javaCommand(List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Small, quick-starting JVMs: the machine has two cores and runs several at once.
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(args);
    return command;
  }

  /**
   * Returns the shipped launcher {@code bin/allowdns ARGS}, run in {@code workDir} with the jar
   * under test and the JDK running the tests; the launcher's own flags, none of the tests'.
   */
  static ProcessBuilder launcher(List<String> args, Path workDir) {
    Path script = Path.of(System.getProperty("basedir", "."), "bin", "allowdns").toAbsolutePath();
    List<String> command = new ArrayList<>();
    command.add(script.toString());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
    builder.environment().put("ALLOWDNS_JAR", jar().toString());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().remove("ALLOWDNS_JAVA_OPTS");
    builder.environment().remove("ALLOWDNS_HEAP");
    return builder;
  }

  /**
   * Returns the jar under test: the {@code allowdns.jar} system property (set by failsafe), else
   * {@code target/allowdns.jar}.
   */
  public static Path jar() {
    String property = System.getProperty("allowdns.jar");
    Path jar = Path.of(property != null ? property : "target/allowdns.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(
          "allowdns jar not found at "
              + jar
              + "; run the integration tests with `mvn verify` (failsafe sets -Dallowdns.jar)");
    }
    return jar;
  }
}
