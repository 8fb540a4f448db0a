package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The read pauses of {@link Throttle}, on an embedded channel whose clock the test moves. */
class ThrottleTest {
  /** A budget in debt by what was charged beyond {@code free}, paid off at 1 byte per µs. */
  private static final class Ledger implements ByteBudget {
    long free;
    long debt;

    Ledger(long free) {
      this.free = free;
    }

    @Override
    public long charge(long bytes) {
      long fromFree = Math.min(free, bytes);
      free -= fromFree;
      debt += bytes - fromFree;
      return TimeUnit.MICROSECONDS.toNanos(debt);
    }

    void pay(long bytes) {
      debt = Math.max(0, debt - bytes);
    }
  }

  private final EmbeddedChannel channel = new EmbeddedChannel();
  private final List<Long> shaped = new ArrayList<>();
  private int resumed;

  private Throttle throttle(ByteBudget budget) {
    channel.freezeTime(); // only the test moves the loop's clock
    Throttle throttle = Throttle.of(channel, budget, shaped::add);
    throttle.onResume(() -> resumed++);
    return throttle;
  }

  @Test
  void unlimitedBudget_hasNoThrottle() {
    assertNull(Throttle.of(channel, ByteBudget.UNLIMITED, shaped::add));
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
  void overBudget_pausesUntilTheDebtIsPaid_thenResumesOnce_andCountsTheTime() {
    Ledger budget = new Ledger(1_000);
    Throttle throttle = throttle(budget);
    assertTrue(throttle.charge(1_500), "500 bytes in debt: pause");
    assertTrue(throttle.paused());

    budget.pay(499);
    channel.advanceTimeBy(499, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
    assertTrue(throttle.paused(), "not yet paid off");
    assertEquals(0, resumed);

    budget.pay(1);
    channel.advanceTimeBy(1, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
    assertFalse(throttle.paused());
    assertEquals(1, resumed);
    assertEquals(List.of(TimeUnit.MICROSECONDS.toNanos(500)), shaped, "the pause, once");
  }

  @Test
  void bytesReadDuringAPause_extendIt_withoutASecondTimer() {
    Ledger budget = new Ledger(0);
    Throttle throttle = throttle(budget);
    assertTrue(throttle.charge(100));
    assertTrue(throttle.charge(200), "still paused: the rest of that read");
    budget.pay(100);
    channel.advanceTimeBy(100, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
    assertTrue(throttle.paused(), "200 bytes still owed: the pause goes on");
    budget.pay(200);
    channel.advanceTimeBy(200, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
    assertFalse(throttle.paused());
    assertEquals(1, resumed);
    assertEquals(List.of(TimeUnit.MICROSECONDS.toNanos(300)), shaped);
  }

  @Test
  void channelClosedDuringAPause_isNotResumed() {
    Ledger budget = new Ledger(0);
    Throttle throttle = throttle(budget);
    assertTrue(throttle.charge(100));
    channel.close();
    budget.pay(100);
    channel.advanceTimeBy(100, TimeUnit.MICROSECONDS);
    channel.runScheduledPendingTasks();
    assertEquals(0, resumed);
  }
}
