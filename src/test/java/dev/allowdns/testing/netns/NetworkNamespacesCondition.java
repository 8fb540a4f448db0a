package dev.allowdns.testing.netns;

import dev.allowdns.testing.Programs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks {@link RequiresNetworkNamespaces}: outside CI a class whose needs are missing is
 * disabled (reported as skipped, with the reason); with {@code CI=true} it runs and fails in
 * {@code beforeAll}, before the class's own set-up.
 */
final class NetworkNamespacesCondition implements ExecutionCondition, BeforeAllCallback {
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (isCi()) {
      return ConditionEvaluationResult.enabled("CI=true: missing needs fail in beforeAll");
    }
    return problem(context)
        .map(p -> ConditionEvaluationResult.disabled(p + " — skipped (set CI=true to fail instead)"))
        .orElse(ConditionEvaluationResult.enabled("root and every program present"));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    problem(context)
        .ifPresent(p -> Assertions.fail(p + " — CI=true, so this is a failure, not a skip"));
  }

  private static Optional<String> problem(ExtensionContext context) {
    Class<?> testClass = context.getRequiredTestClass();
    RequiresNetworkNamespaces required =
        AnnotationSupport.findAnnotation(testClass, RequiresNetworkNamespaces.class).orElseThrow();
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
    return problems.isEmpty()
        ? Optional.empty()
        : Optional.of(testClass.getSimpleName() + " needs " + String.join(" and ", problems));
  }

  private static boolean isCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
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
