package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * Decides whether the tests that need root, network namespaces and iptables can run here: they
 * are skipped with the reason when they cannot, except under {@code CI=true}, where they fail.
 */
final class RootNetworking {
  private static final List<String> PROGRAMS =
      List.of(
          "ip",
          "iptables",
          "ip6tables",
          "iptables-restore",
          "ip6tables-restore",
          "iptables-save",
          "ip6tables-save");

  private RootNetworking() {}

  /** Skips (or, under CI=true, fails) the calling test unless root, ip and iptables are here. */
  static void assumeAvailable() {
    List<String> missing = new ArrayList<>();
    if (!isRoot()) {
      missing.add("root (uid 0)");
    }
    for (String program : PROGRAMS) {
      if (!onPath(program)) {
        missing.add(program + " on PATH");
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    String message = "network namespace and iptables tests need " + String.join(", ", missing);
    if ("true".equals(System.getenv("CI"))) {
      fail(message + " (CI=true: these tests are required)");
    }
    Assumptions.abort(message + "; skipped");
  }

  private static boolean isRoot() {
    try {
      // /proc/self belongs to this process's effective user.
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String directory : path.split(File.pathSeparator)) {
      if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, program))) {
        return true;
      }
    }
    return false;
  }
}
