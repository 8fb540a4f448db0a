package dev.allowdns.iptables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a program to completion, bounded in time, and keeps what it printed. */
final class ExternalCommand {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);

  /** What a finished program left behind. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    /** Returns this result, or fails the test with the program's output when it did not exit 0. */
    Result assertSuccess() {
      if (exitCode != 0) {
        throw new AssertionError(this.toString());
      }
      return this;
    }

    @Override
    public String toString() {
      return String.join(" ", command)
          + " exited "
          + exitCode
          + "\n--- stdout:\n"
          + stdout
          + "--- stderr:\n"
          + stderr;
    }
  }

  private ExternalCommand() {}

  static Result run(List<String> command) {
    return run(command, Map.of());
  }

  /** Runs {@code command} with {@code environment} added to this process's environment. */
  static Result run(List<String> command, Map<String, String> environment) {
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("allowdns-ipt-test-", ".out");
      err = Files.createTempFile("allowdns-ipt-test-", ".err");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().putAll(environment);
      Process process = builder.start();
      if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(String.join(" ", command) + ": still running after " + TIMEOUT);
      }
      return new Result(
          List.copyOf(command),
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // a leftover temporary file does not matter to the test
    }
  }
}
