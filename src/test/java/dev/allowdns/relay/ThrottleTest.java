package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The read pauses of {@link Throttle}, on an embedded channel whose clock the test moves. */
class ThrottleTest {
  /**
   * A budget of {@code free} bytes, then 1 byte per µs on the channel's clock (frozen: only the
   * test moves it), as the sandbox's token bucket answers: the wait from now until it is paid.
   */
  private final class Ledger implements ByteBudget {
    long free;
    /** When the bytes charged beyond the free ones are paid off, in loop-clock µs. */
    long paidAt;

    Ledger(long free) {
      this.free = free;
    }

    @Override
    public long charge(long bytes) {
      long fromFree = Math.min(free, bytes);
      free -= fromFree;
      paidAt = Math.max(paidAt, now) + (bytes - fromFree);
      return TimeUnit.MICROSECONDS.toNanos(paidAt - now);
    }
  }

  private boolean sourceOpen = true;
  /** Closing an embedded channel would cancel its loop's timers; an epoll loop's stay. */
  private final EmbeddedChannel channel =
      new EmbeddedChannel() {
        @Override
        public boolean isOpen() {
          return sourceOpen && super.isOpen();
        }
      };
  private long now;
  private int resumed;

  private Throttle throttle(ByteBudget budget) {
    channel.freezeTime();
    Throttle throttle = new Throttle(channel, budget);
    throttle.onResume(() -> resumed++);
    return throttle;
  }

  private void advanceMicros(long micros) {
    now += micros;
    channel.advanceTimeBy(micros, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
  }

  @Test
  void withinBudget_readingGoesOn() {
    Throttle throttle = throttle(new Ledger(1_000));
    assertFalse(throttle.charge(600));
    assertFalse(throttle.charge(400));
    assertFalse(throttle.paused());
    assertEquals(0, resumed);
  }

  @Test
  void overBudget_pausesExactlyAsLongAsTheBudgetSays_thenResumesOnce() {
    Throttle throttle = throttle(new Ledger(1_000));
    assertTrue(throttle.charge(1_500), "500 bytes beyond the budget: pause");
    assertTrue(throttle.paused());
    advanceMicros(499);
    assertTrue(throttle.paused(), "not yet paid off");
    assertEquals(0, resumed);
    advanceMicros(1);
    assertFalse(throttle.paused());
    assertEquals(1, resumed);
    assertFalse(throttle.charge(0), "paid off: reading goes on");
  }

  @Test
  void bytesReadDuringAPause_lengthenIt() {
    Throttle throttle = throttle(new Ledger(0));
    assertTrue(throttle.charge(100));
    assertTrue(throttle.charge(200), "still paused: the rest of that read");
    advanceMicros(100);
    assertTrue(throttle.paused(), "200 bytes still owed: the pause goes on");
    advanceMicros(199);
    assertTrue(throttle.paused());
    advanceMicros(1);
    assertFalse(throttle.paused());
    assertEquals(1, resumed, "one resume for the whole pause");
  }

  @Test
  void channelClosedDuringAPause_stillEndsIt_forWhatItReadBeforeClosing() {
    Throttle throttle = throttle(new Ledger(0));
    assertTrue(throttle.charge(100));
    sourceOpen = false;
    advanceMicros(100);
    assertEquals(1, resumed);
    assertFalse(throttle.paused());
  }
}
