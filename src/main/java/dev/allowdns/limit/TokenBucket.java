package dev.allowdns.limit;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket kept as GCRA (the generic cell rate algorithm): one {@code long}, the time at
 * which the bucket would be full again, updated by compare-and-set, so event-loop threads never
 * block on it. The rate is given on each call, so a reload changes it at once without losing the
 * state. A new bucket is full. Thread-safe.
 */
public final class TokenBucket {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  /** When the bucket would be full again ("theoretical arrival time"), in ticker nanoseconds. */
  private final AtomicLong fullAt = new AtomicLong(Long.MIN_VALUE / 2);

  /**
   * Takes one token when there is one.
   *
   * @param ratePerSecond tokens added per second, more than 0
   * @param burstNanos how many nanoseconds' worth of tokens the bucket holds
   * @return whether a token was taken; a refusal takes nothing
   */
  public boolean tryTake(long nowNanos, long ratePerSecond, long burstNanos) {
    long cost = NANOS_PER_SECOND / ratePerSecond;
    while (true) {
      long before = fullAt.get();
      long after = Math.max(before, nowNanos) + cost;
      if (after - nowNanos > burstNanos) {
        return false;
      }
      if (fullAt.compareAndSet(before, after)) {
        return true;
      }
    }
  }

  /**
   * Takes {@code units} tokens whether or not there are so many (a shaper never refuses bytes
   * already read) and returns how long to wait before taking more: the time the bucket needs to
   * be back within its burst, 0 when it is.
   *
   * @param ratePerSecond tokens added per second, more than 0
   */
  public long take(long nowNanos, long ratePerSecond, long units, long burstNanos) {
    long cost = units * NANOS_PER_SECOND / ratePerSecond;
    while (true) {
      long before = fullAt.get();
      long after = Math.max(before, nowNanos) + cost;
      if (fullAt.compareAndSet(before, after)) {
        return Math.max(0, after - nowNanos - burstNanos);
      }
    }
  }

  /** Returns the tokens in the bucket now, at most {@code ratePerSecond × burst}. */
  public long available(long nowNanos, long ratePerSecond, long burstNanos) {
    long debt = Math.max(0, fullAt.get() - nowNanos);
    return Math.max(0, (burstNanos - debt) * ratePerSecond / NANOS_PER_SECOND);
  }
}
