package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Checks the Prometheus files under {@code deploy/prometheus} with the real {@code promtool}
 * (Debian package {@code prometheus}): the rules and the example config load, and the unit tests
 * in {@code src/test/resources/deploy/allowdns-alerts.test.yml} (synthetic series in, expected
 * alerts out) pass, so every alert fires on what its name says and stays quiet on look-alikes.
 */
class DeployAlertRulesTest {
  static final String RULES = "deploy/prometheus/allowdns-alerts.yml";
  private static final String CONFIG = "deploy/prometheus/prometheus.yml";
  private static final String RULE_TESTS = "src/test/resources/deploy/allowdns-alerts.test.yml";
  private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void promtoolCheckRules_acceptsEveryAlertOfTheRulesFile() throws IOException {
    Path rules = DeployTools.repoFile(RULES);
    DeployTools.Result result = promtool(rules.getParent(), "check", "rules", rules.toString());

    assertEquals(0, result.exitCode(), result::describe);
    int count = alerts(rules).size();
    assertTrue(
        result.stdout().contains("SUCCESS: " + count + " rules found"),
        () -> "expected all " + count + " rules to load\n" + result.describe());
  }

  @Test
  void promtoolCheckConfig_acceptsTheExampleConfigAndTheRulesItNames() {
    Path config = DeployTools.repoFile(CONFIG);
    DeployTools.Result result = promtool(config.getParent(), "check", "config", config.toString());

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains("allowdns-alerts.yml"), result::describe);
  }

  @Test
  void promtoolTestRules_everyAlertFiresOnItsSyntheticSeriesOnly() {
    Path tests = DeployTools.repoFile(RULE_TESTS);
    DeployTools.Result result = promtool(tests.getParent(), "test", "rules", tests.toString());

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains("SUCCESS"), result::describe);
  }

  @Test
  void everyAlert_hasSeverityAnnotationsAndAUnitTestThatSeesItFire() throws IOException {
    // promtool compares the whole list of firing alerts at each eval_time, so a test that expects
    // one alert also proves its look-alike series do not fire.
    Set<String> firing = new LinkedHashSet<>();
    for (JsonNode test : YAML.readTree(DeployTools.repoFile(RULE_TESTS).toFile()).path("tests")) {
      for (JsonNode check : test.path("alert_rule_test")) {
        if (!check.path("exp_alerts").isEmpty()) {
          firing.add(check.path("alertname").asText());
        }
      }
    }
    List<String> problems = new ArrayList<>();
    for (JsonNode alert : alerts(DeployTools.repoFile(RULES))) {
      String name = alert.path("alert").asText();
      if (!SEVERITIES.contains(alert.path("labels").path("severity").asText())) {
        problems.add(name + ": severity must be one of " + SEVERITIES);
      }
      for (String annotation : List.of("summary", "description")) {
        if (alert.path("annotations").path(annotation).asText().isBlank()) {
          problems.add(name + ": no " + annotation + " annotation");
        }
      }
      if (!firing.contains(name)) {
        problems.add(name + ": no unit test in " + RULE_TESTS + " expects it to fire");
      }
    }
    assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
  }

  /** Returns the alerting rules of a rules file, in order. */
  static List<JsonNode> alerts(Path rulesFile) throws IOException {
    List<JsonNode> alerts = new ArrayList<>();
    for (JsonNode group : YAML.readTree(rulesFile.toFile()).path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        if (rule.has("alert")) {
          alerts.add(rule);
        }
      }
    }
    assertFalse(alerts.isEmpty(), () -> "no alerting rule in " + rulesFile);
    return alerts;
  }

  private static DeployTools.Result promtool(Path workDir, String... args) {
    Path promtool = DeployTools.program("promtool", "prometheus");
    return DeployTools.run(workDir, TIMEOUT, DeployTools.command(promtool, args));
  }
}
