package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class OriginalDestinationTest {
  @Test
  void parse_sockaddrIn_familyHostOrderPortNetworkOrder() throws Exception {
    byte[] sockaddr = new byte[28];
    sockaddr[0] = 2; // AF_INET, little-endian
    sockaddr[2] = 0x01;
    sockaddr[3] = (byte) 0xbb; // 443
    sockaddr[4] = (byte) 192;
    sockaddr[5] = 0;
    sockaddr[6] = 2;
    sockaddr[7] = 10;
    assertEquals(
        new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 443), OriginalDestination.parse(sockaddr));
  }

  @Test
  void parse_sockaddrIn6() throws Exception {
    byte[] sockaddr = new byte[28];
    sockaddr[0] = 10; // AF_INET6
    sockaddr[3] = 80;
    byte[] address = InetAddress.getByName("2001:db8::7").getAddress();
    System.arraycopy(address, 0, sockaddr, 8, 16);
    assertEquals(
        new InetSocketAddress(InetAddress.getByName("2001:db8::7"), 80), OriginalDestination.parse(sockaddr));
  }
}
