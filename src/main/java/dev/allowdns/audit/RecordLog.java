package dev.allowdns.audit;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.status.Status;
import org.slf4j.LoggerFactory;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes records as JSON lines to {@code DIR/NAME.jsonl}, rotated by size into compressed files
 * whose total is capped. Writing happens on a background thread; when it falls behind, callers
 * wait (backpressure) rather than lose a record. Thread-safe.
 */
public final class RecordLog implements AutoCloseable {
  private static final org.slf4j.Logger log = LoggerFactory.getLogger(RecordLog.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  private static final int QUEUE_SIZE = 65_536;

  private final Logger logger;
  private final AsyncAppender async;
  private final Path file;

  private RecordLog(Logger logger, AsyncAppender async, Path file) {
    this.logger = logger;
    this.async = async;
    this.file = file;
  }

  /**
   * Opens (creating the directory) the record log {@code dir/name.jsonl}.
   *
   * @param maxFileSize size at which the file rotates, e.g. {@code 100MB}
   * @param totalSize cap on all files of this log together, e.g. {@code 2GB}
   */
  public static RecordLog open(Path dir, String name, String maxFileSize, String totalSize) {
    Objects.requireNonNull(dir, "dir");
    LoggerContext context = new LoggerContext();
    context.setName("allowdns-" + name);
    context.setMDCAdapter(new LogbackMDCAdapter());
    // Logback reports a failing file (disk full, permissions) only as a status: make it loud.
    context
        .getStatusManager()
        .add(
            status -> {
              if (status.getLevel() >= Status.WARN) {
                log.error("{} log: {}", name, status.getMessage(), status.getThrowable());
              }
            });
    context.start();
    Path file = dir.resolve(name + ".jsonl");

    RollingFileAppender<ILoggingEvent> files = new RollingFileAppender<>();
    files.setContext(context);
    files.setName(name + "-file");
    files.setFile(file.toString());
    // Readers (logs follow, tail -f, tests) must see a record as soon as the writer thread has it.
    files.setImmediateFlush(true);

    SizeAndTimeBasedRollingPolicy<ILoggingEvent> rolling = new SizeAndTimeBasedRollingPolicy<>();
    rolling.setContext(context);
    rolling.setParent(files);
    rolling.setFileNamePattern(dir.resolve(name + ".%d{yyyy-MM-dd}.%i.jsonl.gz").toString());
    rolling.setMaxFileSize(FileSize.valueOf(maxFileSize));
    rolling.setTotalSizeCap(FileSize.valueOf(totalSize));
    // Logback applies totalSizeCap only with a maxHistory; the size cap is the bound that matters.
    rolling.setMaxHistory(3650);
    rolling.start();
    files.setRollingPolicy(rolling);

    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    files.setEncoder(encoder);
    files.start();

    AsyncAppender async = new AsyncAppender();
    async.setContext(context);
    async.setName(name + "-async");
    async.setQueueSize(QUEUE_SIZE);
    // Never discard and never drop when full: an audit log that loses lines is worse than a slow one.
    async.setDiscardingThreshold(0);
    async.setNeverBlock(false);
    async.setMaxFlushTime(0);
    async.addAppender(files);
    async.start();

    Logger logger = context.getLogger(name);
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
    logger.addAppender(async);
    return new RecordLog(logger, async, file);
  }

  /** Returns the path of the current (not yet rotated) file. */
  public Path file() {
    return file;
  }

  /** Appends one record as a JSON line. Blocks only when the writer is far behind. */
  public void write(Object record) {
    String line;
    try {
      line = JSON.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("record cannot be written as JSON: " + record, e);
    }
    logger.info(line);
  }

  /** Returns how many records wait to be written. */
  public int backlog() {
    return async.getNumberOfElementsInQueue();
  }

  /** Writes every queued record, then closes the files. */
  @Override
  public void close() {
    ((LoggerContext) logger.getLoggerContext()).stop();
  }
}
