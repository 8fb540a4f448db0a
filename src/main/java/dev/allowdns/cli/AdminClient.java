package dev.allowdns.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.allowdns.admin.AdminServer;
import dev.allowdns.admin.ReloadReport;
import dev.allowdns.config.HostPort;
import dev.allowdns.sandbox.SandboxRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Speaks to a running server's admin HTTP API ({@link AdminServer}) for the client commands. Every
 * failure (unreachable, refused token, an error answer) is one {@link Failure} whose message names
 * the address and what to do.
 */
final class AdminClient {
  /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** A reload parses every zone file: allow it time on a big allowlist. */
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private static final int MAX_ERROR_BODY = 64 * 1024;

  /** A request that did not get the answer it needed; the message is for the user. */
  static final class Failure extends Exception {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  private final HostPort address;
  private final String token;
  private final HttpClient http;

  /**
   * @param token the bearer token, or {@code null} to send none
   */
  AdminClient(HostPort address, String token) {
    this.address = address;
    this.token = token;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // the server speaks HTTP/1.1 only
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
  }

  HostPort address() {
    return address;
  }

  /**
   * Asks the server to reload its zones (or, for a dry run, to say what would change). A reload
   * refused for invalid zones is a report with errors, not a failure.
   */
  ReloadReport reload(boolean dryRun) throws Failure {
    HttpResponse<String> response =
        send(
            request("/reload" + (dryRun ? "?dry_run=true" : ""))
                .POST(HttpRequest.BodyPublishers.noBody()));
    expect(response, Set.of(200, 422));
    return parse(response, new TypeReference<>() {});
  }

  /** Returns every sandbox network the server knows: the config file's and the registered ones. */
  List<AdminServer.SandboxView> sandboxes() throws Failure {
    HttpResponse<String> response = send(request("/sandboxes").GET());
    expect(response, Set.of(200));
    return parse(response, new TypeReference<>() {});
  }

  /** Registers a sandbox network; returns it as the server stored it. */
  SandboxRegistry.Registration addSandbox(SandboxRegistry.Registration registration)
      throws Failure {
    String body;
    try {
      body = Json.MAPPER.writeValueAsString(registration);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a registration as JSON", e);
    }
    HttpResponse<String> response =
        send(
            request("/sandboxes")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    expect(response, Set.of(201));
    return parse(response, new TypeReference<>() {});
  }

  /** Removes every registered network of sandbox {@code id}; returns how many went. */
  int removeSandbox(String id) throws Failure {
    HttpResponse<String> response =
        send(request("/sandboxes?id=" + URLEncoder.encode(id, StandardCharsets.UTF_8)).DELETE());
    expect(response, Set.of(200));
    JsonNode answer = parse(response, new TypeReference<>() {});
    return answer.path("removed").asInt();
  }

  /**
   * Opens the live record stream ({@code GET /events}): one JSON line per record, and a blank line
   * every second while there is none. The caller closes it.
   */
  InputStream events() throws Failure {
    HttpResponse<InputStream> response;
    try {
      response =
          http.send(request("/events").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted while connecting to " + address);
    }
    if (response.statusCode() != 200) {
      String body;
      try (InputStream in = response.body()) {
        body = new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
      } catch (IOException e) {
        body = "";
      }
      throw refused(response.statusCode(), body);
    }
    return response.body();
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create("http://" + address + pathAndQuery))
            .timeout(REQUEST_TIMEOUT);
    if (token != null) {
      builder.header("Authorization", "Bearer " + token);
    }
    return builder;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Failure {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure("interrupted while waiting for " + address);
    }
  }

  private void expect(HttpResponse<String> response, Set<Integer> statuses) throws Failure {
    if (!statuses.contains(response.statusCode())) {
      throw refused(response.statusCode(), response.body());
    }
  }

  private <T> T parse(HttpResponse<String> response, TypeReference<T> type) throws Failure {
    try {
      return Json.MAPPER.readValue(response.body(), type);
    } catch (JsonProcessingException e) {
      throw new Failure(
          "the admin API at "
              + address
              + " answered "
              + response.statusCode()
              + " with a body that is not the expected JSON: "
              + e.getOriginalMessage());
    }
  }

  private Failure unreachable(IOException e) {
    String why;
    if (e instanceof HttpConnectTimeoutException) {
      why = "no connection within " + CONNECT_TIMEOUT.toSeconds() + " s";
    } else if (e instanceof HttpTimeoutException) {
      return new Failure(
          "the admin API at "
              + address
              + " gave no answer within "
              + REQUEST_TIMEOUT.toSeconds()
              + " s");
    } else if (e instanceof ConnectException) {
      why = "connection refused";
    } else {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
    return new Failure(
        "cannot reach the allowdns admin API at "
            + address
            + " ("
            + why
            + "): is `allowdns serve` running with --admin-listen "
            + address
            + "? (choose another with --admin HOST:PORT)");
  }

  private Failure refused(int status, String body) {
    if (status == 401) {
      return new Failure(
          "the admin API at "
              + address
              + " refused the request (401 Unauthorized): "
              + (token == null
                  ? "it needs a bearer token: pass --admin-token-file FILE"
                  : "the token in --admin-token-file is not the server's"));
    }
    return new Failure(
        "the admin API at " + address + " answered " + status + ": " + errorText(body));
  }

  /** Returns the {@code error} of a JSON error body, else the body itself. */
  private static String errorText(String body) {
    try {
      JsonNode node = Json.MAPPER.readTree(body);
      if (node != null && node.hasNonNull("error")) {
        return node.get("error").asText();
      }
    } catch (JsonProcessingException e) {
      // not JSON: show it as it came
    }
    return body == null || body.isBlank() ? "(no message)" : body.strip();
  }
}
