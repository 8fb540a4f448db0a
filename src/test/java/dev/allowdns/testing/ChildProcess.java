package dev.allowdns.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs one external program, drains its stdout and stderr into memory (so it never blocks on a full
 * pipe) and ends it by its own PID only: SIGTERM, then SIGKILL after a grace period. A shutdown
 * hook does the same if the test JVM exits first, so no child outlives the build.
 */
public final class ChildProcess implements AutoCloseable {
  private static final Duration TERM_GRACE = Duration.ofSeconds(5);

  private final String label;
  private final Process process;
  private final List<String> stdoutLines = new ArrayList<>();
  private final StringBuilder stderr = new StringBuilder();
  private final Thread stdoutPump;
  private final Thread stderrPump;
  private final Thread shutdownHook;

  private ChildProcess(String label, Process process) {
    this.label = label;
    this.process = process;
    this.stdoutPump = pump(process.getInputStream(), this::addStdoutLine, label + "-stdout");
    this.stderrPump = pump(process.getErrorStream(), this::addStderrLine, label + "-stderr");
    this.shutdownHook = new Thread(this::terminate, label + "-reaper");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts {@code command} in {@code workDir}; {@code label} names it in failure messages. */
  static ChildProcess start(String label, List<String> command, Path workDir) {
    return start(label, new ProcessBuilder(command).directory(workDir.toFile()));
  }

  /** Starts {@code builder}'s command, with stdin from /dev/null; {@code label} names it. */
  public static ChildProcess start(String label, ProcessBuilder builder) {
    List<String> command = builder.command();
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    try {
      return new ChildProcess(label, builder.start());
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + label + ": " + command, e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits until a stdout line matches, and returns it; empty if the process exited or the timeout
   * passed first.
   */
  public Optional<String> awaitStdoutLine(Predicate<String> wanted, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (stdoutLines) {
      while (true) {
        for (String line : stdoutLines) {
          if (wanted.test(line)) {
            return Optional.of(line);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || (!process.isAlive() && !stdoutPump.isAlive())) {
          return Optional.empty();
        }
        TimeUnit.NANOSECONDS.timedWait(stdoutLines, Math.min(left, 50_000_000L));
      }
    }
  }

  /** Waits for the process to exit by itself; returns its exit code, or empty on timeout. */
  public Optional<Integer> awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      return Optional.empty();
    }
    joinPumps();
    return Optional.of(process.exitValue());
  }

  public List<String> stdoutLines() {
    synchronized (stdoutLines) {
      return List.copyOf(stdoutLines);
    }
  }

  public String stdout() {
    return String.join("\n", stdoutLines());
  }

  public String stderr() {
    synchronized (stderr) {
      return stderr.toString();
    }
  }

  /** Returns everything the process printed so far, for failure messages. */
  public String describe() {
    return label
        + " (pid "
        + process.pid()
        + (process.isAlive() ? ", running" : ", exit " + process.exitValue())
        + ")\n--- stdout ---\n"
        + stdout()
        + "\n--- stderr ---\n"
        + stderr();
  }

  /** Sends a signal to this process only, by PID (used for SIGSTOP / SIGCONT). */
  public void signal(String signal) {
    if (!process.isAlive()) {
      return;
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        kill.destroyForcibly();
        throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
      }
    } catch (IOException e) {
      throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while signalling " + label, e);
    }
  }

  /** Ends the process: SIGTERM, then SIGKILL if it has not exited after the grace period. */
  public void terminate() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          process.waitFor(TERM_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    joinPumps();
  }

  @Override
  public void close() {
    terminate();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run; nothing left to undo.
    }
  }

  private void joinPumps() {
    try {
      stdoutPump.join(2000);
      stderrPump.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void addStdoutLine(String line) {
    synchronized (stdoutLines) {
      stdoutLines.add(line);
      stdoutLines.notifyAll();
    }
  }

  private void addStderrLine(String line) {
    synchronized (stderr) {
      stderr.append(line).append('\n');
    }
  }

  /** Reads {@code in} line by line on a daemon thread named {@code name}, until it ends. */
  public static Thread pump(
      InputStream in, java.util.function.Consumer<String> sink, String name) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                  sink.accept(line);
                }
              } catch (IOException streamClosed) {
                // The process is gone; what was read is kept.
              }
            },
            name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  @Override
  public String toString() {
    return label + " (pid " + process.pid() + ")";
  }
}
