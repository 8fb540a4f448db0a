package dev.allowdns.testing.netns;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Reads a JSON-lines record log of allowdns ({@code connections.jsonl}, {@code queries.jsonl}).
 * Records are written asynchronously, so the {@code await} methods poll for a while.
 */
public final class JsonLinesLog {
  private final Path file;

  public JsonLinesLog(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** Returns every complete record written so far (a half-written last line is left out). */
  public List<JsonNode> records() {
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      int end = text.lastIndexOf('\n');
      if (end < 0) {
        return List.of();
      }
      return text.substring(0, end).lines()
          .filter(line -> !line.isBlank())
          .map(ByteService::parse)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Waits for the first record matching {@code wanted}; empty if none came in time. */
  public Optional<JsonNode> await(Predicate<JsonNode> wanted, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<JsonNode> found = records().stream().filter(wanted).findFirst();
      if (found.isPresent() || System.nanoTime() > deadline) {
        return found;
      }
      Thread.sleep(50);
    }
  }

  /** Waits until at least {@code count} records match; returns the matches at that point. */
  public List<JsonNode> awaitCount(Predicate<JsonNode> wanted, int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<JsonNode> found = records().stream().filter(wanted).toList();
      if (found.size() >= count || System.nanoTime() > deadline) {
        return found;
      }
      Thread.sleep(50);
    }
  }

  /** Returns the whole log, for failure messages. */
  public String describe() {
    return describe(Integer.MAX_VALUE);
  }

  /** Returns the log's last {@code most} records, for reports of logs that may be long. */
  public String describe(int most) {
    List<JsonNode> records = records();
    List<JsonNode> shown = records.subList(Math.max(0, records.size() - most), records.size());
    StringBuilder text = new StringBuilder(file + " (" + records.size() + " records");
    text.append(shown.size() < records.size() ? ", the last " + shown.size() + "):" : "):");
    shown.forEach(r -> text.append("\n  ").append(r));
    return text.toString();
  }
}
