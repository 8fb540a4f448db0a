package dev.allowdns.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Reads allowdns's query log ({@code queries.jsonl}, one JSON object per line). The server writes
 * it asynchronously, so lookups poll for a few seconds before they give up.
 */
public final class QueryLog {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEFAULT_WAIT = Duration.ofSeconds(15); // an upper bound: a loaded machine is slow

  private final Path file;

  QueryLog(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Returns every complete entry written so far (a half-written last line is left out). */
  public List<JsonNode> entries() {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException notYet) {
      return List.of();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    List<JsonNode> entries = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    // The last element is "" after a final newline, or a line still being written.
    for (int i = 0; i < lines.length - 1; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      try {
        entries.add(JSON.readTree(lines[i]));
      } catch (IOException e) {
        throw new AssertionError("query log line " + (i + 1) + " is not JSON: " + lines[i], e);
      }
    }
    return entries;
  }

  /** Returns the entries for one query name (compared without case and trailing dot). */
  public List<JsonNode> entriesFor(String name) {
    return entries().stream().filter(forName(name)).toList();
  }

  /**
   * Waits until {@code count} entries match and returns them, oldest first; fails with the log's
   * contents after 5 s.
   */
  public List<JsonNode> await(Predicate<JsonNode> wanted, int count) {
    long deadline = System.nanoTime() + DEFAULT_WAIT.toNanos();
    while (true) {
      List<JsonNode> matching = entries().stream().filter(wanted).toList();
      if (matching.size() >= count) {
        return matching;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "expected "
                + count
                + " matching query log entries within "
                + DEFAULT_WAIT
                + ", found "
                + matching.size()
                + " in "
                + file
                + ":\n"
                + contents());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }

  /** Waits for {@code count} entries for {@code name}; see {@link #await(Predicate, int)}. */
  public List<JsonNode> awaitFor(String name, int count) {
    return await(forName(name), count);
  }

  /** Waits for the first entry for {@code name} with query type {@code type}. */
  public JsonNode awaitFirst(String name, String type) {
    return await(forName(name).and(entry -> type.equalsIgnoreCase(entry.path("type").asText())), 1)
        .get(0);
  }

  /** Matches entries whose {@code name} is {@code name}, ignoring case and a trailing dot. */
  public static Predicate<JsonNode> forName(String name) {
    String wanted = normalise(name);
    return entry -> normalise(entry.path("name").asText("")).equals(wanted);
  }

  /** Returns the raw file, for assertion messages (the last 8 KB of it). */
  public String contents() {
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return text.length() > 8192 ? "..." + text.substring(text.length() - 8192) : text;
    } catch (IOException e) {
      return "(" + file + " not readable: " + e + ")";
    }
  }

  private static String normalise(String name) {
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
  }
}
