package dev.allowdns.logs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the records of a log directory: every file of a log in the order it was written (rotated
 * {@code .gz} files, then the current file), one JSON object per line. Damage does not stop it: a
 * line that is not a JSON record, or a gzip file that is truncated or corrupt, is reported to the
 * {@code problems} consumer as {@code FILE:LINE: ...} or {@code FILE: skipped ...}, and reading
 * goes on. Not thread-safe; cheap to create.
 */
public final class RecordReader {
  // Two records glued together by a crash are damage, not the first of them.
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** A record line is a few hundred bytes; a much longer one is damage, not a record. */
  private static final int MAX_LINE_CHARS = 1 << 20;

  /** Bad lines reported one by one per file; the rest are counted in one message. */
  private static final int MAX_LINE_PROBLEMS_PER_FILE = 10;

  private final Path dir;
  private final Consumer<String> problems;

  private RecordReader(Path dir, Consumer<String> problems) {
    this.dir = dir;
    this.problems = problems;
  }

  /**
   * Opens the log directory {@code dir}.
   *
   * @param problems receives one message per damaged line or file
   * @throws NoSuchFileException when {@code dir} does not exist
   * @throws NotDirectoryException when it is not a directory
   */
  public static RecordReader open(Path dir, Consumer<String> problems) throws IOException {
    Objects.requireNonNull(problems, "problems");
    if (!Files.exists(dir)) {
      throw new NoSuchFileException(dir.toString(), null, "no such log directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new NotDirectoryException(dir.toString());
    }
    return new RecordReader(dir, problems);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Returns the files of {@code kind} that may hold records at or after {@code since} (null: all),
   * oldest first; empty when the log was never written.
   */
  public List<Path> files(RecordKind kind, Instant since) throws IOException {
    return RecordFiles.list(dir, kind, since);
  }

  /** Passes every query record that {@code filter} accepts to {@code sink}, oldest file first. */
  public void forEachQuery(RecordFilter filter, Consumer<QueryEntry> sink) throws IOException {
    read(RecordKind.QUERIES, filter, QueryEntry::from, sink);
  }

  /**
   * Passes every connection record that {@code filter} accepts to {@code sink}, oldest file first.
   */
  public void forEachConnection(RecordFilter filter, Consumer<ConnectionEntry> sink)
      throws IOException {
    read(RecordKind.CONNECTIONS, filter, ConnectionEntry::from, sink);
  }

  /**
   * Passes every record of {@code kind} in files that may hold records at or after {@code since}
   * (null: all), oldest file first, as {@code parse} makes it of the line's JSON object. {@code
   * parse} rejects a line by throwing {@link IllegalArgumentException}: the line is then reported
   * as damaged ({@code FILE:LINE: message}) and skipped, like a line that is not JSON.
   */
  public <T> void forEachRecord(
      RecordKind kind, Instant since, Function<JsonNode, T> parse, Consumer<T> sink)
      throws IOException {
    Path current = dir.resolve(kind.currentFileName());
    for (Path file : RecordFiles.list(dir, kind, since)) {
      new FileRead<>(file, file.equals(current), parse, sink).run();
    }
  }

  private <T extends LogEntry> void read(
      RecordKind kind, RecordFilter filter, Function<JsonNode, T> parse, Consumer<T> sink)
      throws IOException {
    forEachRecord(
        kind,
        filter.since(),
        parse,
        entry -> {
          if (filter.accepts(entry)) {
            sink.accept(entry);
          }
        });
  }

  /** The reading of one file, with its line count and problem count. */
  private final class FileRead<T> {
    private final Path file;
    private final boolean beingWritten;
    private final Function<JsonNode, T> parse;
    private final Consumer<T> sink;
    private long lineNumber;
    private long badLines;

    FileRead(Path file, boolean beingWritten, Function<JsonNode, T> parse, Consumer<T> sink) {
      this.file = file;
      this.beingWritten = beingWritten;
      this.parse = parse;
      this.sink = sink;
    }

    void run() {
      boolean gzip = file.getFileName().toString().endsWith(".gz");
      InputStream in;
      try {
        in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      } catch (NoSuchFileException e) {
        problems.accept(file + ": skipped: it went away while reading (rotated?)");
        return;
      } catch (IOException e) {
        problems.accept(file + ": skipped: cannot open (" + e + ")");
        return;
      }
      try (InputStream raw = in) {
        InputStream text = raw;
        if (gzip) {
          try {
            text = new GZIPInputStream(raw, 1 << 16);
          } catch (EOFException e) {
            problems.accept(file + ": skipped: empty or truncated gzip file");
            return;
          } catch (ZipException e) {
            problems.accept(file + ": skipped: not a gzip file (" + e.getMessage() + ")");
            return;
          }
        }
        readLines(
            new LineReader(new InputStreamReader(text, StandardCharsets.UTF_8), MAX_LINE_CHARS));
      } catch (EOFException e) {
        problems.accept(skippedRest("truncated gzip (" + e.getMessage() + ")"));
      } catch (ZipException e) {
        problems.accept(skippedRest("corrupt gzip (" + e.getMessage() + ")"));
      } catch (IOException e) {
        problems.accept(skippedRest("cannot read (" + e + ")"));
      }
      if (badLines > MAX_LINE_PROBLEMS_PER_FILE) {
        problems.accept(
            file
                + ": "
                + (badLines - MAX_LINE_PROBLEMS_PER_FILE)
                + " more lines skipped (not JSON records)");
      }
    }

    private String skippedRest(String why) {
      return file + ": skipped the rest after line " + lineNumber + ": " + why;
    }

    private void readLines(LineReader lines) throws IOException {
      LineReader.Line line;
      while ((line = lines.next()) != null) {
        lineNumber++;
        if (line.text().isBlank()) {
          continue;
        }
        JsonNode record = line.truncated() ? null : json(line.text());
        if (record == null || !record.isObject()) {
          // The file being written may end in a line the writer has not finished.
          if (!(beingWritten && !line.terminated())) {
            bad("not a JSON record" + excerpt(line.text()));
          }
          continue;
        }
        T entry;
        try {
          entry = parse.apply(record);
        } catch (IllegalArgumentException e) {
          bad(e.getMessage());
          continue;
        }
        sink.accept(entry);
      }
    }

    private void bad(String why) {
      badLines++;
      if (badLines <= MAX_LINE_PROBLEMS_PER_FILE) {
        problems.accept(file + ":" + lineNumber + ": " + why);
      }
    }
  }

  private static JsonNode json(String line) {
    try {
      return JSON.readTree(line);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private static String excerpt(String line) {
    String shown = line.strip();
    if (shown.length() > 40) {
      shown = shown.substring(0, 40) + "...";
    }
    StringBuilder printable = new StringBuilder();
    shown.codePoints().forEach(c -> printable.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return " ('" + printable + "')";
  }
}
