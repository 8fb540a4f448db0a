package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allowdns.ledger.LedgerEntry;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GateTest {
  private static final Sandbox VM = new Sandbox("vm-7", "t", "u", "default");
  private static final InetSocketAddress DESTINATION = address("192.0.2.10", 443);
  private static final long NOW = 1_000_000_000_000L;
  private static Policy policy;

  @BeforeAll
  static void loadPolicy(@TempDir Path zones) throws IOException, PolicyException {
    Files.writeString(zones.resolve("web.zone"), "www.example.org\n*.cdn.example.org\nip:198.51.100.0/24\n");
    policy = PolicySet.load(zones, Map.of(), 1).policy("default").orElseThrow();
  }

  private static InetSocketAddress address(String ip, int port) {
    try {
      return new InetSocketAddress(InetAddress.getByName(ip), port);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static LedgerEntry entry(String name, long expiresAt) {
    return new LedgerEntry(name, List.of(), "default:web", 1, expiresAt);
  }

  @Test
  void beforePeek_inDesignOrder() {
    List<LedgerEntry> live = List.of(entry("www.example.org", NOW + 1));
    assertEquals("loop", Gate.beforePeek(true, VM, policy, DESTINATION, live, NOW).reason());
    assertEquals("unknown_sandbox", Gate.beforePeek(false, null, null, DESTINATION, live, NOW).reason());
    Verdict allowed = Gate.beforePeek(false, VM, policy, DESTINATION, live, NOW);
    assertEquals(Verdict.allow("www.example.org", "default:web"), allowed);
  }

  @Test
  void beforePeek_expiredEntry_hasItsOwnReason() {
    List<LedgerEntry> expired = List.of(entry("www.example.org", NOW - 1));
    Verdict verdict = Gate.beforePeek(false, VM, policy, DESTINATION, expired, NOW);
    assertEquals("expired_dns_answer", verdict.reason());
    assertEquals("www.example.org", verdict.domain());
  }

  @Test
  void beforePeek_noAnswer_isRefusedUnlessAnIpRuleCoversIt() {
    assertEquals("no_dns_answer", Gate.beforePeek(false, VM, policy, DESTINATION, List.of(), NOW).reason());
    Verdict byIpRule = Gate.beforePeek(false, VM, policy, address("198.51.100.7", 22), List.of(), NOW);
    assertEquals(Verdict.allow(null, "default:web"), byIpRule);
  }

  @ParameterizedTest
  @CsvSource(
      nullValues = "-",
      value = {
        // sni, host, allowed, reason, domain
        "-, -, true, -, www.example.org",
        "www.example.org, -, true, -, www.example.org",
        "a.cdn.example.org, -, true, -, a.cdn.example.org",
        "evil.example.net, -, false, sni_not_allowed, evil.example.net",
        "-, www.example.org:8080, true, -, www.example.org",
        "-, WWW.Example.Org, true, -, www.example.org",
        "-, evil.example.net, false, host_not_allowed, evil.example.net",
        "-, 192.0.2.10, true, -, www.example.org",
        "-, 192.0.2.99, false, host_not_allowed, 192.0.2.99",
        "evil.example.net, www.example.org, false, sni_not_allowed, evil.example.net",
      })
  void afterPeek_nameSentMustBeAllowed(String sni, String host, boolean allowed, String reason, String domain) {
    Verdict passed = Verdict.allow("www.example.org", "default:web");
    Verdict verdict = Gate.afterPeek(passed, policy, DESTINATION, sni, host);
    assertEquals(allowed, verdict.allowed());
    assertEquals(reason, verdict.reason());
    assertEquals(domain, verdict.domain());
  }

  @ParameterizedTest
  @CsvSource({"a.test:80, a.test", "a.test, a.test", "[2001:db8::1]:443, [2001:db8::1]", "2001:db8::1, 2001:db8::1"})
  void stripPort_handlesNamesAndIpv6Literals(String host, String expected) {
    assertEquals(expected, Gate.stripPort(host));
  }

  @Test
  void afterPeek_ambiguousNames_areRefusedEvenWhenTheFirstIsAllowed() {
    Verdict passed = Verdict.allow("www.example.org", "default:web");
    PeekResult twoSni =
        new PeekResult("https", "www.example.org", null, 200, "2 SNI host names that differ: www.example.org, evil.test");
    assertEquals(
        Verdict.refuse("sni_not_allowed", "www.example.org", null),
        Gate.afterPeek(passed, policy, DESTINATION, twoSni));
    PeekResult twoHosts =
        new PeekResult("http", null, "www.example.org", 80, "2 Host headers that differ: www.example.org, evil.test");
    assertEquals(
        Verdict.refuse("host_not_allowed", "www.example.org", null),
        Gate.afterPeek(passed, policy, DESTINATION, twoHosts));
  }

  @Test
  void afterPeek_unambiguousPeek_isCheckedByName() {
    Verdict passed = Verdict.allow("www.example.org", "default:web");
    PeekResult one = new PeekResult("https", "www.example.org", null, 200);
    assertEquals(Verdict.allow("www.example.org", "default:web"), Gate.afterPeek(passed, policy, DESTINATION, one));
  }
}
