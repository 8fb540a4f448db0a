package dev.allowdns.testing.netns;

import dev.allowdns.testing.Programs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks {@link RequiresNetworkNamespaces} before the class's own {@code @BeforeAll} methods run:
 * aborts (skips) the class outside CI, fails it when {@code CI=true}.
 */
final class NetworkNamespacesCondition implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    RequiresNetworkNamespaces required =
        AnnotationSupport.findAnnotation(
                context.getRequiredTestClass(), RequiresNetworkNamespaces.class)
            .orElseThrow();
    List<String> problems = new ArrayList<>();
    if (!isRoot()) {
      problems.add("root (network namespaces, veth links and iptables need it)");
    }
    List<String> missing = new ArrayList<>();
    for (String program : required.programs()) {
      if (Programs.find(program).isEmpty()) {
        missing.add(program);
      }
    }
    if (!missing.isEmpty()) {
      problems.add(
          "programs " + missing + " (on Debian: apt-get install -y "
              + String.join(" ", required.packages()) + ")");
    }
    if (problems.isEmpty()) {
      return;
    }
    String message =
        context.getRequiredTestClass().getSimpleName() + " needs " + String.join(" and ", problems);
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      Assertions.fail(message + " — CI=true, so this is a failure, not a skip");
    }
    Assumptions.abort(message + " — skipped (set CI=true to make this a failure)");
  }

  private static boolean isRoot() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream()
          .filter(line -> line.startsWith("Uid:"))
          .anyMatch(line -> line.split("\\s+")[2].equals("0")); // effective UID
    } catch (IOException e) {
      return false;
    }
  }
}
