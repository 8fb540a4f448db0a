package dev.allowdns.relay;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Shapes one channel's reads to its sandbox's bandwidth ({@link ByteBudget}): bytes are charged
 * once read and forwarded as usual, so nothing is lost, held back or miscounted; when the budget
 * says wait, reading pauses on the channel's own event loop for that long (no thread waits, and
 * no other channel is touched). Whoever owns the channel's reading (a {@link Pump}, the explicit
 * proxy) stops reading while {@link #paused()} and reads again when {@link #onResume}'s action
 * runs. Confined to the channel's event loop.
 */
public final class Throttle {
  private final Channel channel;
  private final ByteBudget budget;
  private Runnable resume = () -> {};
  private ScheduledFuture<?> pause;
  /** How much longer than the running timer bytes read during the pause asked to wait. */
  private long extraNanos;

  Throttle(Channel channel, ByteBudget budget) {
    this.channel = channel;
    this.budget = budget;
  }

  /** Sets what to run when a pause ends: let the channel read again. */
  public void onResume(Runnable resume) {
    this.resume = resume;
  }

  /**
   * Charges {@code bytes} just read from the channel; returns whether reading must pause now (it
   * then stays paused until {@link #onResume}'s action runs). Bytes charged during a pause (the
   * rest of a read) lengthen it.
   */
  public boolean charge(long bytes) {
    long wait = budget.charge(bytes);
    if (pause != null) {
      // The rest of a read that came in after the pause began: it only lengthens the pause.
      extraNanos = Math.max(extraNanos, wait - pause.getDelay(TimeUnit.NANOSECONDS));
      return true;
    }
    if (wait <= 0) {
      return false;
    }
    schedule(wait);
    return true;
  }

  /** Returns whether reading is paused for the budget. */
  public boolean paused() {
    return pause != null;
  }

  private void schedule(long waitNanos) {
    pause = channel.eventLoop().schedule(this::endPause, waitNanos, TimeUnit.NANOSECONDS);
  }

  /** Ends the pause, the source closed or not: what it read before closing still has to go on. */
  private void endPause() {
    if (extraNanos > 0) {
      long extra = extraNanos;
      extraNanos = 0;
      schedule(extra);
      return;
    }
    pause = null;
    extraNanos = 0;
    resume.run();
  }
}
