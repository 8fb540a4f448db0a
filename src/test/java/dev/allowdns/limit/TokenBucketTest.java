package dev.allowdns.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void tryTake_newBucket_isFullWithTwoSecondsOfBurst() {
    TokenBucket bucket = new TokenBucket();
    int taken = 0;
    while (bucket.tryTake(5 * SECOND, 200, 2 * SECOND)) {
      taken++;
    }
    assertEquals(400, taken);
  }

  @Test
  void tryTake_refilledAtTheRate() {
    TokenBucket bucket = new TokenBucket();
    while (bucket.tryTake(0, 100, 2 * SECOND)) {}
    assertFalse(bucket.tryTake(0, 100, 2 * SECOND));
    int taken = 0;
    while (bucket.tryTake(SECOND / 2, 100, 2 * SECOND)) {
      taken++;
    }
    assertEquals(50, taken); // half a second at 100/s
  }

  @Test
  void tryTake_aLowerRateAfterAReload_appliesAtOnce() {
    TokenBucket bucket = new TokenBucket();
    for (int i = 0; i < 20; i++) {
      assertTrue(bucket.tryTake(0, 200, 2 * SECOND));
    }
    // 20 tokens at 200/s are 0.1 s of debt; at 10/s the burst holds 20 tokens, one second each 10
    int taken = 0;
    while (bucket.tryTake(0, 10, 2 * SECOND)) {
      taken++;
    }
    assertEquals(19, taken);
  }

  @Test
  void take_pastTheBurst_returnsThePauseThatKeepsTheRate() {
    TokenBucket bucket = new TokenBucket();
    long rate = 1_000_000; // bytes per second
    assertEquals(0, bucket.take(0, rate, 1_000_000, SECOND)); // the one second of burst
    assertEquals(SECOND / 2, bucket.take(0, rate, 500_000, SECOND));
    assertEquals(SECOND / 4, bucket.take(SECOND / 4, rate, 0, SECOND)); // 1.5 s of debt, 0.25 s on
  }

  @Test
  void available_countsDown() {
    TokenBucket bucket = new TokenBucket();
    assertEquals(400, bucket.available(0, 200, 2 * SECOND));
    bucket.tryTake(0, 200, 2 * SECOND);
    assertEquals(399, bucket.available(0, 200, 2 * SECOND));
  }
}
