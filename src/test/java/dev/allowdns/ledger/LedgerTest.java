package dev.allowdns.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Ticker;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LedgerTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final Ticker ticker = nanos::get;
  private final Ledger ledger = new Ledger(1000, Duration.ofHours(1), Duration.ofHours(1), ticker);
  private final InetAddress ip = address("192.0.2.1");

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void lookup_isPerSandbox() {
    ledger.remember("vm-1", ip, "a.test", List.of(), "default:t", 1, 60);
    assertEquals("a.test", ledger.lookup("vm-1", ip).get(0).name());
    assertTrue(ledger.lookup("vm-2", ip).isEmpty());
  }

  @Test
  void entry_livesForTheMinimumTtlWhenTheAnswerTtlIsShorter() {
    ledger.remember("vm-1", ip, "a.test", List.of(), "default:t", 1, 60);
    advance(Duration.ofMinutes(59));
    assertTrue(ledger.lookup("vm-1", ip).get(0).isLive(ledger.now()));
    advance(Duration.ofMinutes(2));
    LedgerEntry expired = ledger.lookup("vm-1", ip).get(0);
    assertFalse(expired.isLive(ledger.now()), "kept, but expired, to explain a late refusal");
  }

  @Test
  void entry_livesForTheAnswerTtlWhenLonger() {
    ledger.remember("vm-1", ip, "a.test", List.of(), "default:t", 1, 7200);
    advance(Duration.ofMinutes(119));
    assertTrue(ledger.lookup("vm-1", ip).get(0).isLive(ledger.now()));
  }

  @Test
  void entry_isGoneAfterTheKeepWindow() {
    ledger.remember("vm-1", ip, "a.test", List.of(), "default:t", 1, 60);
    advance(Duration.ofHours(2).plusMinutes(1));
    assertTrue(ledger.lookup("vm-1", ip).isEmpty());
  }

  @Test
  void sharedAddress_keepsEveryNameMostRecentFirst() {
    ledger.remember("vm-1", ip, "a.test", List.of(), "default:t", 1, 60);
    ledger.remember("vm-1", ip, "b.test", List.of("cdn.test"), "default:u", 1, 60);
    List<LedgerEntry> names = ledger.lookup("vm-1", ip);
    assertEquals(List.of("b.test", "a.test"), names.stream().map(LedgerEntry::name).toList());
    assertEquals(List.of("cdn.test"), names.get(0).chain());
  }

  @Test
  void retainIf_dropsNamesAReloadRemoved() {
    ledger.remember("vm-1", ip, "a.test", List.of(), "default:t", 1, 60);
    ledger.remember("vm-1", address("192.0.2.2"), "b.test", List.of(), "default:t", 1, 60);
    ledger.retainIf((sandbox, name) -> !name.equals("a.test"));
    assertTrue(ledger.lookup("vm-1", ip).isEmpty());
    assertEquals(1, ledger.lookup("vm-1", address("192.0.2.2")).size());
  }
}
