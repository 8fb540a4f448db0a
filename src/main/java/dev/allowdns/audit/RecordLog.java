package dev.allowdns.audit;

import ch.qos.logback.core.ContextBase;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.FileSize;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records as JSON lines to {@code DIR/NAME.jsonl}, rotated by size (Logback's rolling
 * appender) into gzipped files whose total is capped. Callers only queue a record; one writer thread
 * serialises and writes them in batches, one flush per batch. When the writer falls behind,
 * callers wait (backpressure) rather than lose a record. Thread-safe.
 */
public final class RecordLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordLog.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  /** Writes root values back to back: each record ends with its own newline. */
  private static final JsonFactory LINES = lineFactory();
  private static final int QUEUE_SIZE = 65_536;
  private static final int BATCH = 1_024;
  private static final Object CLOSE = new Object();
  /** How long the writer sleeps when it finds nothing to write: the most a record waits. */
  private static final long IDLE_NANOS = 2_000_000;
  /** Largest single append to the file. */
  private static final int APPEND_BYTES = 64 * 1024;
  /** How often the writer checks the total size of the rotated files. */
  private static final long CAP_CHECK_NANOS = 1_000_000_000;

  private static JsonFactory lineFactory() {
    JsonFactory factory = new JsonFactory();
    factory.setRootValueSeparator(null);
    factory.setCodec(JSON);
    return factory;
  }

  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(QUEUE_SIZE);
  private final AtomicLong written = new AtomicLong();
  private final List<LineListener> taps = new CopyOnWriteArrayList<>();

  /** Receives written lines; asked first whether anyone listens, so idle taps cost nothing. */
  public interface LineListener {
    boolean listening();

    void accept(String line);
  }
  private final ContextBase context;
  private final RollingFileAppender<byte[]> files;
  private final Path file;
  private final String name;
  private final long totalBytes;
  private final Thread writer;
  private long lastCapCheckNanos;
  private volatile boolean closed;

  private RecordLog(
      ContextBase context, RollingFileAppender<byte[]> files, Path file, String name, long totalBytes) {
    this.context = context;
    this.name = name;
    this.totalBytes = totalBytes;
    this.files = files;
    this.file = file;
    this.writer = new Thread(this::drain, "allowdns-" + name + "-writer");
    this.writer.setDaemon(true);
  }

  /**
   * Opens (creating the directory) the record log {@code dir/name.jsonl}.
   *
   * @param maxFileSize size at which the file rotates, e.g. {@code 100MB}
   * @param totalSize cap on all files of this log together, e.g. {@code 2GB}
   */
  public static RecordLog open(Path dir, String name, String maxFileSize, String totalSize) {
    Objects.requireNonNull(dir, "dir");
    ContextBase context = new ContextBase();
    context.setName("allowdns-" + name);
    // Logback reports a failing file (disk full, permissions) only as a status: make it loud.
    context
        .getStatusManager()
        .add(
            status -> {
              if (status.getLevel() >= Status.WARN) {
                log.error("{} log: {}", name, status.getMessage(), status.getThrowable());
              }
            });
    Path file = dir.resolve(name + ".jsonl");

    RollingFileAppender<byte[]> files = new RollingFileAppender<>();
    files.setContext(context);
    files.setName(name);
    files.setFile(file.toString());
    files.setImmediateFlush(false); // the writer flushes once per batch

    SizeAndTimeBasedRollingPolicy<byte[]> rolling = new SizeAndTimeBasedRollingPolicy<>();
    rolling.setContext(context);
    rolling.setParent(files);
    // Logback only renames (synchronously); RecordLog compresses the archives itself, on its
    // writer thread, so none is left half-compressed at shutdown.
    rolling.setFileNamePattern(dir.resolve(name + ".%d{yyyy-MM-dd}.%i.jsonl").toString());
    rolling.setMaxFileSize(FileSize.valueOf(maxFileSize));
    // No maxHistory/totalSizeCap here: Logback's own clean-up measured archives while they were
    // still being compressed and removed far more than the cap required. RecordLog caps itself.
    rolling.setMaxHistory(0);
    rolling.start();
    files.setRollingPolicy(rolling);

    EncoderBase<byte[]> lines =
        new EncoderBase<>() {
          @Override
          public byte[] headerBytes() {
            return null;
          }

          @Override
          public byte[] encode(byte[] line) {
            return line;
          }

          @Override
          public byte[] footerBytes() {
            return null;
          }
        };
    lines.setContext(context);
    lines.start();
    files.setEncoder(lines);
    files.start();
    if (!files.isStarted()) {
      throw new IllegalStateException("cannot open record log " + file + " (see the error above)");
    }
    RecordLog recordLog =
        new RecordLog(context, files, file, name, FileSize.valueOf(totalSize).getSize());
    recordLog.writer.start();
    return recordLog;
  }

  /** Returns the path of the current (not yet rotated) file. */
  public Path file() {
    return file;
  }

  /**
   * Queues one record to be written as a JSON line. Blocks only while the writer is {@value
   * #QUEUE_SIZE} records behind.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  public void write(Object record) {
    Objects.requireNonNull(record, "record");
    if (closed) {
      throw new IllegalStateException("record log " + file + " is closed; record: " + record);
    }
    enqueue(record);
  }

  private void enqueue(Object record) {
    boolean interrupted = false;
    while (true) {
      try {
        queue.put(record);
        break;
      } catch (InterruptedException e) {
        interrupted = true; // a record is never given up for an interrupt
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Calls {@code listener} with every line written from now on (without its newline), on the
   * writer thread: it must be quick and must not throw.
   */
  public void tap(LineListener listener) {
    taps.add(listener);
  }

  /** Returns how many records wait to be written. */
  public int backlog() {
    return queue.size();
  }

  /** Returns how many records have been written (handed to the file) so far. */
  public long written() {
    return written.get();
  }

  private void drain() {
    BackgroundPriority.lowerCurrentThread();
    List<Object> batch = new ArrayList<>(BATCH);
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(BATCH * 256);
    boolean closing = false;
    while (!closing) {
      queue.drainTo(batch, BATCH);
      if (batch.isEmpty()) {
        // Polling with a short sleep instead of a blocking take: a blocked writer would have to be
        // woken (a futex call) by every single record, which costs the resolver more than this.
        LockSupport.parkNanos(IDLE_NANOS);
        continue;
      }
      buffer.reset();
      int count = 0;
      try (JsonGenerator json = LINES.createGenerator(buffer)) {
        for (Object record : batch) {
          if (record == CLOSE) {
            closing = true;
            continue;
          }
          if (record instanceof JsonLine line) {
            line.writeTo(json);
          } else {
            JSON.writeValue(json, record);
          }
          json.writeRaw('\n');
          count++;
        }
      } catch (IOException e) {
        log.error("cannot write records to {}: {}", file, e.toString());
      }
      batch.clear();
      if (count > 0) {
        byte[] lines = buffer.toByteArray();
        int[] lineEnds = lineEnds(lines, count);
        append(lines, lineEnds);
        flush();
        written.addAndGet(count);
        publish(lines, lineEnds);
        if (System.nanoTime() - lastCapCheckNanos > CAP_CHECK_NANOS) {
          maintainArchives();
        }
      }
    }
  }

  /**
   * Compresses rotated files, then deletes the oldest until the rotated files and the current one
   * together fit in the total size: retention is bounded, never unlimited.
   */
  private void maintainArchives() {
    lastCapCheckNanos = System.nanoTime();
    Path dir = file.toAbsolutePath().getParent();
    try {
      for (Path rotated : archives(dir, ".jsonl")) {
        compress(rotated);
      }
      long total = file.toFile().length();
      for (Path archive : archives(dir, ".jsonl.gz")) {
        total += archive.toFile().length();
        if (total > totalBytes) {
          Files.deleteIfExists(archive);
        }
      }
    } catch (IOException e) {
      log.error("cannot maintain the rotated files of {}: {}", file, e.toString());
    }
  }

  /** Returns this log's rotated files with the given ending, newest first. */
  private List<Path> archives(Path dir, String ending) throws IOException {
    String prefix = name + ".";
    String current = file.getFileName().toString();
    try (Stream<Path> listing = Files.list(dir)) {
      return listing
          .filter(p -> p.getFileName().toString().startsWith(prefix))
          .filter(p -> p.getFileName().toString().endsWith(ending))
          .filter(p -> !p.getFileName().toString().equals(current))
          .sorted(Comparator.comparingLong(RecordLog::modified).reversed())
          .toList();
    }
  }

  /** Gzips {@code rotated} to a new {@code .gz} (never over an existing one), then removes it. */
  private static void compress(Path rotated) throws IOException {
    String base = rotated.getFileName().toString();
    Path target = rotated.resolveSibling(base + ".gz");
    if (Files.exists(target)) { // left by an earlier run that started its numbering again
      String stem = base.substring(0, base.length() - ".jsonl".length());
      target = rotated.resolveSibling(stem + "." + System.currentTimeMillis() + ".jsonl.gz");
    }
    Path partial = rotated.resolveSibling(target.getFileName() + ".part");
    try (OutputStream out = new FastGzipOutputStream(Files.newOutputStream(partial))) {
      Files.copy(rotated, out);
    }
    Files.setLastModifiedTime(partial, Files.getLastModifiedTime(rotated));
    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
    Files.delete(rotated);
  }

  /**
   * Gzip at the fastest level: at full query rate the query log is tens of MB/s, and level 6 cost
   * the server a fifth of its CPU for files about 20% smaller than level 1 makes them.
   */
  private static final class FastGzipOutputStream extends GZIPOutputStream {
    FastGzipOutputStream(OutputStream out) throws IOException {
      super(out, 64 * 1024);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }

  private static long modified(Path path) {
    return path.toFile().lastModified();
  }

  /**
   * Returns the offset just past each of the {@code count} lines: JSON escapes every newline
   * inside a value, so each raw newline ends a record.
   */
  private static int[] lineEnds(byte[] lines, int count) {
    int[] ends = new int[count];
    int n = 0;
    for (int i = 0; i < lines.length && n < count; i++) {
      if (lines[i] == '\n') {
        ends[n++] = i + 1;
      }
    }
    return ends;
  }

  /**
   * Appends whole lines in pieces of about {@value #APPEND_BYTES} bytes: few appends (and rollover
   * checks) per batch, yet a file never outgrows its rotation size by more than one piece.
   */
  private void append(byte[] lines, int[] lineEnds) {
    int start = 0;
    int previousEnd = 0;
    for (int end : lineEnds) {
      if (end - start > APPEND_BYTES && previousEnd > start) {
        files.doAppend(Arrays.copyOfRange(lines, start, previousEnd));
        start = previousEnd;
      }
      previousEnd = end;
    }
    if (previousEnd > start) {
      files.doAppend(start == 0 && previousEnd == lines.length ? lines : Arrays.copyOfRange(lines, start, previousEnd));
    }
  }

  private void publish(byte[] lines, int[] lineEnds) {
    if (taps.stream().noneMatch(LineListener::listening)) {
      return;
    }
    int start = 0;
    for (int end : lineEnds) {
      String line = new String(lines, start, end - start - 1, StandardCharsets.UTF_8);
      for (LineListener tap : taps) {
        tap.accept(line);
      }
      start = end;
    }
  }

  private void flush() {
    try {
      files.getOutputStream().flush();
    } catch (IOException e) {
      log.error("cannot flush {}: {}", file, e.toString());
    }
  }

  /** Writes every queued record, then closes the file. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    enqueue(CLOSE);
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    files.stop();
    maintainArchives();
    context.stop();
  }
}
