package dev.allowdns.testing;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Checks {@link RequiresPrograms} before the class's own {@code @BeforeAll} methods run: aborts
 * (skips) the class outside CI, fails it when {@code CI=true}.
 */
final class RequiredProgramsExtension implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    String[] required =
        AnnotationSupport.findAnnotation(context.getRequiredTestClass(), RequiresPrograms.class)
            .map(RequiresPrograms::value)
            .orElse(new String[0]);
    List<String> missing =
        Arrays.stream(required).filter(name -> Programs.find(name).isEmpty()).toList();
    if (missing.isEmpty()) {
      return;
    }
    String message =
        context.getRequiredTestClass().getSimpleName()
            + " needs "
            + missing
            + " (not found on PATH or in /usr/sbin, /sbin); on Debian: apt-get install -y"
            + " knot knot-dnsutils bind9-dnsutils";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      Assertions.fail(message + " — CI=true, so this is a failure, not a skip");
    }
    Assumptions.abort(message + " — skipped (set CI=true to make this a failure)");
  }
}
