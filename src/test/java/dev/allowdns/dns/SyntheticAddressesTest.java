package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.config.Cidr;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SyntheticAddressesTest {
  private static final Cidr V4 = Cidr.parse("198.18.0.0/15");
  private static final Cidr V6 = Cidr.parse("fd00:a11:d05::/48");

  @Test
  void v4AndV6_areInTheReservedRanges_andStablePerName() {
    SyntheticAddresses synthetic = new SyntheticAddresses(Duration.ofHours(3));
    InetAddress v4 = synthetic.v4("secret.corp.example");
    InetAddress v6 = synthetic.v6("secret.corp.example");
    assertTrue(V4.contains(v4), v4.toString());
    assertTrue(V6.contains(v6), v6.toString());
    assertEquals(v4, synthetic.v4("secret.corp.example"));
    assertEquals(v6, synthetic.v6("secret.corp.example"));
  }

  @Test
  void addresses_areTheSameAfterARestart() {
    // FNV-1a of the name: a restarted allowdns gives a client's cached answer the same meaning.
    assertEquals(
        new SyntheticAddresses(Duration.ofHours(3)).v4("a.corp.example"),
        new SyntheticAddresses(Duration.ofHours(3)).v4("a.corp.example"));
  }

  @Test
  void manyNames_getDistinctAddresses_evenWhenTheirHashesCollide() {
    SyntheticAddresses synthetic = new SyntheticAddresses(Duration.ofHours(3));
    Set<InetAddress> seen = new HashSet<>();
    for (int i = 0; i < 20_000; i++) {
      InetAddress a = synthetic.v4("n" + i + ".corp.example");
      assertTrue(seen.add(a), "address given twice: " + a);
      assertNotEquals(198 + ".18.0.0", a.getHostAddress());
    }
  }
}
