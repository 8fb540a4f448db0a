package dev.allowdns.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record log whose file fails: {@code /dev/full} answers every write with ENOSPC, as a full
 * disk does. The log file is a symbolic link to it; removing the link "frees the disk" (the
 * writer opens a plain file in its place on its next try).
 */
class RecordLogFailureTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path FULL = Path.of("/dev/full");

  @TempDir Path dir;

  private RecordLog openOnFullDisk(String name, HoldPolicy policy) throws Exception {
    Files.createSymbolicLink(dir.resolve(name + ".jsonl"), FULL);
    return RecordLog.open(dir, name, "100MB", "1GB", Duration.ofDays(90), policy, Duration.ofMillis(300));
  }

  @Test
  void write_toAFullDisk_isHeldInOrderAndWrittenOnceTheDiskTakesIt() throws Exception {
    RecordLog log = openOnFullDisk("queries", new HoldPolicy(1 << 20, false));
    for (int i = 0; i < 1_000; i++) {
      log.write(Map.of("i", i));
    }
    await(() -> log.backlog() == 1_000 && log.heldBytes() > 0, "the hold keeps every record");
    Thread.sleep(200); // several tries every 50 ms, each refused
    assertEquals(0, log.written(), "written counts only what the file took");
    assertNull(log.refusalCause(), "1 MiB is far from full");

    Files.delete(dir.resolve("queries.jsonl")); // the disk takes records again
    await(() -> log.written() == 1_000 && log.backlog() == 0, "every held record is written");
    log.write(Map.of("i", 1_000));
    log.close();

    List<String> lines = Files.readAllLines(dir.resolve("queries.jsonl"));
    assertEquals(1_001, lines.size());
    for (int i = 0; i < lines.size(); i++) {
      assertEquals(i, JSON.readTree(lines.get(i)).get("i").asInt(), "in the order written");
    }
    assertEquals(0, log.dropped());
  }

  @Test
  void holdFull_failingClosed_refusesNewWorkKeepsTakenWorkAndRecovers() throws Exception {
    RecordLog log = openOnFullDisk("connections", new HoldPolicy(16 * 1024, false));
    int taken = 0;
    while (log.refusalCause() == null && taken < 10_000) {
      log.write(Map.of("i", taken++, "pad", "p".repeat(100)));
      Thread.sleep(taken % 20 == 0 ? 5 : 0);
    }
    String cause = log.refusalCause();
    assertNotNull(cause, "16 KiB of 120-byte records fill the hold");
    assertTrue(cause.contains("connections log") && cause.contains("No space left on device"), cause);
    assertEquals(cause, log.unavailableCause());

    // The refusals' own records are not held: a client that retries cannot grow the hold.
    for (int i = 0; i < 100; i++) {
      log.writeUnlessUnavailable(Map.of("refused", i));
    }
    assertEquals(100, log.dropped());
    // A connection accepted before the hold filled still gets its record (room beyond the hold).
    log.write(Map.of("i", taken++, "pad", "late"));

    Files.delete(dir.resolve("connections.jsonl"));
    int expected = taken;
    await(() -> log.written() == expected, "every held record is written");
    await(() -> log.refusalCause() == null, "available again once the hold drained");
    log.close();
    assertEquals(taken, Files.readAllLines(dir.resolve("connections.jsonl")).size());
    assertEquals(100, log.dropped());
  }

  @Test
  void holdFull_failingOpen_dropsAndCountsWhatDoesNotFitButNeverRefuses() throws Exception {
    RecordLog log = openOnFullDisk("queries", new HoldPolicy(8 * 1024, true));
    int total = 3_000;
    for (int i = 0; i < total; i++) {
      log.write(Map.of("i", i, "pad", "q".repeat(50)));
      if (i % 100 == 0) {
        Thread.sleep(5); // let the writer find the hold full
      }
      assertNull(log.refusalCause(), "failing open never refuses");
    }
    await(() -> log.dropped() > 0, "records that do not fit are dropped");
    assertNotNull(log.unavailableCause(), "the hold is full: /healthz says degraded");

    Files.delete(dir.resolve("queries.jsonl"));
    await(() -> log.written() + log.dropped() == total, "each record is written or counted dropped");
    log.close();
    List<String> lines = Files.readAllLines(dir.resolve("queries.jsonl"));
    assertEquals(log.written(), lines.size());
    int previous = -1;
    for (String line : lines) {
      int i = JSON.readTree(line).get("i").asInt();
      assertTrue(i > previous, "what is written stays in order: " + i + " after " + previous);
      previous = i;
    }
  }

  @Test
  void close_whileTheDiskStaysFull_countsTheRecordsItCouldNotWrite() throws Exception {
    RecordLog log = openOnFullDisk("queries", HoldPolicy.DEFAULT);
    for (int i = 0; i < 50; i++) {
      log.write(Map.of("i", i));
    }
    long start = System.nanoTime();
    log.close(); // waits 300 ms for the disk here (5 s in service)
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "close gives up after its wait");
    assertEquals(0, log.written());
    assertEquals(50, log.dropped(), "the lost records are counted (and reported on stderr)");
    assertEquals(0, log.backlog());
  }

  @Test
  void close_afterTheDiskFreesWithinTheWait_writesEveryHeldRecord() throws Exception {
    RecordLog log = RecordLog.open(dir, "queries", "100MB", "1GB", Duration.ofDays(90), HoldPolicy.DEFAULT, Duration.ofSeconds(10));
    Path file = dir.resolve("queries.jsonl");
    Files.delete(file);
    Files.createSymbolicLink(file, FULL);
    for (int i = 0; i < 50; i++) {
      log.write(Map.of("i", i));
    }
    Thread closer = new Thread(log::close);
    closer.start();
    Thread.sleep(300);
    assertTrue(closer.isAlive(), "close waits for the disk");
    Files.delete(file);
    closer.join(10_000);
    assertEquals(50, log.written());
    assertEquals(50, Files.readAllLines(file).size());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s: " + what);
      }
      Thread.sleep(5);
    }
  }
}
