package dev.allowdns.relay;

import io.netty.channel.Channel;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Shapes one channel's reads to a {@link ByteBudget}: bytes are charged once read, and forwarded
 * as usual, so nothing is lost or held back; when the budget is in debt, reading pauses on the
 * channel's own event loop until it is paid off (no thread waits, other channels read on).
 * Whoever owns the channel's reading (a {@link Pump}, the explicit proxy) stops reading while
 * {@link #paused()} and goes on when told. Confined to the channel's event loop.
 */
public final class Throttle {
  private final Channel channel;
  private final ByteBudget budget;
  private final LongConsumer shapedNanos;
  private Runnable resume = () -> {};
  private boolean paused;
  /** The waits scheduled in this pause: the shaped time, on the loop's own clock. */
  private long pausedNanos;

  /**
   * @param channel the channel whose reads are shaped; its event loop times the pauses
   * @param shapedNanos hears how long each pause lasted, when it ends
   */
  public Throttle(Channel channel, ByteBudget budget, LongConsumer shapedNanos) {
    this.channel = channel;
    this.budget = budget;
    this.shapedNanos = shapedNanos;
  }

  /** Returns a throttle that never pauses, or one over {@code budget} when it is limited. */
  public static Throttle of(Channel channel, ByteBudget budget, LongConsumer shapedNanos) {
    return budget == ByteBudget.UNLIMITED ? null : new Throttle(channel, budget, shapedNanos);
  }

  /** Sets what to run when a pause ends: let the channel read again. */
  public void onResume(Runnable resume) {
    this.resume = resume;
  }

  /**
   * Charges {@code bytes} just read from the channel; returns whether reading must pause now (it
   * is then paused until {@link #onResume}'s action runs).
   */
  public boolean charge(long bytes) {
    long wait = budget.charge(bytes);
    if (paused) {
      return true; // already timed: the end of the pause asks the budget again
    }
    if (wait <= 0) {
      return false;
    }
    paused = true;
    pausedNanos = 0;
    schedule(wait);
    return true;
  }

  /** Returns whether reading is paused for the budget. */
  public boolean paused() {
    return paused;
  }

  private void schedule(long waitNanos) {
    pausedNanos += waitNanos;
    channel.eventLoop().schedule(this::endPause, waitNanos, TimeUnit.NANOSECONDS);
  }

  private void endPause() {
    long wait = budget.charge(0); // bytes charged during the pause, or other connections' reads
    if (wait > 0 && channel.isOpen()) {
      schedule(wait);
      return;
    }
    paused = false;
    shapedNanos.accept(pausedNanos);
    if (channel.isOpen()) {
      resume.run();
    }
  }
}
