package dev.allowdns.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.allowdns.config.Cidr;
import dev.allowdns.state.StateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The sandboxes registered at run time (CLI, admin API), persisted to {@code STATE_DIR/
 * sandboxes.json} with an atomic replace, restored on restart. The config file's sandboxes are
 * kept apart and never changed. Thread-safe: changes are serialised and published as a new
 * immutable {@link Sandboxes}.
 */
public final class SandboxRegistry {
  /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .enable(SerializationFeature.INDENT_OUTPUT);
  }

  /** One registered network, as stored and as the admin API speaks it. */
  public record Registration(
      String cidr, String id, String taskId, String user, String policy, String netns, Integer netnsPid) {
    /** A registration of a sandbox the host cannot look into. */
    public Registration(String cidr, String id, String taskId, String user, String policy) {
      this(cidr, id, taskId, user, policy, null, null);
    }

    /** Returns the directory entry, or throws naming the bad field. */
    Sandboxes.Entry toEntry(String defaultPolicy) {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("a sandbox needs an id");
      }
      if (cidr == null) {
        throw new IllegalArgumentException("sandbox '" + id + "' needs an ip or cidr");
      }
      return new Sandboxes.Entry(
          Cidr.parse(cidr),
          new Sandbox(
              id, taskId, user, policy == null ? defaultPolicy : policy, Sandbox.netnsFile(netns, netnsPid)));
    }
  }

  private final Path file;
  private final List<Sandboxes.Entry> fromConfig;
  private final String loopbackPolicy;
  private List<Registration> registered;
  private volatile Sandboxes current;

  private SandboxRegistry(
      Path file, List<Sandboxes.Entry> fromConfig, String loopbackPolicy, List<Registration> registered) {
    this.file = file;
    this.fromConfig = List.copyOf(fromConfig);
    this.loopbackPolicy = loopbackPolicy;
    this.registered = List.copyOf(registered);
    this.current = build();
  }

  /**
   * Opens the registry, restoring what {@code stateDir/sandboxes.json} holds.
   *
   * @throws IOException when the state file exists but cannot be read or parsed
   */
  public static SandboxRegistry open(Path stateDir, List<Sandboxes.Entry> fromConfig, String loopbackPolicy)
      throws IOException {
    Path file = stateDir.resolve("sandboxes.json");
    List<Registration> saved = List.of();
    if (Files.exists(file)) {
      try {
        saved = Json.MAPPER.readValue(file.toFile(), new TypeReference<List<Registration>>() {});
      } catch (IOException e) {
        throw new IOException(file + ": cannot read registered sandboxes: " + e.getMessage(), e);
      }
      for (Registration r : saved) {
        try {
          r.toEntry(loopbackPolicy);
        } catch (IllegalArgumentException e) {
          throw new IOException(file + ": " + e.getMessage(), e);
        }
      }
    }
    return new SandboxRegistry(file, fromConfig, loopbackPolicy, saved);
  }

  /** Returns the directory now in force: config sandboxes and registered ones. */
  public Sandboxes current() {
    return current;
  }

  /** Returns the run-time registrations, in the order they were added. */
  public synchronized List<Registration> registered() {
    return registered;
  }

  /** Returns the sandboxes of the config file (read-only here). */
  public List<Sandboxes.Entry> fromConfig() {
    return fromConfig;
  }

  /**
   * Registers a network for a sandbox and saves the registry. Registering the same network again
   * replaces its entry.
   *
   * @throws IllegalArgumentException for a bad registration, or a network the config file owns
   */
  public synchronized void add(Registration registration) throws IOException {
    Sandboxes.Entry entry = registration.toEntry(loopbackPolicy);
    for (Sandboxes.Entry e : fromConfig) {
      if (e.cidr().equals(entry.cidr())) {
        throw new IllegalArgumentException(
            entry.cidr() + " belongs to sandbox '" + e.sandbox().id() + "' of the config file");
      }
    }
    List<Registration> next = new ArrayList<>();
    for (Registration r : registered) {
      if (!Cidr.parse(r.cidr()).equals(entry.cidr())) {
        next.add(r);
      }
    }
    next.add(registration);
    save(next);
  }

  /**
   * Removes every network registered for sandbox {@code id} and saves the registry.
   *
   * @return how many networks were removed (0: no such run-time sandbox)
   */
  public synchronized int remove(String id) throws IOException {
    Objects.requireNonNull(id, "id");
    List<Registration> next = registered.stream().filter(r -> !r.id().equals(id)).toList();
    int removed = registered.size() - next.size();
    if (removed > 0) {
      save(next);
    }
    return removed;
  }

  private void save(List<Registration> next) throws IOException {
    StateFile.replace(file, Json.MAPPER.writeValueAsBytes(next));
    registered = List.copyOf(next);
    current = build();
  }

  private Sandboxes build() {
    List<Sandboxes.Entry> all = new ArrayList<>(fromConfig);
    for (Registration r : registered) {
      all.add(r.toEntry(loopbackPolicy));
    }
    return Sandboxes.of(all, loopbackPolicy);
  }

}
