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
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records as JSON lines to {@code DIR/NAME.jsonl}, rotated by size (Logback's rolling
 * appender) into gzipped files kept within a total size and a maximum age ({@link RotatedFiles}).
 * Thread-safe.
 *
 * <p>Each calling thread encodes its records at once into a chunk of its own (no record object
 * outlives the call, so none is promoted by the garbage collector while it waits); one writer
 * thread, at the lowest priority, takes the chunks every few milliseconds and appends them, one
 * flush per round. When the writer falls behind, callers wait (backpressure) rather than lose a
 * record. Lines of one thread stay in order; lines of different threads interleave by chunk.
 */
public final class RecordLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordLog.class);
  /** Made on first use: Jackson databind takes long to load, and most runs never need it. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  }

  /** Writes root values back to back: each record ends with its own newline. */
  private static final JsonFactory LINES = lineFactory();
  /** A thread's chunk is handed over whole once it holds this much. */
  private static final int CHUNK_BYTES = 128 * 1024;
  /** Full chunks a thread may have waiting before it waits for the writer. */
  private static final int MAX_FULL_CHUNKS = 8;
  /** How long a thread waits between checks whether the writer caught up. */
  private static final long BACKPRESSURE_NANOS = 200_000;
  /** How long the writer sleeps when it finds nothing to write: the most a record waits. */
  private static final long IDLE_NANOS = 2_000_000;
  /**
   * Empty rounds after which the writer sleeps until a record wakes it: an idle server should
   * not wake 500 times a second per log, and a busy one never goes that long without a record.
   */
  private static final int EMPTY_ROUNDS_BEFORE_SLEEP = 5;
  /** The longest sleep until woken; only a safety net, since every record after it wakes it. */
  private static final long ASLEEP_MAX_NANOS = 10_000_000_000L;
  /** Largest single append to the file. */
  private static final int APPEND_BYTES = 64 * 1024;
  /**
   * How often the writer has the rotated files checked while it writes: a file that rotated is
   * compressed and the limits applied within this time.
   */
  private static final long CAP_CHECK_NANOS = 1_000_000_000;
  /** How often the rotated files are checked when nothing rotates (the age limit still moves). */
  private static final Duration IDLE_CHECK = Duration.ofHours(1);

  private static JsonFactory lineFactory() {
    JsonFactory factory = new JsonFactory();
    factory.setRootValueSeparator(null);
    return factory;
  }

  private final AtomicLong written = new AtomicLong();
  private final List<LineListener> taps = new CopyOnWriteArrayList<>();
  private final List<Producer> producers = new CopyOnWriteArrayList<>();
  private final ThreadLocal<Producer> producer = ThreadLocal.withInitial(this::newProducer);
  /** Chunks the writer has written, for threads to fill again. */
  private final Queue<Chunk> spare = new ConcurrentLinkedQueue<>();

  /** Receives written lines; asked first whether anyone listens, so idle taps cost nothing. */
  public interface LineListener {
    boolean listening();

    void accept(String line);
  }
  private final ContextBase context;
  private final RollingFileAppender<byte[]> files;
  private final Path file;
  private final RotatedFiles rotated;
  private final Thread writer;
  /**
   * Gzips and prunes the rotated files, apart from the writer: compressing a 100 MB file takes
   * about a second, and a writer busy that long would make callers wait for it.
   */
  private final ScheduledExecutorService archiver;
  private final AtomicBoolean archiving = new AtomicBoolean();
  private long lastCapCheckNanos;
  private volatile boolean closed;
  /** Whether the writer sleeps until woken: then the next record wakes it. */
  private volatile boolean asleep;

  private RecordLog(
      ContextBase context, RollingFileAppender<byte[]> files, Path file, String name, RotatedFiles rotated) {
    this.context = context;
    this.rotated = rotated;
    this.files = files;
    this.file = file;
    this.writer = new Thread(this::drain, "allowdns-" + name + "-writer");
    this.writer.setDaemon(true);
    this.archiver =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread =
                  new Thread(
                      () -> {
                        BackgroundPriority.lowerCurrentThread();
                        task.run();
                      },
                      "allowdns-" + name + "-archiver");
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Opens (creating the directory) the record log {@code dir/name.jsonl}.
   *
   * @param maxFileSize size at which the file rotates, e.g. {@code 100MB}
   * @param totalSize cap on all files of this log together, e.g. {@code 2GB}
   * @param maxAge rotated files last written longer ago than this are deleted (checked now, after
   *     each rotation and hourly)
   */
  public static RecordLog open(
      Path dir, String name, String maxFileSize, String totalSize, Duration maxAge) {
    Objects.requireNonNull(dir, "dir");
    long totalBytes = FileSize.valueOf(totalSize).getSize();
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
        new RecordLog(context, files, file, name, new RotatedFiles(file, totalBytes, maxAge));
    recordLog.writer.start();
    recordLog.archiver.scheduleWithFixedDelay(
        recordLog::maintainArchives, 0, IDLE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    return recordLog;
  }

  /** Returns the path of the current (not yet rotated) file. */
  public Path file() {
    return file;
  }

  /**
   * Encodes one record as a JSON line for the writer. Blocks only while this thread has {@value
   * #MAX_FULL_CHUNKS} full chunks waiting.
   *
   * @throws IllegalStateException after {@link #close()}
   * @throws IllegalArgumentException when Jackson cannot encode {@code record}; nothing is written
   */
  public void write(Object record) {
    Objects.requireNonNull(record, "record");
    Producer p = producer.get();
    boolean filledAChunk;
    synchronized (p) {
      if (closed) {
        throw new IllegalStateException("record log " + file + " is closed; record: " + record);
      }
      filledAChunk = p.append(record);
    }
    if (asleep) {
      asleep = false;
      LockSupport.unpark(writer);
    }
    while (filledAChunk && p.mustWait() && !closed) {
      LockSupport.parkNanos(BACKPRESSURE_NANOS);
    }
  }

  private Producer newProducer() {
    Producer p = new Producer();
    producers.add(p);
    return p;
  }

  private Chunk spareChunk() {
    Chunk chunk = spare.poll();
    return chunk == null ? new Chunk() : chunk;
  }

  /** Bytes of whole JSON lines, and how many lines. Confined to its producer, then the writer. */
  private static final class Chunk {
    byte[] bytes = new byte[CHUNK_BYTES + 4096];
    int length;
    int records;
    /** The offset just past each line. */
    int[] lineEnds = new int[1024];

    void endLine() {
      if (records == lineEnds.length) {
        lineEnds = Arrays.copyOf(lineEnds, records * 2);
      }
      lineEnds[records++] = length;
    }

    void append(byte[] b, int off, int len) {
      if (length + len > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + len));
      }
      System.arraycopy(b, off, bytes, length, len);
      length += len;
    }

    void clear() {
      length = 0;
      records = 0;
    }
  }

  /** One thread's encoder and its pending chunks; guarded by its own monitor. */
  private final class Producer extends OutputStream {
    private Chunk chunk = spareChunk();
    private final List<Chunk> full = new ArrayList<>();
    private JsonGenerator json = newGenerator();

    private JsonGenerator newGenerator() {
      try {
        return LINES.createGenerator(this);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void write(int b) {
      chunk.append(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      chunk.append(b, off, len);
    }

    /** Encodes {@code record} as one line; returns whether that filled a chunk. */
    boolean append(Object record) {
      int start = chunk.length;
      try {
        if (record instanceof JsonLine line) {
          line.writeTo(json);
        } else {
          Json.MAPPER.writeValue(json, record);
        }
        json.writeRaw('\n');
        json.flush();
      } catch (IOException | RuntimeException e) {
        chunk.length = start; // a half-encoded line is never written
        json = newGenerator(); // the old one may hold the rest of it
        throw new IllegalArgumentException("cannot encode record " + record + ": " + e, e);
      }
      chunk.endLine();
      if (chunk.length < CHUNK_BYTES) {
        return false;
      }
      full.add(chunk);
      chunk = spareChunk();
      return true;
    }

    synchronized boolean mustWait() {
      return full.size() >= MAX_FULL_CHUNKS;
    }

    /** Moves every pending line into {@code into}. */
    synchronized void takeAll(List<Chunk> into) {
      into.addAll(full);
      full.clear();
      if (chunk.records > 0) {
        into.add(chunk);
        chunk = spareChunk();
      }
    }

    synchronized int pending() {
      int n = chunk.records;
      for (Chunk c : full) {
        n += c.records;
      }
      return n;
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
    int n = 0;
    for (Producer p : producers) {
      n += p.pending();
    }
    return n;
  }

  /**
   * Sleeps until a record (or close) wakes the writer. The flag is set before the last look for
   * records, and a record is appended before its writer looks at the flag, so one of the two
   * always sees the other: no record is left waiting for the safety net.
   */
  private void sleepUntilWoken() {
    asleep = true;
    if (backlog() == 0 && !closed) {
      LockSupport.parkNanos(this, ASLEEP_MAX_NANOS);
    }
    asleep = false;
  }

  /** Returns how many records have been written (handed to the file) so far. */
  public long written() {
    return written.get();
  }

  private void drain() {
    BackgroundPriority.lowerCurrentThread();
    List<Chunk> taken = new ArrayList<>();
    int emptyRounds = 0;
    while (true) {
      // Read before taking: whatever was written before close() is in this round's chunks.
      boolean closing = closed;
      for (Producer p : producers) {
        p.takeAll(taken);
      }
      if (taken.isEmpty() && !closing) {
        // Polling with a short sleep instead of waking the writer for every record: a wake-up (a
        // futex call) per record would cost the resolver more than this.
        if (++emptyRounds < EMPTY_ROUNDS_BEFORE_SLEEP) {
          LockSupport.parkNanos(IDLE_NANOS);
        } else {
          sleepUntilWoken();
        }
        continue;
      }
      emptyRounds = 0;
      for (Chunk chunk : taken) {
        append(chunk.bytes, chunk.lineEnds, chunk.records);
        publish(chunk.bytes, chunk.lineEnds, chunk.records);
        written.addAndGet(chunk.records);
      }
      if (!taken.isEmpty()) {
        flush();
      }
      for (Chunk chunk : taken) {
        chunk.clear();
        spare.add(chunk);
      }
      taken.clear();
      if (System.nanoTime() - lastCapCheckNanos > CAP_CHECK_NANOS) {
        lastCapCheckNanos = System.nanoTime();
        if (archiving.compareAndSet(false, true)) {
          archiver.execute(
              () -> {
                try {
                  maintainArchives();
                } finally {
                  archiving.set(false);
                }
              });
        }
      }
      if (closing) {
        return;
      }
    }
  }

  /** Compresses the rotated files and applies the size and age limits; never throws. */
  private void maintainArchives() {
    try {
      rotated.maintain(Instant.now());
    } catch (IOException | RuntimeException e) {
      log.error("cannot maintain the rotated files of {}: {}", file, e.toString());
    }
  }

  /**
   * Appends whole lines in pieces of about {@value #APPEND_BYTES} bytes: few appends (and rollover
   * checks) per batch, yet a file never outgrows its rotation size by more than one piece.
   */
  private void append(byte[] lines, int[] lineEnds, int count) {
    int start = 0;
    int previousEnd = 0;
    for (int i = 0; i < count; i++) {
      int end = lineEnds[i];
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

  private void publish(byte[] lines, int[] lineEnds, int count) {
    if (taps.stream().noneMatch(LineListener::listening)) {
      return;
    }
    int start = 0;
    for (int i = 0; i < count; i++) {
      int end = lineEnds[i];
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

  private void awaitArchiver() {
    boolean interrupted = false;
    while (true) {
      try {
        if (archiver.awaitTermination(1, TimeUnit.MINUTES)) {
          break;
        }
        log.warn("still compressing the rotated files of {}", file);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Writes every record written so far, then closes the file. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LockSupport.unpark(writer);
    boolean interrupted = false;
    while (writer.isAlive()) {
      try {
        writer.join();
      } catch (InterruptedException e) {
        interrupted = true; // records are never given up for an interrupt
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    files.stop();
    archiver.shutdown();
    awaitArchiver();
    maintainArchives();
    context.stop();
  }
}
