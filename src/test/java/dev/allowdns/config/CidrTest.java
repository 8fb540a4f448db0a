package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.net.InetAddresses;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {
  @ParameterizedTest
  @CsvSource({
    "172.16.0.0/12, 172.31.255.255, true",
    "172.16.0.0/12, 172.32.0.0, false",
    "172.16.0.2, 172.16.0.2, true",
    "172.16.0.2, 172.16.0.3, false",
    "10.1.2.0/23, 10.1.3.7, true",
    "10.1.2.0/23, 10.1.4.1, false",
    "0.0.0.0/0, 8.8.8.8, true",
    "0.0.0.0/0, ::1, false",
    "fd00::/8, fd12::1, true",
    "fd00::/8, fe80::1, false",
  })
  void contains_matchesByPrefix(String cidr, String address, boolean expected) {
    assertEquals(expected, Cidr.parse(cidr).contains(InetAddresses.forString(address)));
  }

  @ParameterizedTest
  @CsvSource({"10.0.0.0/33", "10.0.0.0/x", "host/8", "::/129"})
  void parse_badNetworks_areRejected(String text) {
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text));
  }
}
