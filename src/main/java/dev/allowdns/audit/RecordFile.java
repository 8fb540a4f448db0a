package dev.allowdns.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The file a record log appends to, {@code DIR/NAME.jsonl}: plain appends, so a failed write is
 * an exception with the bytes it did take, never a silent loss. Rotates, at a line boundary, once
 * it holds the maximum size or was begun on an earlier day, by renaming it to {@code
 * NAME.DATE.N.jsonl} (what {@link RotatedFiles} compresses and prunes). After a failure the file
 * is closed and opened again on the next write: a disk that was remounted or a file removed by
 * hand is written to afresh. Not thread-safe: the log's writer thread alone uses it.
 */
final class RecordFile implements AutoCloseable {
  private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE;

  private final Path current;
  private final String name;
  private final long maxBytes;
  private final Clock clock;
  private final Pattern rotatedName;
  private FileChannel channel;
  private long size;
  /** The day the current file was begun. */
  private LocalDate day;

  RecordFile(Path current, long maxBytes, Clock clock) {
    this.current = current;
    String file = current.getFileName().toString();
    this.name = file.substring(0, file.length() - ".jsonl".length());
    this.maxBytes = maxBytes;
    this.clock = clock;
    this.rotatedName = Pattern.compile(Pattern.quote(name) + "\\.(\\d{4}-\\d{2}-\\d{2})\\.(\\d{1,9})(\\.\\d+)?\\.jsonl.*");
  }

  Path path() {
    return current;
  }

  /** Opens the file for appending unless it is open. */
  void open() throws IOException {
    if (channel != null) {
      return;
    }
    channel =
        FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    size = channel.size();
    day = size == 0 ? today() : LocalDate.ofInstant(Instant.ofEpochMilli(current.toFile().lastModified()), clock.getZone());
  }

  /** Rotates when the file is full or from an earlier day; call only at a line boundary. */
  void rotateIfDue() throws IOException {
    open();
    LocalDate today = today();
    if (size == 0 || (size < maxBytes && day.equals(today))) {
      return;
    }
    close();
    Files.move(current, current.resolveSibling(nextRotatedName(day)), StandardCopyOption.ATOMIC_MOVE);
    open();
  }

  /**
   * Appends what remains of {@code bytes}. On failure the buffer's position says how much the
   * file took, and the file is closed.
   */
  void write(ByteBuffer bytes) throws IOException {
    try {
      open();
      while (bytes.hasRemaining()) {
        size += channel.write(bytes);
      }
    } catch (IOException e) {
      close();
      throw e;
    }
  }

  /** Closes the file; the next write opens it again. Never throws. */
  @Override
  public void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // nothing more to lose: every byte it took was counted
      }
      channel = null;
    }
  }

  private LocalDate today() {
    return LocalDate.now(clock);
  }

  /** Returns {@code NAME.DAY.N.jsonl} with N one past the highest of that day in the directory. */
  private String nextRotatedName(LocalDate of) throws IOException {
    String date = DAY.format(of);
    int next = 0;
    try (Stream<Path> listing = Files.list(current.toAbsolutePath().getParent())) {
      for (Path p : (Iterable<Path>) listing::iterator) {
        Matcher m = rotatedName.matcher(p.getFileName().toString());
        if (m.matches() && m.group(1).equals(date)) {
          next = Math.max(next, Integer.parseInt(m.group(2)) + 1);
        }
      }
    }
    return name + "." + date + "." + next + ".jsonl";
  }
}
