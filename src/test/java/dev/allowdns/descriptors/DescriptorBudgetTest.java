package dev.allowdns.descriptors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class DescriptorBudgetTest {
  @Test
  void capacity_ofTheMachinesHardLimit_leavesTheDnsBoundAndAReserve() {
    DescriptorBudget.Capacity capacity = DescriptorBudget.Capacity.of(20_000, 1024);
    assertEquals(new DescriptorBudget.Capacity(20_000, 8976, 1024, 1024), capacity);
    assertEquals(
        "descriptors 20000: 8976 relayed connections (2 each), 1024 DNS TCP connections, 1024 reserved",
        capacity.describe());
    // systemd's LimitNOFILE=65536: ten thousand fit.
    assertEquals(31744, DescriptorBudget.Capacity.of(65_536, 1024).relayConnections());
  }

  @Test
  void capacity_ofASmallLimit_keepsAnEighthInReserve_andNeverGoesNegative() {
    assertEquals(new DescriptorBudget.Capacity(1024, 0, 1024, 128), DescriptorBudget.Capacity.of(1024, 1024));
    assertEquals(new DescriptorBudget.Capacity(4096, 1536, 512, 512), DescriptorBudget.Capacity.of(4096, 512));
  }

  @Test
  void tryAcquire_admitsUpToTheCapacity_thenRefusesAndCounts_untilOneIsReleased() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    DescriptorBudget budget = DescriptorBudget.of(new DescriptorBudget.Capacity(100, 2, 10, 10), registry);
    assertTrue(budget.tryAcquire());
    assertTrue(budget.tryAcquire());
    assertFalse(budget.tryAcquire());
    assertFalse(budget.tryAcquire());
    assertEquals(2.0, registry.get("allowdns_relay_refused_too_many_open_total").counter().count());
    assertEquals(2.0, registry.get("allowdns_relay_connections_held").gauge().value());
    budget.release();
    assertTrue(budget.tryAcquire());
    assertEquals(2, budget.held());
  }

  @Test
  void raiseToHard_leavesTheSoftLimitAtTheHardLimit() {
    long soft = NoFileLimit.raiseToHard(DescriptorBudget.FALLBACK_LIMIT);
    assertEquals(soft, NoFileLimit.soft());
    assertTrue(soft >= DescriptorBudget.FALLBACK_LIMIT, "soft limit " + soft);
  }
}
