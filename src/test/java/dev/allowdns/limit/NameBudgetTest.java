package dev.allowdns.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NameBudgetTest {
  private final NameBudget budget = new NameBudget();

  private String admit(String name, long now, long limit) {
    return budget.admit(name, name.hashCode() * 0x9E3779B97F4A7C15L, now, limit);
  }

  @Test
  void admit_pastTheBudget_refusesNewNamesAndKeepsTheSeenOnes() {
    for (int i = 0; i < 10; i++) {
      assertNull(admit("x" + i + ".data.example.com", 0, 10));
    }
    assertEquals("example.com", admit("x10.data.example.com", 1, 10));
    assertNull(admit("x3.data.example.com", 2, 10)); // seen: keeps resolving
    assertNull(admit("www.example.org", 2, 10)); // another registrable domain, its own budget
  }

  @Test
  void admit_registrableDomain_byThePublicSuffixList() {
    for (int i = 0; i < 3; i++) {
      assertNull(admit("h" + i + ".bbc.co.uk", 0, 3));
    }
    assertEquals("bbc.co.uk", admit("h9.bbc.co.uk", 0, 3));
    assertNull(admit("a.other.co.uk", 0, 3));
    assertEquals("b.internal", RegistrableDomain.of("a.b.internal")); // no suffix: last two labels
  }

  @Test
  void admit_aNewHour_startsTheDomainAfresh() {
    for (int i = 0; i < 5; i++) {
      admit("n" + i + ".example.com", 0, 5);
    }
    assertEquals("example.com", admit("n5.example.com", 0, 5));
    assertNull(admit("n5.example.com", NameBudget.HOUR_NANOS, 5));
  }

  @Test
  void admit_unboundedNamesAndDomains_memoryStaysBounded() {
    long now = 0;
    for (int i = 0; i < 200_000; i++) {
      admit("t" + i + ".d" + (i % 5000) + ".example", now++, 2048);
      assertTrue(budget.size() <= NameBudget.MAX_NAMES);
    }
    // 5,000 domains of 40 names each: the 256 most recent domains are kept
    assertEquals(NameBudget.MAX_DOMAINS, budget.size());
  }

  @Test
  void admit_afterEvictions_namesKeptAreStillFound() {
    for (int d = 0; d < 300; d++) {
      for (int i = 0; i < 10; i++) {
        admit("n" + i + ".d" + d + ".example", d * 10L + i, 100);
      }
    }
    // the table holds the last 204 domains' names (2,048 at most): each is still a seen name
    for (int d = 299; d > 299 - 200; d--) {
      for (int i = 0; i < 10; i++) {
        assertNull(admit("n" + i + ".d" + d + ".example", 10_000, 10));
      }
    }
    assertTrue(budget.size() <= NameBudget.MAX_NAMES);
  }

  @Test
  void admit_oneDomainAtTheMostNames_isStillLimited() {
    for (int i = 0; i < 2048; i++) {
      assertNull(admit("t" + i + ".tunnel.example", i, 2048));
    }
    assertEquals("tunnel.example", admit("more.tunnel.example", 3000, 2048));
    assertEquals(2048, budget.size());
  }

  @Test
  void admit_fromManyThreads_countsEachNameOnceAndNeverPastTheBudget() throws Exception {
    java.util.concurrent.atomic.AtomicInteger admittedNew = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger seenRefused = new java.util.concurrent.atomic.AtomicInteger();
    for (int i = 0; i < 50; i++) {
      admit("seen" + i + ".example.com", 0, 300);
    }
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      int id = t;
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 2_000; i++) {
                  if (admit("t" + id + "-" + i + ".example.com", 1, 300) == null) {
                    admittedNew.incrementAndGet();
                  }
                  if (admit("seen" + (i % 50) + ".example.com", 1, 300) != null) {
                    seenRefused.incrementAndGet();
                  }
                }
              });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join(30_000);
    }
    assertEquals(250, admittedNew.get(), "300 names of the budget, 50 counted before");
    assertEquals(0, seenRefused.get(), "names counted before are never refused");
    assertEquals(300, budget.size());
  }
}
