package dev.allowdns.iptables;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace of the test's own ({@code allowdns-ipt-<random>-<role>}), so rules and
 * traffic never touch the host's. Deleted on {@link #close}.
 */
final class NetworkNamespace implements AutoCloseable {
  private final String name;

  private NetworkNamespace(String name) {
    this.name = name;
  }

  /** Creates a namespace with its loopback up; {@code role} makes its name readable. */
  static NetworkNamespace create(String run, String role) {
    NetworkNamespace namespace = new NetworkNamespace("allowdns-ipt-" + run + "-" + role);
    ExternalCommand.run(List.of("ip", "netns", "add", namespace.name)).assertSuccess();
    namespace.run("ip", "link", "set", "lo", "up").assertSuccess();
    return namespace;
  }

  /** Returns a random tag that names the namespaces of one test. */
  static String newRun() {
    byte[] bytes = new byte[4];
    ThreadLocalRandom.current().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  String name() {
    return name;
  }

  /** Returns {@code command} prefixed so that it runs inside this namespace. */
  List<String> inside(List<String> command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(command);
    return full;
  }

  ExternalCommand.Result run(String... command) {
    return ExternalCommand.run(inside(Arrays.asList(command)));
  }

  ExternalCommand.Result run(List<String> command) {
    return ExternalCommand.run(inside(command));
  }

  /** Starts {@code command} inside the namespace; the caller destroys it. */
  Process start(List<String> command) {
    try {
      return new ProcessBuilder(inside(command)).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /** Writes {@code value} to a {@code /proc/sys} file as this namespace sees it. */
  void sysctl(String key, String value) {
    String file = "/proc/sys/" + key.replace('.', '/');
    run("sh", "-c", "echo " + value + " > " + file).assertSuccess();
  }

  @Override
  public void close() {
    ExternalCommand.run(List.of("ip", "netns", "del", name)).assertSuccess();
  }
}
