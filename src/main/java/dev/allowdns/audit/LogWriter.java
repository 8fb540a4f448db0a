package dev.allowdns.audit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer thread of one record log: takes the threads' chunks every few milliseconds into the
 * {@link Hold} and hands the hold to the {@link RecordFile}. While the file fails it goes on
 * taking chunks (the threads never wait for a failing disk) and tries the file again every
 * {@value #RETRY_MILLIS} ms, so the records reach it in order once it takes them again. Tells
 * the log when the hold is full, and when it has drained to half.
 */
final class LogWriter implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(LogWriter.class);
  /** How long the writer sleeps when it finds nothing to write: the most a record waits. */
  private static final long IDLE_NANOS = 2_000_000;
  /**
   * Empty rounds after which the writer sleeps until a record wakes it: an idle server should
   * not wake 500 times a second per log, and a busy one never goes that long without a record.
   */
  private static final int EMPTY_ROUNDS_BEFORE_SLEEP = 5;
  /** The longest sleep until woken; only a safety net, since every record after it wakes it. */
  private static final long ASLEEP_MAX_NANOS = 10_000_000_000L;
  static final int RETRY_MILLIS = 50;
  private static final long RETRY_NANOS = RETRY_MILLIS * 1_000_000L;
  /** How often a file that goes on failing is reported again. */
  private static final long REPORT_AGAIN_NANOS = 60_000_000_000L;
  /** How often the rotated files are looked after while records are written. */
  private static final long ARCHIVE_CHECK_NANOS = 1_000_000_000;

  private final RecordLog owner;
  private final RecordFile file;
  private final Hold hold;
  private final LineOrder order;
  private final HoldPolicy policy;
  private final long closeWaitNanos;
  /** Whether the writer sleeps until woken: then the next record wakes it. */
  volatile boolean asleep;
  /** Why the file fails, while it does: callers judge from it whether the hold is full. */
  volatile String failure;
  /** What the hold keeps, for other threads to read. */
  volatile int heldRecords;
  volatile long heldBytes;
  private long failingSince;
  private boolean failing;
  private IOException lastFailure;
  private long lastAttempt;
  private long lastReport;
  private long lastArchiveCheck;
  private boolean droppingReported;
  /** Whether a chunk found no room since the hold was last below half full. */
  private boolean overflowed;

  LogWriter(RecordLog owner, RecordFile file, Chunk.Pool pool, HoldPolicy policy, long closeWaitNanos) {
    this.owner = owner;
    this.file = file;
    this.hold = new Hold(pool);
    this.order = new LineOrder(pool);
    this.policy = policy;
    this.closeWaitNanos = closeWaitNanos;
  }

  @Override
  public void run() {
    BackgroundPriority.lowerCurrentThread(BackgroundPriority.WRITER);
    List<Chunk> taken = new ArrayList<>();
    int emptyRounds = 0;
    long closingSince = 0;
    try {
      while (true) {
        // Read before taking: whatever was written before close() is in this round's chunks.
        boolean closing = owner.isClosed();
        long horizon = owner.placesGiven(); // before taking: see LineOrder
        owner.takeAll(taken);
        for (Chunk chunk : order.before(closing ? Long.MAX_VALUE : horizon, taken)) {
          keep(chunk);
        }
        taken.clear();
        if (hold.isEmpty() && order.waitingRecords() == 0) {
          published();
          if (closing) {
            return;
          }
          // Polling with a short sleep instead of waking the writer for every record: a wake-up
          // (a futex call) per record would cost the resolver more than this.
          if (++emptyRounds < EMPTY_ROUNDS_BEFORE_SLEEP) {
            LockSupport.parkNanos(IDLE_NANOS);
          } else {
            sleepUntilWoken();
          }
          continue;
        }
        emptyRounds = 0;
        long now = System.nanoTime();
        if (!failing || now - lastAttempt >= RETRY_NANOS) {
          attempt(now);
        }
        published();
        if (now - lastArchiveCheck > ARCHIVE_CHECK_NANOS) {
          lastArchiveCheck = now;
          owner.maintainArchivesSoon();
        }
        if (hold.isEmpty()) {
          continue; // all written; lines past the horizon go in the next round
        }
        if (closing) {
          closingSince = closingSince == 0 ? now : closingSince;
          if (now - closingSince >= closeWaitNanos) {
            giveUpAtClose();
            return;
          }
        }
        LockSupport.parkNanos(IDLE_NANOS); // the file failed: take the threads' chunks meanwhile
      }
    } finally {
      file.close();
    }
  }

  void wake(Thread writer) {
    if (asleep) {
      asleep = false;
      LockSupport.unpark(writer);
    }
  }

  /**
   * Sleeps until a record (or close) wakes the writer. The flag is set before the last look for
   * records, and a record is appended before its writer looks at the flag, so one of the two
   * always sees the other: no record is left waiting for the safety net.
   */
  private void sleepUntilWoken() {
    asleep = true;
    if (owner.backlog() == 0 && !owner.isClosed()) {
      LockSupport.parkNanos(this, ASLEEP_MAX_NANOS);
    }
    asleep = false;
  }

  /** Holds a thread's chunk, unless even the room beyond the hold is full: then it is dropped. */
  private void keep(Chunk chunk) {
    if (!hold.isEmpty() && hold.bytes() + chunk.length > policy.hardCapBytes()) {
      owner.dropped(chunk.records);
      overflowed = true;
      if (!droppingReported) {
        droppingReported = true;
        log.error(
            "{} log: dropping records: {} bytes are held for {}, which takes none ({})",
            owner.name(), hold.bytes(), file.path(), String.valueOf(lastFailure));
      }
      owner.recycle(chunk);
      return;
    }
    hold.add(chunk);
  }

  private void attempt(long now) {
    lastAttempt = now;
    try {
      hold.writeTo(file, owner::delivered);
    } catch (IOException e) {
      lastFailure = e;
      failure = file.path() + ": " + e.getMessage();
      if (!failing) {
        failing = true;
        failingSince = now;
        lastReport = now;
        log.error(
            "{} log: cannot write {}: {}; holding up to {} bytes of records in memory and trying again every {} ms",
            owner.name(), file.path(), e.toString(), policy.holdBytes(), RETRY_MILLIS);
      } else if (now - lastReport > REPORT_AGAIN_NANOS) {
        lastReport = now;
        log.error(
            "{} log: still cannot write {}: {}; {} records ({} bytes) held",
            owner.name(), file.path(), e.toString(), hold.records(), hold.bytes());
      }
      return;
    }
    if (failing) {
      failing = false;
      failure = null;
      droppingReported = false;
      log.warn(
          "{} log: {} takes records again after {} ms; every record held is written",
          owner.name(), file.path(), (now - failingSince) / 1_000_000);
    }
  }

  /** Tells the log what the hold keeps now, and whether it is full (or drained to half). */
  private void published() {
    heldRecords = hold.records() + order.waitingRecords();
    heldBytes = hold.bytes();
    if (heldBytes >= policy.holdBytes() || overflowed) {
      owner.unavailable(failure == null ? file.path() + ": not written" : failure);
    }
    // While the file fails, lines still with the threads are bound for the hold: they count too.
    long waiting = heldBytes + (failure == null ? 0 : owner.pendingBytes());
    if (waiting < policy.holdBytes() / 2 || waiting == 0) {
      overflowed = false;
      owner.unavailable(null);
    }
  }

  /** Shutdown with a file that still fails: says on stderr how many records are lost, and why. */
  private void giveUpAtClose() {
    int lost = hold.discard();
    heldRecords = 0;
    heldBytes = 0;
    owner.dropped(lost);
    String message =
        "allowdns: " + owner.name() + " log: " + lost + " records could not be written to " + file.path()
            + " before shutdown (" + lastFailure + ")";
    log.error(message);
    System.err.println(message);
  }
}
