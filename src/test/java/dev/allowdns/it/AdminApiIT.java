package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertAnswered;
import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.AllowdnsProcess;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStack;
import dev.allowdns.testing.ResolverStackExtension;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin HTTP API through real HTTP requests, and the signals and watches that reload. */
@RequiresPrograms({"knotd", "dig"})
class AdminApiIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();
  private static String admin;

  @BeforeAll
  static void start() {
    admin = "http://" + stack.allowdns().adminAddress();
  }

  private static HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin + path)).timeout(Duration.ofSeconds(10));
    request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> response) throws IOException {
    return JSON.readTree(response.body());
  }

  private static long generation() throws Exception {
    return json(send("GET", "/healthz", null)).path("generation").asLong();
  }

  private static void awaitGeneration(LongPredicate wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long seen = generation();
    while (!wanted.test(seen) && System.nanoTime() < deadline) {
      Thread.sleep(100);
      seen = generation();
    }
    assertTrue(wanted.test(seen), "generation is still " + seen);
  }

  @Test
  void healthz_saysOkAndTheGeneration() throws Exception {
    HttpResponse<String> response = send("GET", "/healthz", null);
    assertEquals(200, response.statusCode());
    assertEquals("ok", json(response).path("status").asText());
    assertTrue(json(response).path("generation").asLong() >= 1, response::body);
  }

  @Test
  void metrics_countTheQueriesJustAnswered() throws Exception {
    assertBlocked(stack.dig().query("metrics-probe.blocked.test", "A"), "default");
    HttpResponse<String> response = send("GET", "/metrics", null);
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    assertTrue(
        response.body().lines().anyMatch(l -> l.startsWith("allowdns_dns_queries_total{") && l.contains("result=\"blocked\"")),
        response::body);
    assertTrue(response.body().contains("allowdns_policy_generation"), "no generation gauge");
    assertTrue(response.body().contains("jvm_memory_used_bytes"), "no JVM metrics");
  }

  @Test
  void reload_dryRunShowsTheChange_thenApplyMakesTheNameResolve() throws Exception {
    Path zone = stack.allowdns().zonesDir().resolve("added.zone");
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");
    long before = generation();
    Files.writeString(zone, "unlisted.it.test\n");
    try {
      HttpResponse<String> dry = send("POST", "/reload?dry_run=true", null);
      assertEquals(200, dry.statusCode(), dry::body);
      assertTrue(json(dry).path("dry_run").asBoolean(), dry::body);
      assertEquals("added: unlisted.it.test", json(dry).path("changes").path("default").path("added").get(0).asText(), dry::body);
      assertEquals(before, generation(), "a dry run changes nothing");
      assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");

      HttpResponse<String> applied = send("POST", "/reload", null);
      assertEquals(200, applied.statusCode(), applied::body);
      assertTrue(json(applied).path("applied").asBoolean(), applied::body);
      assertTrue(generation() > before);
      assertAnswered(stack.dig().query("unlisted.it.test", "A"));
    } finally {
      Files.deleteIfExists(zone);
      send("POST", "/reload", null);
    }
    // Removed again: it stops resolving at once, cached answer or not.
    assertBlocked(stack.dig().query("unlisted.it.test", "A"), "default");
  }

  @Test
  void reload_brokenZone_is422WithEveryErrorAndTheOldPolicyStays() throws Exception {
    Path broken = stack.allowdns().zonesDir().resolve("broken.zone");
    long before = generation();
    Files.writeString(broken, "ok.it.test\n*.com\nspace in name\n");
    try {
      HttpResponse<String> response = send("POST", "/reload", null);
      assertEquals(422, response.statusCode(), response::body);
      JsonNode errors = json(response).path("errors");
      assertEquals(2, errors.size(), response::body);
      assertTrue(errors.get(0).asText().startsWith(broken + ":2: "), response::body);
      assertTrue(errors.get(1).asText().startsWith(broken + ":3: "), response::body);
      assertFalse(json(response).path("applied").asBoolean(), response::body);
      assertEquals(before, generation());
      assertAnswered(stack.dig().query("www.it.test", "A"));
    } finally {
      Files.deleteIfExists(broken);
    }
  }

  @Test
  void sandboxes_addListRemove_andBadRequestsGet4xx() throws Exception {
    HttpResponse<String> added =
        send("POST", "/sandboxes", "{\"id\":\"vm-api\",\"cidr\":\"10.77.0.2/32\",\"task_id\":\"t-api\"}");
    assertEquals(201, added.statusCode(), added::body);
    HttpResponse<String> listed = send("GET", "/sandboxes", null);
    assertTrue(listed.body().contains("\"id\":\"vm-api\"") && listed.body().contains("\"source\":\"registered\""), listed::body);
    Path state = stack.allowdns().workDir().resolve("state/sandboxes.json");
    assertTrue(Files.readString(state).contains("vm-api"), "saved to " + state);

    assertEquals(400, send("POST", "/sandboxes", "{\"id\":").statusCode());
    assertEquals(400, send("POST", "/sandboxes", "{\"id\":\"x\",\"cidr\":\"10.0.0.1\",\"policy\":\"nope\"}").statusCode());
    assertEquals(400, send("POST", "/sandboxes", "{\"id\":\"x\",\"cidr\":\"10.0.0.1/40\"}").statusCode());
    HttpResponse<String> unknownField = send("POST", "/sandboxes", "{\"id\":\"x\",\"ip\":\"10.0.0.1\"}");
    assertEquals(400, unknownField.statusCode());
    assertTrue(json(unknownField).path("error").asText().contains("unknown field 'ip'"), unknownField::body);
    assertFalse(unknownField.body().contains("Exception"), "no stack trace: " + unknownField.body());

    assertEquals(200, send("DELETE", "/sandboxes?id=vm-api", null).statusCode());
    assertEquals(404, send("DELETE", "/sandboxes?id=vm-api", null).statusCode());
    assertEquals(400, send("DELETE", "/sandboxes", null).statusCode());
    assertFalse(Files.readString(state).contains("vm-api"));
  }

  @Test
  void unknownPathAndWrongMethod_are404And405() throws Exception {
    assertEquals(404, send("GET", "/nope", null).statusCode());
    HttpResponse<String> wrong = send("GET", "/reload", null);
    assertEquals(405, wrong.statusCode());
    assertEquals("POST", wrong.headers().firstValue("Allow").orElse(""));
  }

  @Test
  void events_streamsARecordAsItIsWritten() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(admin + "/events")).build();
    HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    try (InputStream in = response.body()) {
      CompletableFuture<String> seen =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  StringBuilder line = new StringBuilder();
                  for (int b; (b = in.read()) >= 0; ) {
                    if (b != '\n') {
                      line.append((char) b);
                    } else if (line.toString().contains("events-probe.blocked.test")) {
                      return line.toString();
                    } else {
                      line.setLength(0);
                    }
                  }
                  return null;
                } catch (IOException e) {
                  return null;
                }
              });
      Thread.sleep(300); // let the viewer register
      assertBlocked(stack.dig().query("events-probe.blocked.test", "A"), "default");
      String line = seen.get(10, TimeUnit.SECONDS);
      assertTrue(line.contains("\"result\":\"blocked\""), line);
    }
  }

  @Test
  void sighup_reloadsTheZones() throws Exception {
    Path zone = stack.allowdns().zonesDir().resolve("hup.zone");
    long before = generation();
    Files.writeString(zone, "hup.it.test\n");
    try {
      Runtime.getRuntime().exec(new String[] {"kill", "-HUP", Long.toString(stack.allowdns().pid())}).waitFor();
      awaitGeneration(g -> g > before);
    } finally {
      Files.deleteIfExists(zone);
      send("POST", "/reload", null);
    }
  }

  @Test
  void watchZones_reloadsWhenAZoneFileChanges() throws Exception {
    try (AllowdnsProcess watched =
        AllowdnsProcess.builder()
            .zonesFromResource(ResolverStack.ZONES)
            .upstream(stack.upstream().address())
            .flag("--watch-zones", "true")
            .start()) {
      String address = "http://" + watched.adminAddress();
      Files.writeString(watched.zonesDir().resolve("watched.zone"), "watched.it.test\n");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long generation = 1;
      while (generation == 1 && System.nanoTime() < deadline) {
        Thread.sleep(100);
        HttpResponse<String> health =
            HTTP.send(HttpRequest.newBuilder(URI.create(address + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        generation = JSON.readTree(health.body()).path("generation").asLong();
      }
      assertEquals(2, generation, "one reload for one change");
    }
  }

  @Test
  void token_everyRequestNeedsIt() throws Exception {
    Path token = Files.createTempFile("allowdns-token", ".txt");
    Files.writeString(token, "s3cret-token\n");
    try (AllowdnsProcess guarded =
        AllowdnsProcess.builder()
            .zonesFromResource(ResolverStack.ZONES)
            .upstream(stack.upstream().address())
            .flag("--admin-token-file", token.toString())
            .start()) {
      URI health = URI.create("http://" + guarded.adminAddress() + "/healthz");
      HttpResponse<String> without = HTTP.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, without.statusCode());
      HttpResponse<String> wrong =
          HTTP.send(HttpRequest.newBuilder(health).header("Authorization", "Bearer nope").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(401, wrong.statusCode());
      HttpResponse<String> with =
          HTTP.send(HttpRequest.newBuilder(health).header("Authorization", "Bearer s3cret-token").build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, with.statusCode());
    } finally {
      Files.deleteIfExists(token);
    }
  }

  @Test
  void nonLoopbackAdminWithoutToken_refusesToStart() throws Exception {
    Path dir = Files.createTempDirectory("allowdns-admin");
    CommandResult result =
        AllowdnsCli.run(
            dir,
            "serve",
            "--listen", "127.0.0.1:0",
            "--upstream", stack.upstream().address(),
            "--zones", stack.allowdns().zonesDir().toString(),
            "--log-dir", dir.resolve("logs").toString(),
            "--admin-listen", "0.0.0.0:0");
    assertEquals(2, result.exitCode(), result::toString);
    assertTrue(result.stderr().contains("--admin-token-file"), result::toString);
    Path queries = dir.resolve("logs/queries.jsonl");
    assertTrue(!Files.exists(queries) || Files.readString(queries).isEmpty(), "served nothing");
  }
}
