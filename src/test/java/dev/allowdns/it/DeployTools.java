package dev.allowdns.it;

import dev.allowdns.testing.Programs;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the files under {@code deploy/} and runs the real tools that check them ({@code promtool},
 * {@code systemd-analyze}): one-shot commands, bounded in time, output captured in files.
 */
final class DeployTools {
  private DeployTools() {}

  /** What a finished command printed, and how it ended. */
  record Result(List<String> command, int exitCode, String stdout, String stderr) {
    String describe() {
      return String.join(" ", command)
          + " exited "
          + exitCode
          + "\n--- stdout ---\n"
          + stdout
          + "\n--- stderr ---\n"
          + stderr;
    }
  }

  /**
   * Returns a file of the source tree, e.g. {@code deploy/prometheus/allowdns-alerts.yml}. Maven
   * runs tests in the project's base directory.
   */
  static Path repoFile(String relative) {
    Path file = Path.of(System.getProperty("basedir", ".")).resolve(relative).toAbsolutePath().normalize();
    Assertions.assertTrue(Files.isRegularFile(file), () -> relative + " not found at " + file);
    return file;
  }

  /**
   * Returns the program {@code name}; when it is missing, skips the test outside CI and fails it
   * with {@code CI=true}, naming the Debian package that provides it.
   */
  static Path program(String name, String debianPackage) {
    return Programs.find(name)
        .orElseGet(
            () -> {
              String message =
                  name + " not found on PATH or in sbin; on Debian: apt-get install -y " + debianPackage;
              if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                return Assertions.fail(message + " — CI=true, so this is a failure, not a skip");
              }
              Assumptions.abort(message + " — skipped (set CI=true to make this a failure)");
              throw new AssertionError("unreachable");
            });
  }

  /** Runs {@code command} in {@code workDir}; kills it and fails after {@code timeout}. */
  static Result run(Path workDir, Duration timeout, String... command) {
    List<String> args = List.of(command);
    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("deploy-tool-", ".out");
      err = Files.createTempFile("deploy-tool-", ".err");
      Process process =
          new ProcessBuilder(args)
              .directory(workDir.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
        throw new AssertionError(args + " did not exit within " + timeout);
      }
      return new Result(
          args,
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + args, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + args, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /** Returns {@code first} followed by {@code rest}, for building command lines. */
  static String[] command(Path first, String... rest) {
    List<String> all = new ArrayList<>();
    all.add(first.toString());
    all.addAll(List.of(rest));
    return all.toArray(String[]::new);
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      file.toFile().delete();
    }
  }
}
