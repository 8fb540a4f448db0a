package dev.allowdns.logs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the files of one record log in the order they were written: the rotated {@code
 * NAME.YYYY-MM-DD.N.jsonl.gz} files by date and index, then the current {@code NAME.jsonl}.
 */
final class RecordFiles {
  /**
   * A rotated file's date is the server's local date of its records, in a time zone the reader does
   * not know: its last record is at most 1 day (the date) plus 14 hours (the farthest zone) past
   * the date's UTC midnight. Two days keeps a margin for records written late.
   */
  private static final long ROTATED_FILE_REACH_DAYS = 2;

  private RecordFiles() {}

  /** A rotated file and the date and index of its name. */
  private record Rotated(Path path, LocalDate date, int index) {}

  /**
   * Returns the files of {@code kind} in {@code dir}, oldest first, leaving out rotated files that
   * cannot hold a record at or after {@code since} (null: none is left out).
   */
  static List<Path> list(Path dir, RecordKind kind, Instant since) throws IOException {
    Pattern rotatedName =
        Pattern.compile(
            Pattern.quote(kind.baseName()) + "\\.(\\d{4}-\\d{2}-\\d{2})\\.(\\d+)\\.jsonl\\.gz");
    List<Rotated> rotated = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Matcher m = rotatedName.matcher(file.getFileName().toString());
        if (!m.matches() || !Files.isRegularFile(file)) {
          continue;
        }
        LocalDate date;
        int index;
        try {
          date = LocalDate.parse(m.group(1));
          index = Integer.parseInt(m.group(2));
        } catch (DateTimeParseException | NumberFormatException e) {
          continue; // not a name the writer makes
        }
        if (since == null || mayHoldSince(date, since)) {
          rotated.add(new Rotated(file, date, index));
        }
      }
    }
    rotated.sort(Comparator.comparing(Rotated::date).thenComparingInt(Rotated::index));
    List<Path> ordered = new ArrayList<>();
    rotated.forEach(r -> ordered.add(r.path()));
    Path current = dir.resolve(kind.currentFileName());
    if (Files.isRegularFile(current)) {
      ordered.add(current);
    }
    return ordered;
  }

  private static boolean mayHoldSince(LocalDate date, Instant since) {
    Instant latest =
        date.plusDays(ROTATED_FILE_REACH_DAYS).atStartOfDay(ZoneOffset.UTC).toInstant();
    return !latest.isBefore(since);
  }
}
