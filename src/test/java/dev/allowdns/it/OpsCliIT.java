package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.Fixtures;
import dev.allowdns.testing.FreePorts;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStack;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client commands a person runs against a live server ({@code reload}, {@code sandbox
 * add|remove|list}), through the real jar: the server runs with a bearer token, policies {@code
 * default} and {@code strict}, and one sandbox from its config file.
 */
@RequiresPrograms({"knotd", "dig"})
class OpsCliIT {
  private static final String CONFIG =
      """
      policies:
        default: [basic, denylist, private]
        strict: [private]
      sandboxes:
        - cidr: 10.9.0.2/32
          id: vm-config
          task_id: task_config
          policy: strict
      """;
  private static final String TOKEN = "it-ops-token-4f1c";
  private static final Pattern ADMIN_ADDRESS = Pattern.compile("; admin (\\S+);");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static ResolverStack stack;
  private static String admin;
  private static Path tokenFile;
  private static Map<String, String> originalZones;

  @BeforeAll
  static void start() throws IOException {
    tokenFile = Files.writeString(dir.resolve("admin.token"), TOKEN + "\n");
    stack =
        ResolverStack.startWithConfig(
            CONFIG,
            "--state-dir",
            dir.resolve("state").toString(),
            "--admin-token-file",
            tokenFile.toString());
    Matcher m = ADMIN_ADDRESS.matcher(stack.allowdns().readyLine());
    assertTrue(
        m.find(), () -> "the ready line names the admin address: " + stack.allowdns().readyLine());
    admin = m.group(1);
    originalZones = Fixtures.zoneFiles(ResolverStack.ZONES);
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  /** Puts the zones back and reloads, and removes the sandbox the tests register. */
  @AfterEach
  void restore() throws Exception {
    for (Map.Entry<String, String> zone : originalZones.entrySet()) {
      Files.writeString(stack.allowdns().zonesDir().resolve(zone.getKey()), zone.getValue());
    }
    assertEquals(200, http("POST", "/reload").statusCode(), "restoring the zones");
    http("DELETE", "/sandboxes?id=vm-ops");
  }

  private static HttpResponse<String> http(String method, String pathAndQuery) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + admin + pathAndQuery))
            .header("Authorization", "Bearer " + TOKEN)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(10))
            .build();
    return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Runs {@code allowdns ARGS --admin ADDR --admin-token-file FILE}. */
  private static CommandResult withToken(String... args) {
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--admin", admin, "--admin-token-file", tokenFile.toString()));
    return AllowdnsCli.run(dir, all.toArray(String[]::new));
  }

  private static Path zone(String fileName) {
    return stack.allowdns().zonesDir().resolve(fileName);
  }

  private static void editBasicZone(String remove, String... add) throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(zone("basic.zone")));
    assertTrue(remove == null || lines.remove(remove), () -> "basic.zone has no line " + remove);
    lines.addAll(List.of(add));
    Files.write(zone("basic.zone"), lines);
  }

  @Test
  void reload_changedZone_printsEveryAddedAndRemovedRuleAndTheNewPolicyAnswers() throws Exception {
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");
    editBasicZone("txt.it.test", "unlisted.it.test");

    CommandResult dryRun = withToken("reload", "--dry-run");
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");
    CommandResult reload = withToken("reload");

    assertEquals(0, dryRun.exitCode(), dryRun::describe);
    assertTrue(dryRun.stdout().contains("dry run"), dryRun::describe);
    assertTrue(dryRun.stdout().contains("default: + basic: unlisted.it.test"), dryRun::describe);
    assertEquals(0, reload.exitCode(), reload::describe);
    List<String> lines = reload.stdout().lines().toList();
    assertTrue(lines.get(0).startsWith("reloaded: generation "), reload::describe);
    assertEquals(
        List.of("default: + basic: unlisted.it.test", "default: - basic: txt.it.test"),
        lines.subList(1, lines.size()),
        reload::describe);
    assertAnswered(stack.dig().query("unlisted.it.test", "A"));
    assertBlocked(stack.dig().query("txt.it.test", "TXT"), "default");
  }

  @Test
  void reload_unchangedZones_saysNoChange() {
    CommandResult result = withToken("reload");

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().startsWith("no change"), result::describe);
  }

  @Test
  void reload_brokenZones_exits2ListingEveryErrorAndTheOldPolicyStillAnswers() throws Exception {
    editBasicZone(null, "unlisted.it.test", "*.com", "bad..name.it.test");
    Files.writeString(zone("private.zone"), "@allow-private\nkept.it.test\n~^(unclosed\n");
    int basicLines = Files.readAllLines(zone("basic.zone")).size();

    CommandResult result = withToken("reload");

    assertEquals(2, result.exitCode(), result::describe);
    String basic = zone("basic.zone").toString();
    String priv = zone("private.zone").toString();
    for (String origin :
        List.of(
            basic + ":" + (basicLines - 1) + ": ",
            basic + ":" + basicLines + ": ",
            priv + ":3: ")) {
      assertTrue(
          result.stderr().contains(origin), () -> "reports " + origin + "\n" + result.describe());
    }
    assertTrue(result.stderr().contains("stays in force"), result::describe);
    assertEquals("", result.stdout(), result::describe);
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");
    assertAnswered(stack.dig().query("www.it.test", "A"));
  }

  @Test
  void reload_withoutToken_exits2SayingTheServerWantsOne() {
    CommandResult result = AllowdnsCli.run(dir, "reload", "--admin", admin);

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("401"), result::describe);
    assertTrue(result.stderr().contains("--admin-token-file"), result::describe);
  }

  @Test
  void sandboxList_wrongToken_exits2SayingTheTokenIsWrong() throws IOException {
    Path wrong = Files.writeString(dir.resolve("wrong.token"), "not-the-token\n");

    CommandResult result =
        AllowdnsCli.run(
            dir, "sandbox", "list", "--admin", admin, "--admin-token-file", wrong.toString());

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("401"), result::describe);
    assertTrue(result.stderr().contains("not the server's"), result::describe);
  }

  @Test
  void reload_noServerAtTheAddress_exits2NamingTheAddress() {
    String nobody = "127.0.0.1:" + FreePorts.udpAndTcp();

    CommandResult result = AllowdnsCli.run(dir, "reload", "--admin", nobody);

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("cannot reach"), result::describe);
    assertTrue(result.stderr().contains(nobody), result::describe);
  }

  @Test
  void sandboxAdd_givesTheAddressItsPolicyAtOnce_andRemoveTakesItAway() throws Exception {
    assertAnswered(stack.dig().query("www.it.test", "A", "-b", "127.0.0.2"));

    CommandResult add =
        withToken(
            "sandbox",
            "add",
            "--ip",
            "127.0.0.2/32",
            "--id",
            "vm-ops",
            "--task",
            "task-ops",
            "--user",
            "ops@example.test",
            "--policy",
            "strict");

    assertEquals(0, add.exitCode(), add::describe);
    assertTrue(add.stdout().contains("vm-ops"), add::describe);
    assertBlocked(stack.dig().query("www.it.test", "A", "-b", "127.0.0.2"), "strict");
    assertAnswered(stack.dig().query("kept.it.test", "A", "-b", "127.0.0.2"));
    assertAnswered(stack.dig().query("www.it.test", "A", "-b", "127.0.0.3"));
    JsonNode logged = stack.queryLog().awaitFirst("kept.it.test", "A");
    assertEquals("vm-ops", logged.path("sandbox").asText(), logged::toString);
    assertEquals("task-ops", logged.path("task_id").asText(), logged::toString);

    CommandResult remove = withToken("sandbox", "remove", "--id", "vm-ops");

    assertEquals(0, remove.exitCode(), remove::describe);
    assertAnswered(stack.dig().query("www.it.test", "A", "-b", "127.0.0.2"));
  }

  @Test
  void sandboxList_showsConfigAndRegisteredSandboxes_asTableAndJson() throws Exception {
    CommandResult add =
        withToken(
            "sandbox", "add", "--ip", "127.0.0.2", "--id", "vm-ops", "--user", "ops@example.test");
    assertEquals(0, add.exitCode(), add::describe);

    CommandResult table = withToken("sandbox", "list");
    CommandResult json = withToken("sandbox", "list", "--json");

    assertEquals(0, table.exitCode(), table::describe);
    List<List<String>> rows =
        table.stdout().lines().map(line -> List.of(line.trim().split("\\s+"))).toList();
    assertEquals(
        List.of("CIDR", "ID", "TASK", "USER", "POLICY", "SOURCE"), rows.get(0), table::describe);
    assertTrue(
        rows.contains(List.of("10.9.0.2/32", "vm-config", "task_config", "-", "strict", "config")),
        table::describe);
    assertTrue(
        rows.contains(
            List.of("127.0.0.2", "vm-ops", "-", "ops@example.test", "default", "registered")),
        table::describe);
    assertEquals(0, json.exitCode(), json::describe);
    JsonNode listed = JSON.readTree(json.stdout());
    JsonNode ops =
        StreamSupport.stream(listed.spliterator(), false)
            .filter(n -> n.path("id").asText().equals("vm-ops"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("vm-ops in " + json.stdout()));
    assertEquals("registered", ops.path("source").asText(), json::describe);
    assertEquals("ops@example.test", ops.path("user").asText(), json::describe);
    assertEquals("default", ops.path("policy").asText(), json::describe);

    CommandResult remove = withToken("sandbox", "remove", "--id", "vm-ops");
    CommandResult after = withToken("sandbox", "list");

    assertEquals(0, remove.exitCode(), remove::describe);
    assertFalse(after.stdout().contains("vm-ops"), after::describe);
    assertTrue(after.stdout().contains("vm-config"), after::describe);
  }

  @Test
  void sandboxAdd_unknownPolicy_exits2WithTheServersReason() {
    CommandResult result =
        withToken(
            "sandbox", "add", "--ip", "127.0.0.2/32", "--id", "vm-ops", "--policy", "lenient");

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("unknown policy 'lenient'"), result::describe);
    assertAnswered(stack.dig().query("www.it.test", "A", "-b", "127.0.0.2"));
  }

  @Test
  void sandboxAdd_badAddress_exits2WithTheServersReason() {
    CommandResult result = withToken("sandbox", "add", "--ip", "127.0.0.300", "--id", "vm-ops");

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("127.0.0.300"), result::describe);
  }

  @Test
  void sandboxRemove_unknownOrConfigSandbox_exits2() {
    CommandResult unknown = withToken("sandbox", "remove", "--id", "vm-never");
    CommandResult fromConfig = withToken("sandbox", "remove", "--id", "vm-config");

    assertEquals(2, unknown.exitCode(), unknown::describe);
    assertTrue(unknown.stderr().contains("vm-never"), unknown::describe);
    assertEquals(2, fromConfig.exitCode(), fromConfig::describe);
  }

  @Test
  void sandboxAdd_withoutId_isAUsageErrorAndSendsNothing() {
    CommandResult result = withToken("sandbox", "add", "--ip", "127.0.0.2");

    assertEquals(2, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("--id"), result::describe);
  }
}
