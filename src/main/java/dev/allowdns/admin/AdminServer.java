package dev.allowdns.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.allowdns.config.HostPort;
import dev.allowdns.limit.SandboxUse;
import dev.allowdns.sandbox.SandboxRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP API. Requests are answered by a small thread pool, off the DNS and relay event
 * loops. Bad requests get a 4xx with a JSON {@code error} message, never a stack trace.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  private static final int MAX_BODY = 64 * 1024;

  /** What the API does; the running server implements it. */
  public interface Api {
    /** Reloads the zones (or only reports what would change). Never throws for bad zones. */
    ReloadReport reload(boolean dryRun);

    /** Returns every sandbox: the config file's and the registered ones. */
    List<SandboxView> sandboxes();

    /**
     * Registers a sandbox network.
     *
     * @throws IllegalArgumentException for a bad registration (400)
     */
    void addSandbox(SandboxRegistry.Registration registration) throws IOException;

    /** Removes a registered sandbox; returns how many networks went (0: not found). */
    int removeSandbox(String id) throws IOException;

    /** Returns the policy generation in force. */
    long generation();

    /** Returns the SOA serial of the transferred policy in force, {@code null} when not a secondary. */
    Long policySerial();

    /** Returns why the server is degraded (a record log that cannot be written), empty when not. */
    default List<String> degraded() {
      return List.of();
    }
  }

  /**
   * One sandbox network as the API lists it.
   *
   * @param source {@code config} (the YAML file, read-only) or {@code registered} (run time)
   * @param limits its policy's limits in force, key → value as the config says it
   * @param use what it uses of them now
   */
  public record SandboxView(
      String cidr, String id, String taskId, String user, String policy, String source,
      Map<String, String> limits, SandboxUse use) {}

  private final HttpServer server;
  private final ExecutorService pool;

  private AdminServer(HttpServer server, ExecutorService pool) {
    this.server = server;
    this.pool = pool;
  }

  /**
   * Starts the API on {@code listen}.
   *
   * @param tokenFile a file holding the bearer token every request must carry, or {@code null}
   *     (allowed only on a loopback address)
   * @throws IllegalStateException for a non-loopback address without a token, an unreadable
   *     token file, or an address that cannot be bound
   */
  public static AdminServer start(
      HostPort listen, Path tokenFile, Api api, PrometheusMeterRegistry registry, EventHub events) {
    String token = null;
    if (tokenFile != null) {
      try {
        token = Files.readString(tokenFile).trim();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read --admin-token-file " + tokenFile + ": " + e.getMessage());
      }
      if (token.isEmpty()) {
        throw new IllegalStateException("--admin-token-file " + tokenFile + " is empty");
      }
    } else if (!listen.address().isLoopbackAddress()) {
      throw new IllegalStateException(
          "admin_listen " + listen + " is not a loopback address: give --admin-token-file too");
    }
    HttpServer server;
    try {
      server = HttpServer.create(listen.socketAddress(), 64);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on admin " + listen + ": " + e.getMessage(), e);
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "allowdns-admin");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    Routes routes = new Routes(api, registry, events, token);
    server.createContext("/", routes::handle);
    server.start();
    return new AdminServer(server, pool);
  }

  /** Returns the bound address (with the real port when 0 was asked for). */
  public HostPort address() {
    return new HostPort(server.getAddress().getAddress(), server.getAddress().getPort());
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
    try {
      pool.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The request routing: path and method to a handler, errors to 4xx. */
  private record Routes(Api api, PrometheusMeterRegistry registry, EventHub events, String token) {
    /**
     * Returns {@code {"status":"ok","generation":N,"policy_serial":S}}, in that order; degraded:
     * {@code "status":"degraded"} and, last, {@code "degraded":[why, ...]}.
     */
    private Map<String, Object> health(List<String> degraded) {
      Map<String, Object> health = new LinkedHashMap<>();
      health.put("status", degraded.isEmpty() ? "ok" : "degraded");
      health.put("generation", api.generation());
      health.put("policy_serial", api.policySerial());
      if (!degraded.isEmpty()) {
        health.put("degraded", degraded);
      }
      return health;
    }

    /** Answers 200 while healthy, 503 while degraded: a probe that reads only the status sees it. */
    private void sendHealth(HttpExchange exchange) throws IOException {
      List<String> degraded = api.degraded();
      send(exchange, degraded.isEmpty() ? 200 : 503, health(degraded));
    }

    void handle(HttpExchange exchange) throws IOException {
      try {
        route(exchange);
      } catch (BadRequest e) {
        send(exchange, 400, Map.of("error", e.getMessage()));
      } catch (IOException e) {
        log.debug("admin request failed: {}", e.toString()); // the client went away
      } catch (RuntimeException e) {
        log.error("admin request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
        send(exchange, 500, Map.of("error", "internal error: " + e.getClass().getSimpleName()));
      } finally {
        exchange.close();
      }
    }

    private void route(HttpExchange exchange) throws IOException {
      if (token != null && !authorized(exchange)) {
        send(exchange, 401, Map.of("error", "missing or wrong bearer token"));
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      switch (path) {
        case "/metrics" -> only(exchange, "GET", () -> metrics(exchange));
        case "/healthz" -> only(exchange, "GET", () -> sendHealth(exchange));
        case "/reload" -> only(exchange, "POST", () -> reload(exchange));
        case "/sandboxes" -> sandboxes(exchange, method);
        case "/events" -> only(exchange, "GET", () -> events(exchange));
        default -> send(exchange, 404, Map.of("error", "no such endpoint: " + path));
      }
    }

    private boolean authorized(HttpExchange exchange) {
      String header = exchange.getRequestHeaders().getFirst("Authorization");
      String expected = "Bearer " + token;
      return header != null
          && MessageDigest.isEqual(
              header.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    private interface Action {
      void run() throws IOException;
    }

    private void only(HttpExchange exchange, String method, Action action) throws IOException {
      if (!exchange.getRequestMethod().equals(method)) {
        exchange.getResponseHeaders().add("Allow", method);
        send(exchange, 405, Map.of("error", "use " + method + " for " + exchange.getRequestURI().getPath()));
        return;
      }
      action.run();
    }

    private void metrics(HttpExchange exchange) throws IOException {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }

    private void reload(HttpExchange exchange) throws IOException {
      boolean dryRun = "true".equals(query(exchange.getRequestURI()).get("dry_run"));
      ReloadReport report = api.reload(dryRun);
      send(exchange, report.valid() ? 200 : 422, report);
    }

    private void sandboxes(HttpExchange exchange, String method) throws IOException {
      switch (method) {
        case "GET" -> send(exchange, 200, api.sandboxes());
        case "POST" -> {
          SandboxRegistry.Registration registration = registrationOf(body(exchange));
          try {
            api.addSandbox(registration);
          } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
          }
          send(exchange, 201, registration);
        }
        case "DELETE" -> {
          String id = query(exchange.getRequestURI()).get("id");
          if (id == null || id.isBlank()) {
            throw new BadRequest("DELETE /sandboxes needs ?id=ID");
          }
          int removed = api.removeSandbox(id);
          if (removed == 0) {
            send(exchange, 404, Map.of("error", "no registered sandbox '" + id + "' (config file sandboxes cannot be removed)"));
          } else {
            send(exchange, 200, Map.of("removed", removed, "id", id));
          }
        }
        default -> {
          exchange.getResponseHeaders().add("Allow", "GET, POST, DELETE");
          send(exchange, 405, Map.of("error", "use GET, POST or DELETE for /sandboxes"));
        }
      }
    }

    private void events(HttpExchange exchange) throws IOException {
      exchange.getResponseHeaders().add("Content-Type", "application/x-ndjson");
      exchange.sendResponseHeaders(200, 0); // chunked, until the client goes away
      EventHub.Viewer viewer = events.join();
      try (OutputStream out = exchange.getResponseBody()) {
        out.flush();
        while (true) {
          String line = viewer.lines.poll(1, TimeUnit.SECONDS);
          if (line == null) {
            out.write('\n'); // a heartbeat, so a vanished client is noticed
          } else {
            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
          }
          out.flush();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        events.leave(viewer);
      }
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
      try (InputStream in = exchange.getRequestBody()) {
        byte[] body = in.readNBytes(MAX_BODY + 1);
        if (body.length > MAX_BODY) {
          throw new BadRequest("body larger than " + MAX_BODY + " bytes");
        }
        return body;
      }
    }

    private static void send(HttpExchange exchange, int status, Object body) throws IOException {
      byte[] bytes = JSON.writeValueAsBytes(body);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /**
   * Reads the body of {@code POST /sandboxes}.
   *
   * @throws BadRequest when it is not one sandbox JSON object
   */
  static SandboxRegistry.Registration registrationOf(byte[] body) throws BadRequest {
    SandboxRegistry.Registration registration;
    try {
      registration = JSON.readValue(body, SandboxRegistry.Registration.class);
    } catch (UnrecognizedPropertyException e) {
      throw new BadRequest("unknown field '" + e.getPropertyName() + "' (known: cidr, id, task_id, user, policy)");
    } catch (IOException e) { // JsonProcessingException, and CharConversionException for bad bytes
      throw new BadRequest("body is not a sandbox JSON object: " + originalMessage(e));
    }
    if (registration == null) {
      throw new BadRequest("body is empty: expected {\"id\": ..., \"cidr\": ...}");
    }
    return registration;
  }

  private static String originalMessage(IOException e) {
    return e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
  }

  /**
   * Returns the parameters of a request's query string. The HTTP server has parsed the URI, so
   * every {@code %} is followed by two hex digits, as URLDecoder needs.
   */
  static Map<String, String> query(URI uri) {
    Map<String, String> params = new HashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null) {
      return params;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      params.put(key, value);
    }
    return params;
  }

  /** A request the client got wrong: answered 400 with its message. */
  static final class BadRequest extends IOException {
    BadRequest(String message) {
      super(message);
    }
  }
}
