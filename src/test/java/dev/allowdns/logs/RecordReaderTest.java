package dev.allowdns.logs;

import static dev.allowdns.logs.RecordLines.connection;
import static dev.allowdns.logs.RecordLines.gzip;
import static dev.allowdns.logs.RecordLines.query;
import static dev.allowdns.logs.RecordLines.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordReaderTest {
  private static final String T = "2026-04-21T10:00:00Z";

  @TempDir Path dir;
  private final List<String> problems = new ArrayList<>();

  private List<QueryEntry> queries(RecordFilter filter) throws IOException {
    List<QueryEntry> entries = new ArrayList<>();
    RecordReader.open(dir, problems::add).forEachQuery(filter, entries::add);
    return entries;
  }

  private List<String> names(RecordFilter filter) throws IOException {
    return queries(filter).stream().map(QueryEntry::name).toList();
  }

  @Test
  void forEachQuery_readsRotatedFilesByDateAndNumericIndexThenTheCurrentFile() throws Exception {
    gzip(
        dir.resolve("queries.2026-04-21.10.jsonl.gz"),
        query(T, "vm", "d-10.test", "allowed", null));
    gzip(dir.resolve("queries.2026-04-21.2.jsonl.gz"), query(T, "vm", "c-2.test", "allowed", null));
    gzip(dir.resolve("queries.2026-04-21.1.jsonl.gz"), query(T, "vm", "b-1.test", "allowed", null));
    gzip(
        dir.resolve("queries.2026-04-20.7.jsonl.gz"),
        query(T, "vm", "a-day-before.test", "allowed", null));
    write(dir.resolve("queries.jsonl"), query(T, "vm", "e-current.test", "allowed", null));
    // Files of the other log, and files the writer never makes, are not read.
    gzip(
        dir.resolve("connections.2026-04-21.0.jsonl.gz"),
        query(T, "vm", "other-log.test", "allowed", null));
    write(dir.resolve("queries.jsonl.bak"), query(T, "vm", "backup.test", "allowed", null));

    List<String> names = names(RecordFilter.ALL);

    assertEquals(
        List.of("a-day-before.test", "b-1.test", "c-2.test", "d-10.test", "e-current.test"), names);
    assertEquals(List.of(), problems);
  }

  @Test
  void forEachQuery_lineThatIsNotJson_isReportedWithFileAndLineAndTheRestIsRead() throws Exception {
    Path file = dir.resolve("queries.jsonl");
    write(
        file,
        query(T, "vm", "first.test", "allowed", null),
        "this is not json",
        "",
        "[1, 2]",
        "{\"timestamp\":\"" + T + "\"}{\"glued\":true}",
        query(T, "vm", "last.test", "blocked", "not_allowed"));

    List<String> names = names(RecordFilter.ALL);

    assertEquals(List.of("first.test", "last.test"), names);
    assertEquals(3, problems.size(), problems::toString);
    assertTrue(problems.get(0).startsWith(file + ":2: not a JSON record"), problems::toString);
    assertTrue(problems.get(1).startsWith(file + ":4: not a JSON record"), problems::toString);
    assertTrue(problems.get(2).startsWith(file + ":5: not a JSON record"), problems::toString);
  }

  @Test
  void forEachQuery_recordWithoutUsableTimestamp_isReportedAndSkipped() throws Exception {
    Path file = dir.resolve("queries.jsonl");
    write(
        file,
        "{\"name\":\"no-time.test\",\"result\":\"blocked\"}",
        "{\"timestamp\":\"yesterday\",\"name\":\"bad-time.test\"}",
        "{\"timestamp\":\"2026-04-21T12:00:00+02:00\",\"name\":\"offset.test\"}",
        query(T, "vm", "good.test", "allowed", null));

    List<QueryEntry> entries = queries(RecordFilter.ALL);

    assertEquals(
        List.of("offset.test", "good.test"), entries.stream().map(QueryEntry::name).toList());
    assertEquals(Instant.parse("2026-04-21T10:00:00Z"), entries.get(0).timestamp());
    assertEquals(
        List.of(
            file + ":1: record has no timestamp",
            file + ":2: timestamp 'yesterday' is not an ISO-8601 instant"),
        problems);
  }

  @Test
  void forEachQuery_unfinishedLastLineOfTheCurrentFile_isSkippedSilently() throws Exception {
    String half = query(T, "vm", "being-written.test", "allowed", null);
    Files.writeString(
        dir.resolve("queries.jsonl"),
        query(T, "vm", "done.test", "allowed", null) + "\n" + half.substring(0, half.length() / 2),
        StandardCharsets.UTF_8);

    assertEquals(List.of("done.test"), names(RecordFilter.ALL));
    assertEquals(List.of(), problems);
  }

  @Test
  void forEachQuery_unfinishedLastLineOfARotatedFile_isReported() throws Exception {
    Path rotated = dir.resolve("queries.2026-04-21.0.jsonl.gz");
    String half = query(T, "vm", "cut.test", "allowed", null);
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(rotated))) {
      out.write(
          (query(T, "vm", "whole.test", "allowed", null) + "\n" + half.substring(0, 30))
              .getBytes(StandardCharsets.UTF_8));
    }

    assertEquals(List.of("whole.test"), names(RecordFilter.ALL));
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).startsWith(rotated + ":2: not a JSON record"), problems::toString);
  }

  @Test
  void forEachQuery_truncatedGzip_keepsTheLinesBeforeTheCutAndReadsTheOtherFiles()
      throws Exception {
    Path truncated = dir.resolve("queries.2026-04-20.0.jsonl.gz");
    String[] many =
        IntStream.range(0, 5000)
            .mapToObj(
                i ->
                    query(
                        T,
                        "vm",
                        "n" + i + "-" + Integer.toHexString(i * 7919) + ".test",
                        "allowed",
                        null))
            .toArray(String[]::new);
    gzip(truncated, many);
    byte[] whole = Files.readAllBytes(truncated);
    Files.write(truncated, Arrays.copyOf(whole, whole.length / 2));
    gzip(
        dir.resolve("queries.2026-04-21.0.jsonl.gz"),
        query(T, "vm", "after.test", "allowed", null));
    write(dir.resolve("queries.jsonl"), query(T, "vm", "current.test", "allowed", null));

    List<String> names = names(RecordFilter.ALL);

    int fromTruncated = names.size() - 2;
    assertTrue(fromTruncated > 0 && fromTruncated < many.length, () -> "read " + fromTruncated);
    assertEquals("n0-0.test", names.get(0));
    assertEquals(
        List.of("after.test", "current.test"), names.subList(names.size() - 2, names.size()));
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(
        problems.get(0).startsWith(truncated + ": skipped the rest after line "),
        problems::toString);
    assertTrue(problems.get(0).contains("truncated gzip"), problems::toString);
  }

  @Test
  void forEachQuery_fileThatIsNotGzip_isSkippedAndReported() throws Exception {
    Path notGzip = dir.resolve("queries.2026-04-20.0.jsonl.gz");
    write(notGzip, query(T, "vm", "plain-text-in-gz.test", "allowed", null));
    Path empty = dir.resolve("queries.2026-04-20.1.jsonl.gz");
    Files.write(empty, new byte[0]);
    write(dir.resolve("queries.jsonl"), query(T, "vm", "current.test", "allowed", null));

    List<String> names = names(RecordFilter.ALL);

    assertEquals(List.of("current.test"), names);
    assertEquals(
        List.of(
            notGzip + ": skipped: not a gzip file (Not in GZIP format)",
            empty + ": skipped: empty or truncated gzip file"),
        problems);
  }

  @Test
  void forEachQuery_gzipWithDamagedBytes_isReportedAndReadingGoesOn() throws Exception {
    Path damaged = dir.resolve("queries.2026-04-20.0.jsonl.gz");
    gzip(
        damaged,
        IntStream.range(0, 2000)
            .mapToObj(i -> query(T, "vm", "d" + i + ".test", "allowed", null))
            .toArray(String[]::new));
    byte[] bytes = Files.readAllBytes(damaged);
    for (int i = bytes.length / 3; i < bytes.length / 3 + 64; i++) {
      bytes[i] = (byte) ~bytes[i];
    }
    Files.write(damaged, bytes);
    write(dir.resolve("queries.jsonl"), query(T, "vm", "current.test", "allowed", null));

    List<String> names = names(RecordFilter.ALL);

    assertEquals("current.test", names.get(names.size() - 1));
    assertTrue(
        names.size() < 2001, () -> "read all " + names.size() + " names from a damaged file");
    assertTrue(!problems.isEmpty(), "damage is reported");
    assertTrue(
        problems.stream().allMatch(p -> p.startsWith(damaged.toString())), problems::toString);
  }

  @Test
  void forEachQuery_manyBadLines_reportsTenAndCountsTheRest() throws Exception {
    Path file = dir.resolve("queries.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      lines.add("garbage " + i);
    }
    lines.add(query(T, "vm", "ok.test", "allowed", null));
    write(file, lines.toArray(String[]::new));

    assertEquals(List.of("ok.test"), names(RecordFilter.ALL));
    assertEquals(11, problems.size(), problems::toString);
    assertEquals(file + ": 15 more lines skipped (not JSON records)", problems.get(10));
  }

  @Test
  void forEachQuery_lineWithoutNewlinesLongerThanAMegabyte_isOneBadLine() throws Exception {
    Path file = dir.resolve("queries.2026-04-20.0.jsonl.gz");
    gzip(file, "x".repeat(3 << 20), query(T, "vm", "after-junk.test", "allowed", null));

    assertEquals(List.of("after-junk.test"), names(RecordFilter.ALL));
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).startsWith(file + ":1: not a JSON record"), problems::toString);
  }

  @Test
  void forEachQuery_windowsLineEndings_areRead() throws Exception {
    Files.writeString(
        dir.resolve("queries.jsonl"),
        query(T, "vm", "a.test", "allowed", null)
            + "\r\n"
            + query(T, "vm", "b.test", "allowed", null)
            + "\r\n");

    assertEquals(List.of("a.test", "b.test"), names(RecordFilter.ALL));
    assertEquals(List.of(), problems);
  }

  @Test
  void forEachQuery_since_skipsOlderRecords() throws Exception {
    write(
        dir.resolve("queries.jsonl"),
        query("2026-04-21T09:59:59.999Z", "vm", "before.test", "allowed", null),
        query("2026-04-21T10:00:00Z", "vm", "at.test", "allowed", null),
        query("2026-04-21T11:00:00Z", "vm", "after.test", "allowed", null));

    List<String> names = names(new RecordFilter(Instant.parse("2026-04-21T10:00:00Z"), null));

    assertEquals(List.of("at.test", "after.test"), names);
  }

  @Test
  void forEachQuery_sandbox_keepsOnlyThatSandboxsRecords() throws Exception {
    write(
        dir.resolve("queries.jsonl"),
        query(T, "vm-1", "one.test", "allowed", null),
        query(T, "vm-2", "two.test", "allowed", null),
        query(T, null, "none.test", "allowed", null));

    assertEquals(List.of("two.test"), names(new RecordFilter(null, "vm-2")));
  }

  @Test
  void files_since_leavesOutRotatedFilesTooOldToHoldARecordInRange() throws Exception {
    LocalDate today = LocalDate.of(2026, 4, 21);
    for (int daysAgo : new int[] {0, 1, 2, 3, 10}) {
      gzip(dir.resolve("connections." + today.minusDays(daysAgo) + ".0.jsonl.gz"), "{}");
    }
    write(dir.resolve("connections.jsonl"), "{}");
    RecordReader reader = RecordReader.open(dir, problems::add);

    List<String> sinceThisMorning =
        names(reader.files(RecordKind.CONNECTIONS, today.atTime(9, 0).toInstant(ZoneOffset.UTC)));
    List<String> sinceLastNight =
        names(
            reader.files(
                RecordKind.CONNECTIONS,
                today.atTime(0, 0).minusHours(1).toInstant(ZoneOffset.UTC)));

    // A file dated D holds the server's local day D: up to D+1 12:00 UTC in the farthest zone.
    assertEquals(
        List.of(
            "connections.2026-04-20.0.jsonl.gz",
            "connections.2026-04-21.0.jsonl.gz",
            "connections.jsonl"),
        sinceThisMorning);
    assertEquals(
        List.of(
            "connections.2026-04-19.0.jsonl.gz",
            "connections.2026-04-20.0.jsonl.gz",
            "connections.2026-04-21.0.jsonl.gz",
            "connections.jsonl"),
        sinceLastNight);
    assertEquals(6, reader.files(RecordKind.CONNECTIONS, null).size());
  }

  private static List<String> names(List<Path> files) {
    return files.stream().map(p -> p.getFileName().toString()).toList();
  }

  @Test
  void forEachConnection_readsEveryFieldTheSummariesUse() throws Exception {
    write(
        dir.resolve("connections.jsonl"),
        connection(
            T,
            "vm-7",
            "registry.npmjs.org",
            "registry.npmjs.org",
            "104.16.1.34",
            1024,
            458752,
            "allowed",
            null),
        "{\"timestamp\":\""
            + T
            + "\",\"dst_ip\":\"203.0.113.9\",\"result\":\"blocked\",\"future_field\":[1]}");
    List<ConnectionEntry> entries = new ArrayList<>();

    RecordReader.open(dir, problems::add).forEachConnection(RecordFilter.ALL, entries::add);

    assertEquals(
        new ConnectionEntry(
            Instant.parse(T),
            "vm-7",
            "registry.npmjs.org",
            "registry.npmjs.org",
            "104.16.1.34",
            443,
            "https",
            1024,
            458752,
            "allowed",
            null,
            null,
            null,
            null,
            null,
            null,
            "transparent"),
        entries.get(0));
    assertEquals(
        new ConnectionEntry(
            Instant.parse(T), null, null, null, "203.0.113.9", 0, null, 0, 0, "blocked", null, null, null, null, null, null, null),
        entries.get(1));
    assertEquals("203.0.113.9", entries.get(1).destination());
    assertEquals(List.of(), problems);
  }

  @Test
  void open_missingDirectory_throwsNoSuchFile() {
    Path missing = dir.resolve("no-such-logs");

    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> RecordReader.open(missing, problems::add));
    assertEquals(missing.toString(), e.getFile());
  }

  @Test
  void open_aFileInsteadOfADirectory_throwsNotDirectory() throws Exception {
    Path file = Files.writeString(dir.resolve("queries.jsonl"), "");

    assertThrows(NotDirectoryException.class, () -> RecordReader.open(file, problems::add));
  }

  @Test
  void forEachQuery_emptyDirectory_readsNothingAndReportsNothing() throws Exception {
    assertEquals(List.of(), names(RecordFilter.ALL));
    assertEquals(List.of(), problems);
  }
}
