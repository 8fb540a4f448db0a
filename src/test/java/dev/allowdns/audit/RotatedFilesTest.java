package dev.allowdns.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotatedFilesTest {
  private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
  private static final Duration DAYS_90 = Duration.ofDays(90);

  @TempDir Path dir;

  @Test
  void maintain_maxAge_deletesOnlyThisLogsRotatedFilesOlderThanIt() throws Exception {
    Path current = file("queries.jsonl", 200);
    Path old = file("queries.2026-01-10.0.jsonl.gz", 91);
    Path olderStill = file("queries.2026-01-09.3.jsonl.gz", 400);
    Path oldAfterClash = file("queries.2026-01-09.3.1767916800000.jsonl.gz", 120);
    Path newer = file("queries.2026-05-30.0.jsonl.gz", 89);
    Path otherLog = file("connections.2026-01-10.0.jsonl.gz", 200);
    Path unrelated = file("queries.backup.jsonl.gz", 300);
    Path notes = file("notes.txt", 300);

    new RotatedFiles(current, 1L << 30, DAYS_90).maintain(NOW);

    assertEquals(
        List.of(
            "connections.2026-01-10.0.jsonl.gz",
            "notes.txt",
            "queries.2026-05-30.0.jsonl.gz",
            "queries.backup.jsonl.gz",
            "queries.jsonl"),
        listing(),
        "deleted " + old + ", " + olderStill + ", " + oldAfterClash + "; kept " + newer + ", "
            + otherLog + ", " + unrelated + ", " + notes);
  }

  @Test
  void maintain_oldRotatedFileNotYetCompressed_isCompressedKeepingItsTimeThenDeleted() throws Exception {
    Path current = file("connections.jsonl", 0);
    file("connections.2026-02-01.0.jsonl", 100);
    Path recent = file("connections.2026-05-31.0.jsonl", 1);

    new RotatedFiles(current, 1L << 30, DAYS_90).maintain(NOW);

    assertEquals(List.of("connections.2026-05-31.0.jsonl.gz", "connections.jsonl"), listing());
    Path gz = dir.resolve("connections.2026-05-31.0.jsonl.gz");
    assertEquals(Files.getLastModifiedTime(gz), FileTime.from(NOW.minus(Duration.ofDays(1))));
    try (var in = new GZIPInputStream(Files.newInputStream(gz))) {
      assertEquals("{\"file\":\"" + recent.getFileName() + "\"}\n", new String(in.readAllBytes()));
    }
  }

  @Test
  void maintain_sizeReachedBeforeAge_deletesTheOldestBeyondTheTotal() throws Exception {
    Path current = file("queries.jsonl", 0);
    file("queries.2026-05-29.0.jsonl.gz", 3);
    file("queries.2026-05-30.0.jsonl.gz", 2);
    file("queries.2026-05-31.0.jsonl.gz", 1);
    long oneFile = Files.size(dir.resolve("queries.2026-05-31.0.jsonl.gz"));
    long currentSize = Files.size(current);

    new RotatedFiles(current, currentSize + 2 * oneFile, DAYS_90).maintain(NOW);

    assertEquals(
        List.of("queries.2026-05-30.0.jsonl.gz", "queries.2026-05-31.0.jsonl.gz", "queries.jsonl"),
        listing());
  }

  @Test
  void new_unboundedRetention_isRefused() {
    Path current = dir.resolve("queries.jsonl");
    assertThrows(IllegalArgumentException.class, () -> new RotatedFiles(current, 1000, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> new RotatedFiles(current, 0, DAYS_90));
  }

  @Test
  void open_rotatedFilesPastTheAge_areDeletedAtStartWithoutAnyRecord() throws Exception {
    Path old = file("queries.2020-01-01.0.jsonl.gz", 0);
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofDays(31))));
    Path kept = file("queries.2020-01-02.0.jsonl.gz", 0);
    Files.setLastModifiedTime(kept, FileTime.from(Instant.now().minus(Duration.ofDays(29))));

    RecordLog log = RecordLog.open(dir, "queries", "1MB", "10MB", Duration.ofDays(30));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (Files.exists(old) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    log.close();

    assertTrue(!Files.exists(old), "a rotated file 31 days old outlived a 30d limit at start");
    assertTrue(Files.exists(kept), "a rotated file 29 days old was deleted by a 30d limit");
  }

  @Test
  void close_afterWritingWithMaxAge_keepsEveryRecordOfTheCurrentFile() throws Exception {
    RecordLog log = RecordLog.open(dir, "connections", "1MB", "10MB", Duration.ofMillis(1));
    log.write(Map.of("i", 1));
    Thread.sleep(50); // the current file is now older than the age limit: it is never deleted
    log.write(Map.of("i", 2));
    log.close();
    assertEquals(List.of("{\"i\":1}", "{\"i\":2}"), Files.readAllLines(dir.resolve("connections.jsonl")));
  }

  /** Writes a small file (gzipped when the name says so) last modified {@code daysAgo} before NOW. */
  private Path file(String name, int daysAgo) throws IOException {
    Path path = dir.resolve(name);
    String line = "{\"file\":\"" + name.replace(".gz", "") + "\"}\n";
    if (name.endsWith(".gz")) {
      Path plain = dir.resolve(name + ".plain");
      Files.writeString(plain, line);
      RotatedFiles.gzip(plain, path);
      Files.delete(plain);
    } else {
      Files.writeString(path, line);
    }
    Files.setLastModifiedTime(path, FileTime.from(NOW.minus(Duration.ofDays(daysAgo))));
    return path;
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
