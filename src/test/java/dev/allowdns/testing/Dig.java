package dev.allowdns.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code dig} (BIND) and {@code kdig} (Knot) against one loopback server. Every
 * invocation names the server explicitly ({@code @127.0.0.1 -p PORT}), so the machine's own
 * resolver is never used, ignores {@code ~/.digrc}, and gives up after one 2-second try.
 */
public final class Dig {
  private static final long PROCESS_TIMEOUT_SECONDS = 20;

  private final int port;

  private Dig(int port) {
    this.port = port;
  }

  /** Returns a dig aimed at 127.0.0.1:{@code port}. */
  public static Dig at(int port) {
    return new Dig(port);
  }

  public int port() {
    return port;
  }

  /** Runs {@code dig NAME TYPE OPTIONS...}, e.g. {@code query("a.test", "TXT", "+tcp")}. */
  public DigResult query(String name, String type, String... options) {
    List<String> command = new ArrayList<>();
    command.add(Programs.require("dig").toString());
    command.add("-r"); // no ~/.digrc
    command.add("@127.0.0.1");
    command.add("-p");
    command.add(Integer.toString(port));
    command.add("+time=2");
    command.add("+tries=1");
    command.addAll(List.of(options));
    command.add(name);
    command.add(type);
    return run(command);
  }

  /**
   * Runs {@code kdig} with these arguments (names, types, {@code +options}), e.g. several queries
   * over one connection with {@code +tcp +keepopen}.
   */
  public DigResult kdig(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Programs.require("kdig").toString());
    command.add("@127.0.0.1");
    command.add("-p");
    command.add(Integer.toString(port));
    command.add("+time=2");
    command.add("+retry=0");
    command.addAll(List.of(args));
    return run(command);
  }

  private static DigResult run(List<String> command) {
    Path out = null;
    Path err = null;
    try {
      // Output goes to files, so a chatty client can never block on a full pipe.
      out = Files.createTempFile("dig-", ".out");
      err = Files.createTempFile("dig-", ".err");
      Process process =
          new ProcessBuilder(command)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .start();
      if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError(command + " did not exit in " + PROCESS_TIMEOUT_SECONDS + " s");
      }
      return new DigResult(
          command,
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      file.toFile().delete();
    }
  }
}
