package dev.allowdns.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.config.Limits;
import dev.allowdns.config.LimitsConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SandboxBudgetsTest {
  private final AtomicLong now = new AtomicLong();
  private final Ticker ticker = now::get;
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private static final Limits SMALL = new Limits(10, 3, 2, 2, 1000, 2000);
  private final SandboxBudgets budgets =
      SandboxBudgets.create(new LimitsConfig(Limits.DEFAULTS, Map.of("strict", SMALL)), registry, ticker);

  @Test
  void admitQuery_overTheBurst_isRefusedNamingTheLimit() {
    int admitted = 0;
    Refusal refusal = null;
    for (int i = 0; i < 30 && refusal == null; i++) {
      refusal = budgets.admitQuery("vm-7", "strict").orElse(null);
      admitted += refusal == null ? 1 : 0;
    }
    assertEquals(20, admitted); // 10/s with 2 s of burst
    assertEquals("allowdns: sandbox vm-7 is over dns_qps 10/s", refusal.text());
    assertEquals("rate_limited", refusal.reason());
    assertTrue(budgets.admitQuery("vm-8", "strict").isEmpty(), "another sandbox has its own bucket");
    assertEquals(1.0, registry.get("allowdns_limit_hits").tags("limit", "dns_qps", "policy", "strict").counter().count());
  }

  @Test
  void admitQuery_loopback_isNeverLimited() {
    for (int i = 0; i < 1000; i++) {
      assertTrue(budgets.admitQuery("loopback", "strict").isEmpty());
    }
  }

  @Test
  void apply_newLimits_takeEffectAtOnce() {
    for (int i = 0; i < 20; i++) {
      budgets.admitQuery("vm-7", "strict");
    }
    assertFalse(budgets.admitQuery("vm-7", "strict").isEmpty());
    budgets.apply(new LimitsConfig(Limits.DEFAULTS, Map.of("strict", new Limits(0, 3, 2, 2, 0, 0))));
    assertTrue(budgets.admitQuery("vm-7", "strict").isEmpty(), "dns_qps 0 is unlimited");
  }

  @Test
  void admitName_pastTheBudget_namesTheDomain() {
    for (int i = 0; i < 3; i++) {
      assertTrue(budgets.admitName("vm-7", "strict", "x" + i + ".tunnel.example.com").isEmpty());
    }
    Refusal refusal = budgets.admitName("vm-7", "strict", "x3.tunnel.example.com").orElseThrow();
    assertEquals("allowdns: sandbox vm-7 is over names_per_domain_per_hour 3 for example.com", refusal.text());
    assertEquals("name_budget", refusal.reason());
    assertTrue(budgets.admitName("vm-7", "strict", "x1.tunnel.example.com").isEmpty());
  }

  @Test
  void admitConnection_openLimit_untilAPermitIsClosed() {
    now.addAndGet(10_000_000_000L);
    ConnectionAdmission first = budgets.admitConnection("vm-7", "strict");
    ConnectionAdmission second = budgets.admitConnection("vm-7", "strict");
    assertTrue(first.admitted() && second.admitted());
    now.addAndGet(1_000_000_000L); // refill connections_per_second
    ConnectionAdmission third = budgets.admitConnection("vm-7", "strict");
    assertEquals("too_many_open", third.refusal().reason());
    first.permit().close();
    first.permit().close(); // once only
    assertTrue(budgets.admitConnection("vm-7", "strict").admitted());
    assertEquals(2, budgets.use("vm-7", "strict").openConnections());
  }

  @Test
  void admitConnection_perSecond_isRateLimited() {
    List<ConnectionAdmission> admissions = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ConnectionAdmission a = budgets.admitConnection("vm-7", "strict");
      admissions.add(a);
      if (a.admitted()) {
        a.permit().close();
      }
    }
    assertEquals(4, admissions.stream().filter(ConnectionAdmission::admitted).count()); // 2/s, 2 s burst
    assertEquals("rate_limited", admissions.get(4).refusal().reason());
    assertEquals("connections_per_second", admissions.get(4).refusal().limit().key());
  }

  @Test
  void shape_pastOneSecondOfBytes_pausesAndCountsShapedTime() {
    ConnectionPermit permit = budgets.admitConnection("vm-7", "strict").permit();
    assertEquals(0, permit.shape(Direction.UP, 1000)); // the 1 s burst of 1000 B/s
    assertEquals(500_000_000L, permit.shape(Direction.UP, 500));
    assertEquals(0, permit.shape(Direction.DOWN, 2000), "each direction has its own bucket");
    assertEquals(0.5, registry.get("allowdns_limit_shaped_seconds").tags("direction", "up", "policy", "strict").counter().count());
  }
}
