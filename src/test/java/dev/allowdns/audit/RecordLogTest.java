package dev.allowdns.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void close_afterConcurrentWrites_everyRecordIsInTheFile() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "100MB", "1GB", Duration.ofDays(90));
    int threads = 4;
    int perThread = 20_000; // more than the queue holds: writers must wait, not drop
    Thread[] writers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int thread = t;
      writers[t] =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  log.write(Map.of("thread", thread, "i", i));
                }
              });
      writers[t].start();
    }
    for (Thread w : writers) {
      w.join();
    }
    log.close();
    List<String> lines = Files.readAllLines(dir.resolve("queries.jsonl"));
    assertEquals(threads * perThread, lines.size());
    Set<String> seen = new HashSet<>();
    for (String line : lines) {
      JsonNode n = JSON.readTree(line);
      seen.add(n.get("thread").asInt() + "/" + n.get("i").asInt());
    }
    assertEquals(threads * perThread, seen.size());
  }

  @Test
  void write_fromThreadsTakingTurns_reachesTheFileInTheOrderWritten() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "100MB", "1GB", Duration.ofDays(90));
    Object turn = new Object();
    int[] next = {0};
    int total = 40_000;
    Thread[] writers = new Thread[4];
    for (int t = 0; t < writers.length; t++) {
      writers[t] =
          new Thread(
              () -> {
                while (true) {
                  synchronized (turn) { // one global order: each record after the one before
                    if (next[0] == total) {
                      return;
                    }
                    log.write(Map.of("n", next[0]++));
                  }
                }
              });
      writers[t].start();
    }
    for (Thread w : writers) {
      w.join();
    }
    log.close();
    List<String> lines = Files.readAllLines(dir.resolve("queries.jsonl"));
    assertEquals(total, lines.size());
    for (int i = 0; i < total; i++) {
      assertEquals(i, JSON.readTree(lines.get(i)).get("n").asInt(), "line " + i);
    }
  }

  @Test
  void write_pastMaxFileSize_rotatesIntoGzipWithoutLosingLines() throws Exception {
    RecordLog log = RecordLog.open(dir, "connections", "10KB", "10MB", Duration.ofDays(90));
    String padding = "x".repeat(200);
    int records = 500; // ~100 KB: several rotations
    for (int i = 0; i < records; i++) {
      log.write(Map.of("i", i, "pad", padding));
      if (i % 50 == 0) {
        Thread.sleep(20); // let the writer see the size grow between batches
      }
    }
    log.close();
    int total = Files.readAllLines(dir.resolve("connections.jsonl")).size();
    List<Path> rotated;
    try (Stream<Path> files = Files.list(dir)) {
      rotated = files.filter(p -> p.toString().endsWith(".jsonl.gz")).toList();
    }
    assertTrue(!rotated.isEmpty(), "expected rotated files in " + dir);
    for (Path gz : rotated) {
      total += countLines(gz);
    }
    assertEquals(records, total);
  }

  @Test
  void rotatedFiles_areCappedInTotal() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "10KB", "300KB", Duration.ofDays(90));
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 6000; i++) { // ~3 MB of poorly compressible text, far over the cap
      byte[] noise = new byte[250];
      random.nextBytes(noise);
      log.write(Map.of("i", i, "pad", java.util.HexFormat.of().formatHex(noise)));
    }
    log.close();
    long total;
    long archives;
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> all = files.toList();
      archives = all.stream().filter(p -> p.toString().endsWith(".gz")).count();
      total = all.stream().mapToLong(p -> p.toFile().length()).sum();
    }
    // Without the cap, ~1.5 MB of compressed archives would remain.
    assertTrue(archives > 1, "expected several rotated files in " + dir);
    assertTrue(total <= 300 * 1024, archives + " archives, " + total + " bytes in " + listing(dir));
  }

  @Test
  void write_fasterThanTheWriter_waitsAndLosesNothing() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "1GB", "2GB", Duration.ofDays(90));
    String padding = "y".repeat(1_000);
    int records = 40_000; // ~40 MB from one thread: far more than its buffers hold (about 1 MiB)
    for (int i = 0; i < records; i++) {
      log.write(Map.of("i", i, "pad", padding));
    }
    log.close();

    int expected = 0;
    try (BufferedReader in = Files.newBufferedReader(dir.resolve("queries.jsonl"))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        assertEquals(expected, JSON.readTree(line).get("i").asInt(), "one thread's lines stay in order");
        expected++;
      }
    }
    assertEquals(records, expected);
  }

  @Test
  void write_recordJacksonCannotEncode_isRefusedAndTheLogGoesOn() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "1MB", "10MB", Duration.ofDays(90));
    log.write(Map.of("i", 1));
    assertThrows(IllegalArgumentException.class, () -> log.write(new Object()));
    log.write(Map.of("i", 2));
    log.close();

    List<String> lines = Files.readAllLines(dir.resolve("queries.jsonl"));
    assertEquals(List.of("{\"i\":1}", "{\"i\":2}"), lines);
  }

  @Test
  void write_afterClose_isRefusedLoudly() {
    RecordLog log = RecordLog.open(dir, "queries", "1MB", "10MB", Duration.ofDays(90));
    log.close();
    assertThrows(IllegalStateException.class, () -> log.write(Map.of("late", true)));
  }

  @Test
  void write_afterAQuietSpell_isWrittenWithoutWaitingForTheSafetyNet() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "1MB", "10MB", Duration.ofDays(90));
    log.write(Map.of("i", 1));
    awaitWritten(log, 1);
    Thread.sleep(300); // many empty rounds: the writer now sleeps until a record wakes it
    long start = System.nanoTime();
    log.write(Map.of("i", 2));
    awaitWritten(log, 2);
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;
    log.close();
    assertTrue(waitedMillis < 2_000, "the record waited " + waitedMillis + " ms; the safety net is 10 s");
    assertEquals(List.of("{\"i\":1}", "{\"i\":2}"), Files.readAllLines(dir.resolve("queries.jsonl")));
  }

  @Test
  void idleWriter_doesNotWakeEveryFewMilliseconds() throws Exception {
    RecordLog log = RecordLog.open(dir, "idleprobe", "1MB", "10MB", Duration.ofDays(90));
    Thread.sleep(300);
    // Linux names a thread by the first 15 characters of "allowdns-idleprobe-writer".
    Path writer = threadNamed("allowdns-idlepr");
    long before = contextSwitches(writer);
    Thread.sleep(1_000);
    long wakeUps = contextSwitches(writer) - before;
    log.close();
    assertTrue(wakeUps < 20, "an idle writer woke " + wakeUps + " times in 1 s (polling every 2 ms: ~500)");
  }

  private static void awaitWritten(RecordLog log, long records) throws InterruptedException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (log.written() < records && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertEquals(records, log.written(), "records handed to the file");
  }

  /**
   * Returns this process's /proc task directory of the thread called {@code comm}. A new thread
   * names itself once it runs, so this looks again for a while.
   */
  private static Path threadNamed(String comm) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    do {
      try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
        for (Path task : tasks.toList()) {
          try {
            if (Files.readString(task.resolve("comm")).strip().equals(comm)) {
              return task;
            }
          } catch (IOException e) {
            // that thread ended while we looked
          }
        }
      }
      Thread.sleep(20);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("no thread named " + comm + " in /proc/self/task");
  }

  private static long contextSwitches(Path task) throws IOException {
    long n = 0;
    for (String line : Files.readAllLines(task.resolve("status"))) {
      if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
        n += Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
      }
    }
    return n;
  }

  private static String listing(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName() + "=" + p.toFile().length()).sorted().toList().toString();
    }
  }

  private static int countLines(Path gz) throws IOException {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(new GZIPInputStream(Files.newInputStream(gz)), StandardCharsets.UTF_8))) {
      return (int) in.lines().count();
    }
  }

  @Test
  void gzip_ofFilesAcrossBufferSizes_readsBackAsTheSameBytes() throws Exception {
    java.util.Random random = new java.util.Random(42);
    for (int size : new int[] {0, 1, 64 * 1024, 300_000}) {
      byte[] original = new byte[size];
      for (int i = 0; i < size; i++) {
        // Half text (compressible), half noise: the deflater both consumes and emits in pieces.
        original[i] = (byte) (i % 2 == 0 ? 'a' + i % 26 : random.nextInt());
      }
      Path plain = dir.resolve("plain-" + size);
      Path gz = dir.resolve("plain-" + size + ".gz");
      Files.write(plain, original);
      RotatedFiles.gzip(plain, gz);
      try (var in = new GZIPInputStream(Files.newInputStream(gz))) {
        assertArrayEquals(original, in.readAllBytes(), "size " + size);
      }
    }
  }
}
