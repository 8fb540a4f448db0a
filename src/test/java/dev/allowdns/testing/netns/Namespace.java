package dev.allowdns.testing.netns;

import dev.allowdns.testing.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One network namespace ({@code ip netns}) created by the test, and the programs run inside it
 * through {@code ip netns exec}. That command execs the program in place, so a started process's
 * PID is the program's own and signals reach it directly. {@link #delete()} ends every program
 * started here, then removes the namespace (and with it every interface inside).
 */
public final class Namespace {
  /** Proxy settings of the test's environment must not steer the clients inside a namespace. */
  private static final List<String> DROPPED_ENV =
      List.of(
          "http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy",
          "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "FTP_PROXY");
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(10);

  private final String name;
  private final List<ChildProcess> started = new ArrayList<>();
  private boolean deleted;

  private Namespace(String name) {
    this.name = name;
  }

  /** Creates namespace {@code name} with its loopback interface up. */
  public static Namespace create(String name) {
    host(ADMIN_TIMEOUT, "ip", "netns", "add", name);
    Namespace namespace = new Namespace(name);
    namespace.ip("link", "set", "lo", "up");
    return namespace;
  }

  public String name() {
    return name;
  }

  /** Runs {@code ip -n NAME ARGS...} (configures this namespace from outside) and checks it. */
  public void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip", "-n", name));
    command.addAll(List.of(args));
    host(ADMIN_TIMEOUT, command.toArray(String[]::new));
  }

  /** Sets sysctl {@code key} inside this namespace (per-namespace keys such as ip_forward). */
  public void sysctl(String key, String value) {
    runChecked(ADMIN_TIMEOUT, "sysctl", "-q", "-w", key + "=" + value);
  }

  /** Runs {@code command} inside this namespace and waits at most {@code timeout} for it. */
  public Output run(Duration timeout, String... command) {
    return run(timeout, Map.of(), List.of(command));
  }

  /** Runs {@code command} inside this namespace with extra environment variables. */
  public Output run(Duration timeout, Map<String, String> env, List<String> command) {
    return finish(startUntracked(command.get(0), null, env, command), command, timeout);
  }

  /** Runs {@code command} inside this namespace; throws with its output unless it exits 0. */
  public Output runChecked(Duration timeout, String... command) {
    Output output = run(timeout, command);
    if (!output.succeeded()) {
      throw new IllegalStateException("in namespace " + name + ": " + output.describe());
    }
    return output;
  }

  /**
   * Starts {@code command} inside this namespace in {@code workDir} (may be null) and leaves it
   * running; {@link #delete()} ends it if the test did not.
   */
  public ChildProcess start(
      String label, Path workDir, Map<String, String> env, List<String> command) {
    ChildProcess process = startUntracked(label, workDir, env, command);
    synchronized (started) {
      started.add(process);
    }
    return process;
  }

  /** Ends every program started here (by PID), then deletes the namespace. Idempotent. */
  public void delete() {
    if (deleted) {
      return;
    }
    List<ChildProcess> processes;
    synchronized (started) {
      processes = List.copyOf(started);
    }
    processes.forEach(ChildProcess::close);
    Output output = runHere(ADMIN_TIMEOUT, List.of("ip", "netns", "del", name));
    if (!output.succeeded() && exists(name)) {
      throw new IllegalStateException("cannot delete namespace " + name + ": " + output.describe());
    }
    deleted = true;
  }

  /** Returns whether a namespace called {@code name} exists. */
  public static boolean exists(String name) {
    Output list = runHere(ADMIN_TIMEOUT, List.of("ip", "netns", "list"));
    return list.stdout().lines().anyMatch(line -> line.split(" ")[0].equals(name));
  }

  /** Runs an administrative command in the test's own namespace and checks it. */
  static void host(Duration timeout, String... command) {
    Output output = runHere(timeout, List.of(command));
    if (!output.succeeded()) {
      throw new IllegalStateException(output.describe());
    }
  }

  static Output runHere(Duration timeout, List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command);
    cleanEnvironment(builder, Map.of());
    return finish(ChildProcess.start(command.get(0), builder), command, timeout);
  }

  private ChildProcess startUntracked(
      String label, Path workDir, Map<String, String> env, List<String> command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(full);
    if (workDir != null) {
      builder.directory(workDir.toFile());
    }
    cleanEnvironment(builder, env);
    return ChildProcess.start(label + "@" + name, builder);
  }

  private static void cleanEnvironment(ProcessBuilder builder, Map<String, String> env) {
    Map<String, String> environment = builder.environment();
    DROPPED_ENV.forEach(environment::remove);
    // ip netns exec looks the program up on PATH; servers such as knotd and nginx live in sbin.
    environment.merge("PATH", "/usr/sbin:/sbin", (path, sbin) -> path + ":" + sbin);
    environment.putAll(env);
  }

  private static Output finish(ChildProcess process, List<String> command, Duration timeout) {
    try (process) {
      Optional<Integer> exit = process.awaitExit(timeout);
      if (exit.isEmpty()) {
        process.terminate();
      }
      return new Output(
          command,
          exit.orElse(-1),
          String.join("\n", process.stdoutLines()),
          process.stderr(),
          exit.isEmpty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  @Override
  public String toString() {
    return "netns " + name;
  }
}
