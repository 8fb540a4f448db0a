package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RecentPairsTest {

  @Test
  void add_samePairTwice_isNewOnlyTheFirstTime() {
    RecentPairs pairs = new RecentPairs(100);

    assertTrue(pairs.add("sb-1", "a.test"));
    assertFalse(pairs.add("sb-1", "a.test"));
  }

  @Test
  void add_sameNameForAnotherSandbox_isNew() {
    RecentPairs pairs = new RecentPairs(100);
    pairs.add("sb-1", "a.test");

    assertTrue(pairs.add("sb-2", "a.test"));
    assertTrue(pairs.add("sb-1a", ".test")); // the boundary between the two strings counts
  }

  @Test
  void add_afterManyOthers_remembersAtLeastHalfTheCapacity() {
    RecentPairs pairs = new RecentPairs(1_000);
    for (int i = 0; i < 10_000; i++) {
      pairs.add("sb", "n" + i + ".test");
    }

    for (int i = 10_000 - 500; i < 10_000; i++) {
      assertFalse(pairs.add("sb", "n" + i + ".test"), "n" + i);
    }
  }

  @Test
  void add_afterMoreThanTheCapacity_forgetsTheOldest() {
    RecentPairs pairs = new RecentPairs(1_000);
    pairs.add("sb", "first.test");
    for (int i = 0; i < 1_001; i++) {
      pairs.add("sb", "n" + i + ".test");
    }

    assertTrue(pairs.add("sb", "first.test"));
  }
}
