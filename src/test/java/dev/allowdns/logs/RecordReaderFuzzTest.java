package dev.allowdns.logs;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Record logs from arbitrary bytes, read as {@code logs top|blocked|suggest} read them: the
 * current files and a rotated gzipped one (whole or cut short). A damaged line or file is a
 * problem reported, never an exception; every entry read goes through the summaries.
 *
 * <p>Input layout: byte 0 bit 0 also writes the bytes as a rotated {@code .gz} file, bit 1 cuts
 * that file at byte 1's share of its length; the rest is the file's content.
 */
class RecordReaderFuzzTest {
  private static final Path DIR = tempDir();

  private static Path tempDir() {
    try {
      return Files.createTempDirectory("allowdns-records-fuzz");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  void recordLines(byte[] input) throws IOException {
    if (input.length < 2) {
      return;
    }
    byte[] content = Arrays.copyOfRange(input, 2, input.length);
    Files.write(DIR.resolve(RecordKind.QUERIES.currentFileName()), content);
    Files.write(DIR.resolve(RecordKind.CONNECTIONS.currentFileName()), content);
    Path rotated = DIR.resolve("connections.2026-11-24.1.jsonl.gz");
    Files.deleteIfExists(rotated);
    if ((input[0] & 1) != 0) {
      java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
      try (OutputStream out = new GZIPOutputStream(gz)) {
        out.write(content);
      }
      byte[] bytes = gz.toByteArray();
      int length = (input[0] & 2) != 0 ? bytes.length * (input[1] & 0xff) / 256 : bytes.length;
      Files.write(rotated, Arrays.copyOf(bytes, length));
    }
    List<String> problems = new ArrayList<>();
    RecordReader reader = RecordReader.open(DIR, problems::add);
    BlockedSummary blocked = new BlockedSummary();
    TrafficByGroup traffic = new TrafficByGroup();
    ZoneSuggestion suggestion = new ZoneSuggestion();
    reader.forEachQuery(RecordFilter.ALL, q -> {
      blocked.add(q);
      suggestion.add(q);
    });
    reader.forEachConnection(RecordFilter.ALL, c -> {
      blocked.add(c);
      traffic.add(c);
      suggestion.add(c);
    });
    blocked.top(10);
    for (TrafficByGroup.Measure by : TrafficByGroup.Measure.values()) {
      traffic.top(by, 10);
    }
    suggestion.zoneText(List.of("# fuzz"));
    for (String problem : problems) {
      assertFalse(problem.isBlank(), "a blank problem message");
    }
  }
}
