package dev.allowdns.audit;

import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
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
 * Writes records as JSON lines to {@code DIR/NAME.jsonl}, rotated by size and day ({@link
 * RecordFile}) into gzipped files kept within a total size and a maximum age ({@link
 * RotatedFiles}). Thread-safe.
 *
 * <p>Each calling thread encodes its records at once into a chunk of its own ({@link
 * LineEncoder}); one writer thread ({@link LogWriter}), at the lowest priority, takes the chunks
 * every few milliseconds and appends them. When the writer falls behind, callers wait
 * (backpressure). When the file fails (a full or failing disk), the records are held in memory
 * ({@link HoldPolicy}) and written, in order, once it takes them again; once the hold is full the
 * log is unavailable ({@link #unavailableCause()}): failing closed, new work is refused ({@link
 * #refusalCause()}); failing open, records that do not fit are dropped and counted. Lines reach
 * the file in the order their {@code write} calls took them, across threads ({@link LineOrder}).
 */
public final class RecordLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecordLog.class);
  /** How long a thread waits between checks whether the writer caught up. */
  private static final long BACKPRESSURE_NANOS = 200_000;
  /** How long a shutdown waits for a failing file to take the records held. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
  /** How often the rotated files are checked when nothing rotates (the age limit still moves). */
  private static final Duration IDLE_CHECK = Duration.ofHours(1);

  /** Receives written lines; asked first whether anyone listens, so idle taps cost nothing. */
  public interface LineListener {
    boolean listening();

    void accept(String line);
  }

  private final String name;
  private final Path file;
  private final HoldPolicy policy;
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final List<LineListener> taps = new CopyOnWriteArrayList<>();
  private final List<LineEncoder> encoders = new CopyOnWriteArrayList<>();
  private final Chunk.Pool pool = new Chunk.Pool();
  /** Places given to lines so far: the order of writes across threads (LineOrder). */
  private final AtomicLong places = new AtomicLong();
  private final ThreadLocal<LineEncoder> encoder = ThreadLocal.withInitial(this::newEncoder);
  private final LogWriter writer;
  private final Thread writerThread;
  private final RotatedFiles rotated;
  /**
   * Gzips and prunes the rotated files, apart from the writer: compressing a 100 MB file takes
   * about a second, and a writer busy that long would make callers wait for it.
   */
  private final ScheduledExecutorService archiver;
  private final AtomicBoolean archiving = new AtomicBoolean();
  private volatile boolean closed;
  /** Why the hold is full, or {@code null} while records are kept. */
  private volatile String unavailable;
  /** Orders the changes of {@link #unavailable} by the writer and by callers. */
  private final Object availability = new Object();

  private RecordLog(Path file, String name, long maxFileBytes, RotatedFiles rotated, HoldPolicy policy, Duration closeWait) {
    this.name = name;
    this.file = file;
    this.policy = policy;
    this.rotated = rotated;
    this.writer = new LogWriter(this, new RecordFile(file, maxFileBytes, Clock.systemDefaultZone()), pool, policy, closeWait.toNanos());
    this.writerThread = new Thread(writer, "allowdns-" + name + "-writer");
    this.writerThread.setDaemon(true);
    this.archiver =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread =
                  new Thread(
                      () -> {
                        BackgroundPriority.lowerCurrentThread(BackgroundPriority.ARCHIVER);
                        task.run();
                      },
                      "allowdns-" + name + "-archiver");
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Opens {@code dir/name.jsonl} holding records as {@link HoldPolicy#DEFAULT} says. */
  public static RecordLog open(Path dir, String name, String maxFileSize, String totalSize, Duration maxAge) {
    return open(dir, name, maxFileSize, totalSize, maxAge, HoldPolicy.DEFAULT);
  }

  /**
   * Opens (creating the directory) the record log {@code dir/name.jsonl}.
   *
   * @param maxFileSize size at which the file rotates, e.g. {@code 100MB}
   * @param totalSize cap on all files of this log together, e.g. {@code 2GB}
   * @param maxAge rotated files last written longer ago than this are deleted (checked now, after
   *     each rotation and hourly)
   * @throws IllegalStateException when the directory or the file cannot be opened
   */
  public static RecordLog open(
      Path dir, String name, String maxFileSize, String totalSize, Duration maxAge, HoldPolicy policy) {
    return open(dir, name, maxFileSize, totalSize, maxAge, policy, CLOSE_WAIT);
  }

  static RecordLog open(
      Path dir, String name, String maxFileSize, String totalSize, Duration maxAge, HoldPolicy policy, Duration closeWait) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(policy, "policy");
    long totalBytes = FileSize.valueOf(totalSize).getSize();
    long maxFileBytes = FileSize.valueOf(maxFileSize).getSize();
    Path file = dir.resolve(name + ".jsonl");
    RecordFile probe = new RecordFile(file, maxFileBytes, Clock.systemDefaultZone());
    try {
      Files.createDirectories(dir);
      probe.open(); // a directory that cannot be written to stops the start
    } catch (IOException e) {
      throw new IllegalStateException("cannot open record log " + file + ": " + e, e);
    } finally {
      probe.close();
    }
    RecordLog recordLog =
        new RecordLog(file, name, maxFileBytes, new RotatedFiles(file, totalBytes, maxAge), policy, closeWait);
    recordLog.writerThread.start();
    recordLog.archiver.scheduleWithFixedDelay(
        recordLog::maintainArchives, 0, IDLE_CHECK.toMillis(), TimeUnit.MILLISECONDS);
    return recordLog;
  }

  /** Returns the path of the current (not yet rotated) file. */
  public Path file() {
    return file;
  }

  /** Returns the log's name ({@code queries}, {@code connections}). */
  public String name() {
    return name;
  }

  /**
   * Encodes the record of work taken (a query answered, a connection accepted) as a JSON line
   * for the writer. Blocks only while this thread has {@value LineEncoder#MAX_FULL_CHUNKS} full
   * chunks waiting for the writer, never for a failing file. Failing open and unavailable, the
   * record is dropped and counted.
   *
   * @throws IllegalStateException after {@link #close()}
   * @throws IllegalArgumentException when Jackson cannot encode {@code record}; nothing is written
   */
  public void write(Object record) {
    Objects.requireNonNull(record, "record");
    if (policy.failOpen() && unavailableCause() != null) {
      dropped.incrementAndGet();
      return;
    }
    append(record);
  }

  /**
   * Writes the record of work refused because the log is unavailable ({@link #refusalCause()}):
   * dropped and counted while the hold is full, so clients that retry cannot grow the memory held.
   */
  public void writeUnlessUnavailable(Object record) {
    Objects.requireNonNull(record, "record");
    if (unavailableCause() != null) {
      dropped.incrementAndGet();
      return;
    }
    append(record);
  }

  private void append(Object record) {
    LineEncoder e = encoder.get();
    boolean filledAChunk;
    synchronized (e) {
      if (closed) {
        throw new IllegalStateException("record log " + file + " is closed; record: " + record);
      }
      filledAChunk = e.append(record);
    }
    writer.wake(writerThread);
    while (filledAChunk && e.mustWait() && !closed) {
      LockSupport.parkNanos(BACKPRESSURE_NANOS);
    }
  }

  /**
   * Returns why new work must be refused (failing closed, the hold full), or {@code null}. The
   * resolver and the relay ask before taking a query or a connection.
   */
  public String refusalCause() {
    return policy.failOpen() ? null : unavailableCause();
  }

  /**
   * Returns why records are not kept (the hold full, either way of failing), or {@code null}.
   * While the file fails, the lines still with the threads count too: a writer that the
   * scheduler keeps waiting (it runs at the lowest priority) must not let work through unheld.
   */
  public String unavailableCause() {
    String published = unavailable;
    if (published != null) {
      return published;
    }
    String failure = writer.failure;
    if (failure == null) {
      return null;
    }
    if (writer.heldBytes + pendingBytes() < policy.holdBytes()) {
      return null;
    }
    // Published, so that it holds until the writer has drained the hold to half: while the writer
    // moves lines from the threads into the hold, the sum would dip for a moment and let work in.
    synchronized (availability) {
      if (writer.failure == null) {
        return null; // the file took records meanwhile: the writer will not clear what we set now
      }
      unavailable(failure);
    }
    return describe(failure);
  }

  /** Returns the bytes of lines still with the threads, not yet taken by the writer. */
  long pendingBytes() {
    long bytes = 0;
    for (LineEncoder e : encoders) {
      bytes += e.pendingBytes();
    }
    return bytes;
  }

  private String describe(String failure) {
    return "the " + name + " log cannot be written (" + failure + ")";
  }

  /**
   * Calls {@code listener} with every line written from now on (without its newline), on the
   * writer thread: it must be quick and must not throw.
   */
  public void tap(LineListener listener) {
    taps.add(listener);
  }

  /** Returns how many records wait to be written: with the threads, and held for the file. */
  public int backlog() {
    int n = writer.heldRecords;
    for (LineEncoder e : encoders) {
      n += e.pending();
    }
    return n;
  }

  /** Returns how many bytes of records the hold keeps for a file that has not taken them. */
  public long heldBytes() {
    return writer.heldBytes;
  }

  /** Returns how many records the file has taken whole since start. */
  public long written() {
    return written.get();
  }

  /** Returns how many records were lost since start: not kept while unavailable, or at shutdown. */
  public long dropped() {
    return dropped.get();
  }

  long placesGiven() {
    return places.get();
  }

  boolean isClosed() {
    return closed;
  }

  void takeAll(List<Chunk> into) {
    for (LineEncoder e : encoders) {
      e.takeAll(into);
    }
  }

  void recycle(Chunk chunk) {
    pool.give(chunk);
  }

  void dropped(int records) {
    dropped.addAndGet(records);
  }

  /**
   * Sets (or, with {@code null}, clears) why the log is unavailable, saying so once. The writer
   * calls it, and so do callers that find the hold full before the writer has said so.
   */
  void unavailable(String cause) {
    synchronized (availability) {
      publish(cause);
    }
  }

  private void publish(String cause) {
    String was = unavailable;
    if ((was == null) == (cause == null)) {
      return;
    }
    unavailable = cause == null ? null : describe(cause);
    if (cause != null) {
      log.error(
          "{} log unavailable: {} bytes of records held for {}; {}",
          name, policy.holdBytes(), file,
          policy.failOpen() ? "records that do not fit are dropped (--on-log-failure open)" : "refusing new work");
    } else {
      log.warn("{} log available again: the records held are written", name);
    }
  }

  /** Counts (and shows the taps) the lines {@code fromLine} to {@code toLine} the file took. */
  void delivered(Chunk chunk, int fromLine, int toLine) {
    written.addAndGet(toLine - fromLine);
    if (taps.stream().noneMatch(LineListener::listening)) {
      return;
    }
    int start = fromLine == 0 ? 0 : chunk.lineEnds[fromLine - 1];
    for (int i = fromLine; i < toLine; i++) {
      int end = chunk.lineEnds[i];
      String line = new String(chunk.bytes, start, end - start - 1, StandardCharsets.UTF_8);
      for (LineListener tap : taps) {
        tap.accept(line);
      }
      start = end;
    }
  }

  private LineEncoder newEncoder() {
    LineEncoder e = new LineEncoder(pool, places);
    encoders.add(e);
    return e;
  }

  /** Has the rotated files looked after on the archiver, unless it is at it already. */
  void maintainArchivesSoon() {
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

  /** Compresses the rotated files and applies the size and age limits; never throws. */
  private void maintainArchives() {
    try {
      rotated.maintain(Instant.now());
    } catch (IOException | RuntimeException e) {
      log.error("cannot maintain the rotated files of {}: {}", file, e.toString());
    }
  }

  /**
   * Writes every record written so far, then closes the file. A file that still fails 5 s after
   * the call loses the records held: their count is printed on stderr (and counted dropped).
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    LockSupport.unpark(writerThread);
    boolean interrupted = false;
    while (writerThread.isAlive()) {
      try {
        writerThread.join();
      } catch (InterruptedException e) {
        interrupted = true; // records are never given up for an interrupt
      }
    }
    archiver.shutdown();
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
    maintainArchives();
    if (dropped.get() > 0) {
      System.err.println("allowdns: " + name + " log: " + dropped.get() + " records lost since start");
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
